package redis

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseURL checks the --redis URL parser: no panic; an accepted URL
// has at least one seed address, none empty; and no error message shows a
// password, neither the URL's own nor a sentinel_password parameter.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379", "redis://user:secretpw@127.0.0.1:6379/2", "rediss://:secretpw@h:6380",
		"redis://h1:1,h2:2,h3", "redis://h1:1, ,h2", "redis://[::1]:6379,[::1]", "redis://h:port", "redis://h:99999",
		"redis-sentinel://s1:26379,s2/mymaster?db=1&sentinel_password=sentinelpw", "rediss-sentinel://u:pw@s1/m",
		"redis-sentinel://s1/", "redis-sentinel://s1/m?bogus=1", "http://h", "redis://", "redis://u:p@ss@h:1", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		opt, err := parseURL(s)
		if err == nil {
			if len(opt.InitAddress) == 0 {
				t.Fatalf("parseURL(%q) has no address", s)
			}
			for _, a := range opt.InitAddress {
				if strings.TrimSpace(a) == "" {
					t.Fatalf("parseURL(%q) has an empty address in %q", s, opt.InitAddress)
				}
			}
			return
		}
		msg := err.Error()
		for _, secret := range secretsOf(s) {
			if strings.Contains(msg, secret) {
				t.Fatalf("parseURL(%q): the error shows the secret %q: %s", s, secret, msg)
			}
		}
	})
}

// secretsOf returns the passwords a URL carries (as url.Parse reads them),
// those long enough and found only once in s so that a match means a leak.
func secretsOf(s string) []string {
	var out []string
	add := func(v string) {
		if len(v) >= 4 && strings.Count(s, v) == 1 {
			out = append(out, v)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && !strings.Contains(u.User.Username(), pw) {
			add(pw)
		}
	}
	for _, v := range u.Query()["sentinel_password"] {
		add(v)
	}
	return out
}
