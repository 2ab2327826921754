package ratelimit

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8, 192.168.1.10 fd00::/8,::1 ,::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range got {
		s = append(s, p.String())
	}
	if want := "10.0.0.0/8 192.168.1.10/32 fd00::/8 ::1/128 172.16.0.0/12"; strings.Join(s, " ") != want {
		t.Fatalf("got %v, want %s", s, want)
	}
	if got, err := ParseTrustedProxies(""); err != nil || got != nil {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0", "::ffff:1.2.3.4/64"} {
		if _, err := ParseTrustedProxies(bad); err == nil || !strings.Contains(err.Error(), "trusted proxies") {
			t.Errorf("ParseTrustedProxies(%q) err = %v", bad, err)
		}
	}
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"DirectIgnoresXFF", "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"},
		{"DirectIPv6", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"DirectMapped", "[::ffff:203.0.113.7]:443", nil, "203.0.113.7"},
		{"ProxyNoXFF", "10.0.0.2:1234", nil, "10.0.0.2"},
		{"ProxyOneHop", "10.0.0.2:1234", []string{"198.51.100.9"}, "198.51.100.9"},
		{"RightmostUntrusted", "10.0.0.2:1234", []string{"6.6.6.6, 198.51.100.9, 10.1.1.1"}, "198.51.100.9"},
		{"SpoofedLeftIgnored", "10.0.0.2:1234", []string{"1.1.1.1", "198.51.100.9,10.9.9.9"}, "198.51.100.9"},
		{"AllTrusted", "10.0.0.2:1234", []string{"10.3.3.3, 10.4.4.4"}, "10.3.3.3"},
		{"MalformedStops", "10.0.0.2:1234", []string{"198.51.100.9, garbage, 10.4.4.4"}, "10.4.4.4"},
		{"HopWithPort", "10.0.0.2:1234", []string{"[2001:db8::7]:80"}, "2001:db8::7"},
		{"TrustedIPv6Proxy", "[2001:db8:ffff::1]:80", []string{"203.0.113.8"}, "203.0.113.8"},
		{"UnparsableRemote", "@", []string{"1.2.3.4"}, "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientAddr(r, trusted); got != tc.want {
				t.Fatalf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}
