package tutor

import (
	"testing"
	"unicode/utf8"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " ", "Paris", "¡París!", "Québec", "  New   York ", "Straße", "ＰＡＲＩＳ", "(c)", "b)", "1945", "C#", "...", "ﬁ", "ǅ", "\u0345", "İstanbul", "ß\u0301", "x\u1d16d\u200b\u1d165y", "\xff\xfe", "\u1100\u1161", "a\u00a0b", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if n2 := Normalize(n); n2 != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize(%q) = %q", s, n, n, n2)
		}
	})
}
