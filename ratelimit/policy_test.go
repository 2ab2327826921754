package ratelimit

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Policy
	}{
		{"turns=30/1m", pol("turns", 30, time.Minute)},
		{"turns=30/60s", pol("turns", 30, time.Minute)},
		{"api=1.5/1s", pol("api", 1.5, time.Second)},
		{"export=100/1h", pol("export", 100, time.Hour)},
		{"daily=1000/1d", pol("daily", 1000, 24*time.Hour)},
		{"weekly=5/7d", pol("weekly", 5, 7*24*time.Hour)},
		{"per-min=10/m", pol("per-min", 10, time.Minute)},
		{"fast_path=500/500ms", pol("fast_path", 500, 500*time.Millisecond)},
		{"mixed=90/1m30s", pol("mixed", 90, 90*time.Second)},
		{" spaced = 30 / 1m ", pol("spaced", 30, time.Minute)},
		{"slow=0.5/1h", pol("slow", 0.5, time.Hour)},
		{"trailing=30./1m", pol("trailing", 30, time.Minute)},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePolicy(tc.in)
			if err != nil {
				t.Fatalf("ParsePolicy(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParsePolicy(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		in, wantMsg string
	}{
		{"turns", "missing '='"},
		{"turns=30", "missing '/'"},
		{"=30/1m", "policy name is empty"},
		{"Turns=30/1m", `policy name "Turns" is invalid`},
		{"9lives=30/1m", `policy name "9lives" is invalid`},
		{"a b=30/1m", `policy name "a b" is invalid`},
		{"t{x}=30/1m", `policy name "t{x}" is invalid`},
		{strings.Repeat("a", 65) + "=1/1m", "longer than 64 characters"},
		{"turns=/1m", "quota is empty"},
		{"turns=abc/1m", `quota "abc" is not a plain decimal number`},
		{"turns=-5/1m", `quota "-5" is not a plain decimal number`},
		{"turns=+5/1m", `quota "+5" is not a plain decimal number`},
		{"turns=1e3/1m", `quota "1e3" is not a plain decimal number`},
		{"turns=NaN/1m", `quota "NaN" is not a plain decimal number`},
		{"turns=Inf/1m", `quota "Inf" is not a plain decimal number`},
		{"turns=1_000/1m", `quota "1_000" is not a plain decimal number`},
		{"turns=1.2.3/1m", `quota "1.2.3" is not a plain decimal number`},
		{"turns=./1m", `quota "." is not a plain decimal number`},
		{"turns=0/1m", `quota "0" must be greater than zero`},
		{"turns=0.0001/1m", "quota 0.0001 is out of range"},
		{"turns=2000000000/1h", "quota 2e+09 is out of range"},
		{"turns=30/", "window is empty"},
		{"turns=30/1x", `window "1x" is not a duration`},
		{"turns=30/-1m", `window "-1m" must start with a number`},
		{"turns=30/x", `window "x" must start with a number`},
		{"turns=30/0s", "window 0s is out of range"},
		{"turns=30/10us", "window 10µs is out of range"},
		{"turns=30/400d", `window "400d" is out of range`},
		{"turns=30/1.5d", "days must be a whole number"},
		{"turns=30/9000h", "window 9000h0m0s is out of range"},
		{"turns=30/1m/2", `window "1m/2" is not a duration`},
		{"turns=5000/1ms", "rate 5000/1ms is too high"},
		{"turns=0.001/1d", "rate 0.001/1d is too low"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParsePolicy(tc.in)
			if err == nil {
				t.Fatalf("ParsePolicy(%q) succeeded, want an error containing %q", tc.in, tc.wantMsg)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ParsePolicy(%q) error %q does not contain %q", tc.in, err, tc.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "rate limit ") {
				t.Fatalf("error %q does not name the input", err)
			}
		})
	}
}

func TestPolicyString(t *testing.T) {
	for _, tc := range []struct {
		p    Policy
		want string
	}{
		{pol("turns", 60, time.Minute), "turns=60/1m"},
		{pol("api", 1.5, time.Second), "api=1.5/1s"},
		{pol("daily", 10, 48*time.Hour), "daily=10/2d"},
		{pol("x", 3, 1500*time.Millisecond), "x=3/1500ms"},
		{pol("y", 3, 90*time.Second), "y=3/90s"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestReadPolicies(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		in := "# Recall policies\n\nexport = 100/1h   # nightly exports\nturns=30/1m\n\t\n  # indented comment\nsearch=1.5/1s"
		got, err := ReadPolicies(strings.NewReader(in), "policies.conf")
		if err != nil {
			t.Fatal(err)
		}
		want := []Policy{pol("export", 100, time.Hour), pol("turns", 30, time.Minute), pol("search", 1.5, time.Second)}
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("policy %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	})
	t.Run("ErrLineNumber", func(t *testing.T) {
		_, err := ReadPolicies(strings.NewReader("a=1/1m\n# c\nb=1/1q\n"), "p.conf")
		if err == nil || !strings.Contains(err.Error(), `p.conf:3: "b=1/1q": window "1q"`) {
			t.Fatalf("err = %v, want one naming p.conf:3 and the window", err)
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := ReadPolicies(strings.NewReader("a=1/1m\na=2/1m\n"), "p.conf")
		if err == nil || !strings.Contains(err.Error(), `p.conf:2: policy "a" is already defined on line 1`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("File", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rl.conf")
		if err := os.WriteFile(path, []byte("turns=5/1m\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ParsePolicyFile(path)
		if err != nil || len(got) != 1 || got[0] != pol("turns", 5, time.Minute) {
			t.Fatalf("ParsePolicyFile = %v, %v", got, err)
		}
		if _, err := ParsePolicyFile(filepath.Join(t.TempDir(), "missing.conf")); err == nil {
			t.Fatal("ParsePolicyFile of a missing file succeeded")
		}
	})
}

func TestLoadPolicies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rl.conf")
	if err := os.WriteFile(path, []byte("turns=5/1m\nexport=2/1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadPolicies(path, []string{"turns=30/1m", "auth=3/1m"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, n := range ps.Names() {
		got = append(got, ps[n].String())
	}
	if want := "auth=3/1m default=600/1m export=2/1h llm=50000/1d turns=30/1m writes=120/1m"; strings.Join(got, " ") != want {
		t.Fatalf("LoadPolicies = %v, want %s (flags win over the file, the file over the built-ins)", got, want)
	}
	if _, err := LoadPolicies("", []string{"turns=30/1q"}); err == nil || !strings.Contains(err.Error(), `rate limit "turns=30/1q": window "1q"`) {
		t.Fatalf("bad flag: err = %v", err)
	}
	if ps, err := LoadPolicies("", nil); err != nil || len(ps) != 5 {
		t.Fatalf("no file, no flags: %v, %v", ps, err)
	}
}

func TestPoliciesOverride(t *testing.T) {
	ps := DefaultPolicies()
	if got := strings.Join(ps.Names(), ","); got != "auth,default,llm,turns,writes" {
		t.Fatalf("built-in names = %s", got)
	}
	want := map[string]string{"default": "default=600/1m", "auth": "auth=10/1m", "turns": "turns=60/1m", "writes": "writes=120/1m", "llm": "llm=50000/1d"}
	for n, s := range want {
		if ps[n].String() != s {
			t.Errorf("built-in %s = %s, want %s", n, ps[n], s)
		}
	}
	p, _ := ParsePolicy("turns=30/1m")
	if err := ps.Override(p, pol("extra", 5, time.Second)); err != nil {
		t.Fatal(err)
	}
	if ps["turns"].Quota != 30 || ps["extra"].Quota != 5 || len(ps) != 6 {
		t.Fatalf("after Override: %v", ps)
	}
	if err := ps.Override(pol("ok", 1, time.Minute), pol("Bad", 1, time.Minute)); err == nil {
		t.Fatal("Override accepted an invalid policy")
	}
	if _, found := ps["ok"]; found {
		t.Fatal("a failed Override changed the set")
	}
	if DefaultPolicies()["turns"].Quota != 60 {
		t.Fatal("Override changed the built-ins of later calls")
	}
}

func TestBurst(t *testing.T) {
	for _, tc := range []struct {
		q    float64
		want int64
	}{{600, 600}, {1.5, 1}, {0.5, 1}, {2.999, 2}} {
		if got := pol("x", tc.q, time.Minute).Burst(); got != tc.want {
			t.Errorf("Burst(%g) = %d, want %d", tc.q, got, tc.want)
		}
	}
}

// FuzzParsePolicy checks that no input panics, and that every accepted
// policy is valid and reads back from its String form unchanged.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"turns=30/1m", "api=1.5/1s", "x=100/1h", "d=1/1d", "a=1/m", "b=3/1m30s", "=", "/", "a=/", "a=1/1.5d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePolicy(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy(%q) returned an invalid policy: %v", s, err)
		}
		if math.IsNaN(p.Quota) || math.IsInf(p.Quota, 0) || p.Quota <= 0 || p.Window <= 0 {
			t.Fatalf("ParsePolicy(%q) = %+v", s, p)
		}
		back, err := ParsePolicy(p.String())
		if err != nil {
			t.Fatalf("ParsePolicy(%q) of String of %q: %v", p.String(), s, err)
		}
		if back != p {
			t.Fatalf("round trip of %q: %+v then %+v", s, p, back)
		}
		g := gcraFor(p.Quota, p.Window, time.Microsecond)
		if g.t < 1 || g.tau < g.t || g.tau/g.t < p.Burst() && p.Quota >= 1 {
			t.Fatalf("%q: GCRA parameters %+v do not give a burst of %d", s, g, p.Burst())
		}
	})
}
