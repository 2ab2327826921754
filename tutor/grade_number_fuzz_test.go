package tutor

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/recallhq/recall"
)

// FuzzParseNumber checks that parseNumber never panics, and that a value it
// reads, written back as an exact fraction, reads as the same value.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0.5", ".5", "0,5", "1/2", "1 1/2", "1,000", "1 000 000", "1.000.000", "1'000", "1,234.5", "1.234,5", "-3", "\u22123", "+3", "1e3", "2.5e-4", "3×10^8", "3 x 10^8", "50%", "50 percent", "5 km", "$5", "-$5", "€ -5", "1e999999", "1/0", "(42)", "...5", "1,00,0", "½", "3:45", "1/2/2020", "14 july 1789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseNumber(normalize(s))
		if !ok {
			return
		}
		if n.val == nil {
			t.Fatalf("parseNumber(%q) is ok without a value", s)
		}
		back, ok := parseNumber(n.val.RatString())
		if !ok || back.val.Cmp(n.val) != 0 || back.unit != "" {
			t.Fatalf("parseNumber(%q) = %s; parseNumber(%q) = %v, %v", s, n.val.RatString(), n.val.RatString(), back, ok)
		}
	})
}

// FuzzGradeNumber checks that a number written in any of the forms Grade
// reads is right for the same number written plainly, and that the next
// number up is never right.
func FuzzGradeNumber(f *testing.F) {
	f.Add(int64(0), uint16(500), false)
	f.Add(int64(1234567), uint16(0), true)
	f.Add(int64(-42), uint16(250), false)
	f.Add(int64(999), uint16(999), true)
	f.Fuzz(func(t *testing.T, whole int64, milli uint16, neg bool) {
		if whole < 0 {
			whole = -(whole + 1) // keep the sign in neg, and avoid -MinInt64
		}
		milli %= 1000
		sign := ""
		if neg {
			sign = "-"
		}
		plain := fmt.Sprintf("%s%d.%03d", sign, whole, milli)
		grouped := group(fmt.Sprint(whole))
		forms := []string{
			plain,
			strings.Replace(plain, ".", ",", 1) + "0", // a decimal comma: four digits after it are never a group
			fmt.Sprintf("%s%s.%03d", sign, grouped, milli),
			fmt.Sprintf("%s%d%03d/1000", sign, whole, milli),
			fmt.Sprintf("%s%d.%03de0", sign, whole, milli),
		}
		if whole >= 1000 {
			// With dots as group separators the comma is a decimal mark
			// even before three digits; without them it is a separator.
			forms = append(forms, fmt.Sprintf("%s%s,%03d", sign, strings.ReplaceAll(grouped, ",", "."), milli))
		}
		q := &recall.Question{Prompt: "?", Answers: []string{plain}}
		for _, m := range forms {
			if !Grade(q, m) {
				t.Errorf("%q is wrong for %q", m, plain)
			}
		}
		next := new(big.Rat).Add(mustRat(t, plain), big.NewRat(1, 1000))
		if m := next.FloatString(3); Grade(q, m) {
			t.Errorf("%q is right for %q", m, plain)
		}
	})
}

// group writes the digits s in groups of three separated by commas.
func group(s string) string {
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func mustRat(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("bad number %q", s)
	}
	return r
}
