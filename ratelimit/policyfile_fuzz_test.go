package ratelimit

import (
	"strings"
	"testing"
)

// FuzzReadPolicies checks the rate-limit policy file reader: no panic; an
// error names the file; what it accepts is a list of valid policies with
// distinct names, each of which reads back from its String form, and every
// one of them overrides the built-in set cleanly.
func FuzzReadPolicies(f *testing.F) {
	for _, s := range []string{
		"", "\n\n", "turns=30/1m\n", "# comment\nturns=30/1m # trailing\nauth = 5 / 10s\n",
		"a=1/1s\na=2/2s\n", "x=1.5/1d\r\ny=100/h\n", "bad line\n", "z=0/1m\n", "q=1/0s\n",
		"w=1/" + strings.Repeat("9", 40) + "d\n", "n=1/1m\x00\n", strings.Repeat("k", 70000) + "=1/1m\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadPolicies(strings.NewReader(s), "policies.conf")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policies.conf:") {
				t.Fatalf("ReadPolicies error does not name the file and line: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if err := p.Validate(); err != nil {
				t.Fatalf("ReadPolicies(%q) accepted an invalid policy %+v: %v", s, p, err)
			}
			if seen[p.Name] {
				t.Fatalf("ReadPolicies(%q) accepted %q twice", s, p.Name)
			}
			seen[p.Name] = true
			back, err := ParsePolicy(p.String())
			if err != nil || back != p {
				t.Fatalf("policy %+v does not read back from %q: %+v, %v", p, p.String(), back, err)
			}
		}
		if err := DefaultPolicies().Override(ps...); err != nil {
			t.Fatalf("the policies of %q do not override the built-ins: %v", s, err)
		}
	})
}
