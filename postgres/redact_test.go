package postgres

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"redis://127.0.0.1:6379":                            "redis://127.0.0.1:6379",
		"redis://user:secret@h:6379/2":                      "redis://user:xxxxx@h:6379/2",
		"rediss://:secret@h:6380":                           "rediss://:xxxxx@h:6380",
		"redis://user:secret@h1:1,h2:2":                     "redis://user:xxxxx@h1:1,h2:2",
		"redis://user@h:6379":                               "redis://user@h:6379",
		"redis://user:p%40ss%2Fword@h:6379/":                "redis://user:xxxxx@h:6379/",
		"postgres://u@h/db?password=secret&sslmode=disable": "postgres://u@h/db?password=xxxxx&sslmode=disable",
		"host=h user=u password=secret dbname=d":            "host=h user=u password=xxxxx dbname=d",
		"host=h password='sec ret' dbname=d":                "host=h password=xxxxx dbname=d",
		"redis://u:p%zz@h:1":                                "(a URL that does not parse)",
		"sqlite:/var/lib/recall/recall.db":                  "sqlite:/var/lib/recall/recall.db",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactURL checks that a URL's password never survives RedactURL,
// which is what reaches the logs and the start-up line.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"redis://h:6379", "redis://user:secretpw@h:6379/0", "rediss://:secretpw@h", "postgres://u:secretpw@h/db?sslmode=disable",
		"postgres://u@h/db", "redis://u:sec%40ret@h", "not a url", "redis://h1:1,h2:2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := RedactURL(s)
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			return
		}
		pw, ok := u.User.Password()
		if !ok || len(pw) < 4 || strings.Count(s, pw) != 1 || strings.Contains(u.User.Username(), pw) {
			return
		}
		if strings.Contains(got, pw) || strings.Contains(got, url.PathEscape(pw)) || strings.Contains(got, url.QueryEscape(pw)) {
			t.Fatalf("RedactURL(%q) = %q shows the password %q", s, got, pw)
		}
	})
}
