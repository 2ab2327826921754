package ratelimit

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzClientAddr checks the client-address parser (X-Forwarded-For behind
// trusted proxies): it never panics; an untrusted peer is the client
// whatever the header says; the answer is the peer or one of the hops, in
// canonical form; and nothing a client writes left of the hops the proxies
// appended changes an answer that is not a trusted proxy.
func FuzzClientAddr(f *testing.F) {
	for _, s := range [][3]string{
		{"203.0.113.7:5555", "1.2.3.4", ""},
		{"10.0.0.1:80", "6.6.6.6, 198.51.100.9, 10.0.0.2", ""},
		{"10.0.0.1:80", "6.6.6.6", "198.51.100.9,10.0.0.3"},
		{"[::1]:80", "2001:db8::1", ""},
		{"[::ffff:10.0.0.1]:80", "[2001:db8::1]:443, ::ffff:1.2.3.4", ""},
		{"10.0.0.1:80", "garbage, 198.51.100.9", "fe80::1%eth0"},
		{"@", "1.2.3.4", ""}, {"", "", ""}, {"10.0.0.1:80", ",,,", " "},
	} {
		f.Add(s[0], s[1], s[2])
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff1, xff2 string) {
		forwarded := []string{xff1, xff2}
		req := func(xff []string) *http.Request {
			return &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": xff}}
		}
		got := ClientAddr(req(forwarded), trusted)
		peer, ok := parseHop(remote)
		if !ok {
			if got != remote {
				t.Fatalf("ClientAddr(%q) = %q, want the raw remote address", remote, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil || a.String() != got || a.Is4In6() || a.Zone() != "" {
			t.Fatalf("ClientAddr(%q, %q) = %q: not a canonical address", remote, forwarded, got)
		}
		if !isTrusted(peer, trusted) {
			if a != peer {
				t.Fatalf("untrusted peer %q, but ClientAddr = %q", remote, got)
			}
			return
		}
		var hops []netip.Addr
		for _, h := range strings.Split(strings.Join(forwarded, ","), ",") {
			if x, ok := parseHop(strings.TrimSpace(h)); ok {
				hops = append(hops, x)
			}
		}
		if a != peer && !slices.Contains(hops, a) {
			t.Fatalf("ClientAddr(%q, %q) = %q: neither the peer nor a hop", remote, forwarded, got)
		}
		if !isTrusted(a, trusted) {
			forged := []string{"6.6.6.6, 7.7.7.7", xff1, xff2}
			if again := ClientAddr(req(forged), trusted); again != got {
				t.Fatalf("hops a client prepended changed the answer from %q to %q", got, again)
			}
		}
	})
}

// FuzzParseTrustedProxies checks the --trusted-proxies parser: it never
// panics, and what it accepts is a list of masked, valid prefixes, each
// single address trusting itself.
func FuzzParseTrustedProxies(f *testing.F) {
	for _, s := range []string{"", "10.0.0.0/8", "10.0.0.0/8, 192.168.1.10 fd00::/8", "::ffff:10.0.0.0/104", "::ffff:0.0.0.0/95",
		"1.2.3.4/33", "fe80::1%eth0", "not-an-ip", ",,, ", "2001:db8::/129", "\t1.1.1.1\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseTrustedProxies(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("ParseTrustedProxies(%q) gave %v", s, p)
			}
		}
	})
}
