package tutor

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NumericSpec is how a question grades numeric answers. The zero value
// asks for the exact value and takes the unit from the accepted answers.
//
// A message is right for a numeric accepted answer a when its value m
// satisfies |m − a| ≤ AbsTol or |m − a| ≤ RelTol·|a| (with both zero: m = a
// exactly), and its unit is acceptable (see Grade).
type NumericSpec struct {
	// AbsTol is the largest absolute difference accepted, in the unit of
	// the answer (0.01 accepts 3.14 for 3.1416). Zero means none.
	AbsTol float64
	// RelTol is the largest difference accepted relative to the answer's
	// magnitude (0.05 is 5 %). Zero means none.
	RelTol float64
	// Unit is the unit of accepted answers written without one: with Unit
	// "km" and the answer "5", "5 km" and "5" are right and "5 m" wrong.
	Unit string
}

// Limits of a NumericSpec, checked by Validate.
const (
	// MaxUnitLength is the longest NumericSpec.Unit, in characters.
	MaxUnitLength = 32
	// MaxRelTol is the largest NumericSpec.RelTol (100 %).
	MaxRelTol = 1
)

// Validate reports whether s can be stored with a question: tolerances
// finite and not negative, RelTol at most MaxRelTol, Unit at most
// MaxUnitLength characters of valid UTF-8 that does not start with a digit.
// Its error message names the field and can be shown to the user.
func (s NumericSpec) Validate() error {
	switch {
	case math.IsNaN(s.AbsTol) || math.IsInf(s.AbsTol, 0) || s.AbsTol < 0:
		return errors.New("abs_tol must be a finite number ≥ 0")
	case math.IsNaN(s.RelTol) || s.RelTol < 0 || s.RelTol > MaxRelTol:
		return errors.New("rel_tol must be a number from 0 to 1")
	case !utf8.ValidString(s.Unit) || utf8.RuneCountInString(s.Unit) > MaxUnitLength:
		return errors.New("unit must be at most 32 characters")
	}
	if u := strings.TrimSpace(s.Unit); u != "" {
		if r, _ := utf8.DecodeRuneInString(u); unicode.IsDigit(r) {
			return errors.New("unit must not start with a digit")
		}
	}
	return nil
}

// number is a message or answer read as a number, maybe with a unit.
type number struct {
	val *big.Rat
	// unit is the normalized unit (see normUnit), "" for none.
	unit string
}

// maxExponent bounds the exponent of scientific notation, so that "1e999999999"
// costs no memory (it is then read as text).
const maxExponent = 400

// parseNumber reads s, in the normalize form (not trimmed of punctuation),
// as a number with an optional unit. The forms, after punctuation around
// the text (but a sign or a leading decimal point) is dropped:
//
//	[currency] [sign] [currency] mantissa [exponent] [unit]
//
// where the mantissa is one of
//   - digits with an optional decimal part: "12", "0.5", ".5", "0,5";
//   - digits in groups of three after a first group of 1–3 digits, with
//     one kind of group separator: "1,000", "1.000.000", "1 000", "1'000";
//     then an optional decimal part written with the other mark of ',' and
//     '.': "1,234.5", "1.234,5", "1 234,5";
//   - a fraction of two integers without spaces, "3/4", or a whole number
//     and such a fraction, "1 1/2".
//
// A single ',' or '.' is a decimal mark except for a ',' followed by
// exactly three digits after 1–3 digits not starting with 0: "1,000" is a
// thousand, "0,500" and "1,5" are decimals, "1.000" is one. Two or more of
// the same mark are group separators ("1.000.000"); with both marks, the
// last one, which must be alone, is the decimal mark.
//
// The exponent is "e" and a signed integer ("1e3", "2.5e-4") or "×10^n"
// (also "x", "*" or "·", with or without spaces). The unit is the rest of
// the text; it must start with a letter, a symbol or '%'.
func parseNumber(s string) (number, bool) {
	s = trimNumber(strings.ReplaceAll(s, "\u2044", "/")) // NFKD makes "½" "1⁄2"
	if s == "" {
		return number{}, false
	}
	var n number
	neg := false
	if r, size := utf8.DecodeRuneInString(s); unicode.Is(unicode.Sc, r) {
		n.unit = string(r)
		s = strings.TrimPrefix(s[size:], " ")
	}
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	} else if strings.HasPrefix(s, "\u2212") {
		neg = true
		s = s[len("\u2212"):]
	}
	if n.unit == "" {
		if r, size := utf8.DecodeRuneInString(s); unicode.Is(unicode.Sc, r) {
			n.unit = string(r)
			s = strings.TrimPrefix(s[size:], " ")
		}
	}
	tok := scanMantissa(s)
	if tok == "" {
		return number{}, false
	}
	s = s[len(tok):]
	val, ok := mantissa(tok)
	if !ok {
		return number{}, false
	}
	plain := isDigits(tok)
	switch {
	case plain && strings.HasPrefix(s, "/"):
		// A fraction.
		den := leadingDigits(s[1:])
		if den == "" {
			return number{}, false
		}
		d, _ := new(big.Rat).SetString(den)
		if d.Sign() == 0 {
			return number{}, false
		}
		val.Quo(val, d)
		s = s[1+len(den):]
	case plain && strings.HasPrefix(s, " "):
		// Maybe a whole number and a fraction.
		num := leadingDigits(s[1:])
		rest := s[1+len(num):]
		if num == "" || !strings.HasPrefix(rest, "/") {
			break
		}
		den := leadingDigits(rest[1:])
		if den == "" {
			break
		}
		a, _ := new(big.Rat).SetString(num)
		b, _ := new(big.Rat).SetString(den)
		if b.Sign() == 0 || a.Cmp(b) >= 0 {
			break
		}
		val.Add(val, a.Quo(a, b))
		s = rest[1+len(den):]
	}
	if exp, size, ok := exponent(s); ok {
		if exp > maxExponent || exp < -maxExponent {
			return number{}, false
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
		if exp >= 0 {
			val.Mul(val, new(big.Rat).SetInt(p))
		} else {
			val.Quo(val, new(big.Rat).SetInt(p))
		}
		s = s[size:]
	}
	s = strings.TrimPrefix(s, " ")
	if s != "" {
		r, _ := utf8.DecodeRuneInString(s)
		if !unitStart(r) || n.unit != "" {
			return number{}, false
		}
		n.unit = normUnit(s)
		if utf8.RuneCountInString(n.unit) > MaxUnitLength {
			return number{}, false
		}
	}
	if neg {
		val.Neg(val)
	}
	n.val = val
	return n, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// trimNumber removes the punctuation and white space around s, as
// trimPunct does, but keeps a sign or a decimal point before a digit.
func trimNumber(s string) string {
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return r == ' ' || unicode.IsPunct(r) && r != '%' && r != '\u2030'
	})
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		if r != ' ' && !unicode.IsPunct(r) {
			break
		}
		if r == '-' || r == '.' {
			next := s[size:]
			if r == '-' && strings.HasPrefix(next, ".") {
				next = next[1:]
			}
			if r == '-' {
				if c, size := utf8.DecodeRuneInString(next); unicode.Is(unicode.Sc, c) {
					next = next[size:]
				}
			}
			if next != "" && isDigit(next[0]) {
				break
			}
		}
		s = s[size:]
	}
	return s
}

// unitStart reports whether r may start a unit.
func unitStart(r rune) bool {
	switch {
	case r == '%' || r == '\u2030':
		return true
	case r == '+' || r == '-' || r == '\u2212' || r == '=' || r == '<' || r == '>':
		return false
	}
	return unicode.IsLetter(r) || unicode.IsSymbol(r)
}

// normUnit is the form in which units compare: without white space, and
// "%" for "percent" and "per cent".
func normUnit(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	switch s {
	case "percent", "percents", "pct", "pc":
		return "%"
	}
	return s
}

// scanMantissa returns the longest prefix of s made of digits and of the
// marks that may separate them: ',', '.' or '\” before a digit, and a
// space before exactly three digits that are not followed by a digit or
// '/'. It must start with a digit, or '.' and a digit.
func scanMantissa(s string) string {
	if s == "" || !isDigit(s[0]) && !(s[0] == '.' && len(s) > 1 && isDigit(s[1])) {
		return ""
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c):
			i++
			continue
		case (c == ',' || c == '.' || c == '\'') && i+1 < len(s) && isDigit(s[i+1]):
			i++
			continue
		case c == ' ' && len(leadingDigits(s[i+1:])) == 3:
			j := i + 4
			if j == len(s) || s[j] != '/' {
				i = j
				continue
			}
		}
		break
	}
	return s[:i]
}

// mantissa reads a token of scanMantissa by the rules of parseNumber.
func mantissa(tok string) (*big.Rat, bool) {
	nc, nd := strings.Count(tok, ","), strings.Count(tok, ".")
	decimal := byte(0)
	switch {
	case nc > 0 && nd > 0:
		decimal = tok[strings.LastIndexAny(tok, ",.")]
		if strings.Count(tok, string(decimal)) != 1 {
			return nil, false
		}
	case nd == 1:
		decimal = '.'
	case nc == 1:
		decimal = ','
		i := strings.IndexByte(tok, ',')
		if strings.ContainsAny(tok, " '") {
			break
		}
		if whole, frac := tok[:i], tok[i+1:]; len(frac) == 3 && len(whole) <= 3 && whole[0] != '0' {
			decimal = 0 // a thousand separator
		}
	}
	whole, frac := tok, ""
	if decimal != 0 {
		i := strings.IndexByte(tok, decimal)
		whole, frac = tok[:i], tok[i+1:]
		if !isDigits(frac) {
			return nil, false
		}
	}
	digits, ok := ungroup(whole)
	if !ok {
		return nil, false
	}
	v, ok := new(big.Rat).SetString(digits + "." + frac + "0")
	return v, ok
}

// ungroup removes the group separators of the whole part of a number:
// one kind of separator, a first group of 1–3 digits and then groups of
// exactly three. It returns "0" for an empty whole part (".5").
func ungroup(s string) (string, bool) {
	if s == "" {
		return "0", true
	}
	if isDigits(s) {
		return s, true
	}
	i := strings.IndexFunc(s, func(r rune) bool { return !isDigit(byte(r)) })
	sep := s[i]
	groups := strings.Split(s, string(sep))
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !isDigits(g) {
			return "", false
		}
	}
	return strings.Join(groups, ""), isDigits(groups[0])
}

// exponent reads scientific notation at the start of s ("e-3", "×10^4",
// " x 10^4"). size is the length read.
func exponent(s string) (exp, size int, ok bool) {
	rest := s
	if strings.HasPrefix(rest, "e") {
		rest = rest[1:]
	} else {
		rest = strings.TrimPrefix(rest, " ")
		var found bool
		for _, times := range []string{"\u00d7", "x", "*", "\u00b7", "\u22c5"} {
			if strings.HasPrefix(rest, times) {
				rest, found = rest[len(times):], true
				break
			}
		}
		if !found {
			return 0, 0, false
		}
		rest = strings.TrimPrefix(rest, " ")
		if !strings.HasPrefix(rest, "10^") {
			return 0, 0, false
		}
		rest = rest[3:]
	}
	neg := false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg = rest[0] == '-'
		rest = rest[1:]
	} else if strings.HasPrefix(rest, "\u2212") {
		neg = true
		rest = rest[len("\u2212"):]
	}
	d := leadingDigits(rest)
	if d == "" || len(d) > 4 {
		return 0, 0, false
	}
	for i := 0; i < len(d); i++ {
		exp = exp*10 + int(d[i]-'0')
	}
	if neg {
		exp = -exp
	}
	return exp, len(s) - len(rest) + len(d), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

// numeric is the tolerance of a NumericSpec in exact form.
type numeric struct {
	abs, rel *big.Rat // nil for none
	unit     string   // normalized
}

func newNumeric(s NumericSpec) numeric {
	var n numeric
	if s.AbsTol > 0 && !math.IsInf(s.AbsTol, 0) {
		n.abs = new(big.Rat).SetFloat64(s.AbsTol)
	}
	if s.RelTol > 0 && !math.IsInf(s.RelTol, 0) {
		n.rel = new(big.Rat).SetFloat64(s.RelTol)
	}
	if u := trimPunct(normalize(s.Unit)); u != "" {
		n.unit = normUnit(u)
	}
	return n
}

// match reports whether the message m is right for the accepted answer a.
//
// Units: the expected unit is a's, or the spec's when a has none. The
// message may give the expected unit or none. A percentage and a plain
// number compare by value ("50%" and "0.5"), and "50" is right for "50%".
func (n numeric) match(m, a number) bool {
	want := a.unit
	if want == "" {
		want = n.unit
	}
	switch {
	case m.unit == want:
		return n.close(m.val, a.val)
	case m.unit == "" && want == "%":
		// "50" or "0.5" for "50%".
		return n.close(m.val, a.val) || n.close(new(big.Rat).Mul(m.val, big.NewRat(100, 1)), a.val)
	case m.unit == "%" && want == "":
		// "50%" for "0.5".
		return n.close(new(big.Rat).Quo(m.val, big.NewRat(100, 1)), a.val)
	case m.unit == "":
		// The unit is implied by the question.
		return n.close(m.val, a.val)
	}
	return false
}

// close reports whether m is within the tolerance of a.
func (n numeric) close(m, a *big.Rat) bool {
	if m.Cmp(a) == 0 {
		return true
	}
	d := new(big.Rat).Sub(m, a)
	d.Abs(d)
	if n.abs != nil && d.Cmp(n.abs) <= 0 {
		return true
	}
	if n.rel != nil {
		lim := new(big.Rat).Abs(a)
		lim.Mul(lim, n.rel)
		return d.Cmp(lim) <= 0
	}
	return false
}
