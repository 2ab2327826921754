package tutor

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/recallhq/recall"
)

// Option changes how Grade grades; see WithNumeric.
type Option func(*grading)

// grading is what the options of Grade set.
type grading struct {
	num numeric
}

// WithNumeric grades numeric answers by spec: a tolerance and a default
// unit. A spec that fails Validate is used as far as it makes sense:
// negative, infinite or NaN tolerances count as none.
func WithNumeric(spec NumericSpec) Option {
	return func(g *grading) { g.num = newNumeric(spec) }
}

// Grade reports whether message is a right answer to q.
//
// The message and every accepted answer are compared after Normalize. Any
// accepted answer will do, and an accepted answer written "a / b" (a slash
// with white space on both sides) accepts a or b as well as the whole text;
// "1/2" without spaces is a fraction. Small typos are forgiven on long
// answers: the Damerau–Levenshtein distance (optimal string alignment: an
// insertion, deletion, substitution or swap of two neighbouring characters
// each count one) between the normalized message and the normalized answer
// may be
//
//	0 for answers under 8 characters (after Normalize),
//	1 for answers of 8–15 characters,
//	2 for answers of 16–31 characters,
//	3 for answers of 32 characters or more,
//
// but answers that contain a digit or other number character (numbers,
// dates, formulas) are never matched with typos.
//
// Numbers compare by value. When the accepted answer and the message are
// both a number, maybe with a unit (see parseNumber for the forms: "0.5",
// ".5", "0,5", "1/2", "1 1/2", "1,000", "1 000", "1.000.000", "-3",
// "1e3", "2×10^3", "50%", "5 km", "$5"), the message is right when its
// value is the answer's, or within the tolerance of WithNumeric, and its
// unit is the answer's (compared without white space: "5km" is "5 km"),
// or the spec's unit when the answer has none, or no unit at all (the
// question implies it). A percentage and a plain number compare by value
// ("0.5" and "50%"), and "50" is right for "50%". A unit the question did
// not give makes a message wrong ("5 km" for "5" without a spec unit), as
// does another unit ("5 m" for "5 km"): units are not converted. A
// message that is not a number is compared as text ("five" is wrong for
// "5").
//
// For a multiple-choice question (q.Choices not empty) the message may be
// the text of a choice (a number by value), its letter ("A", "b)", "(c)",
// "D."), its 1-based number ("2", "3)"), or a letter or number followed by
// the choice text ("b) Paris"); it is right when the choice it names is an
// accepted answer. The choice text wins over a letter or number: with
// choices "2", "3", "5" the message "2" names the first choice. A typo in
// a choice text is forgiven as above only if the message is that close to
// a single choice. A message equal to an accepted answer is right too. An
// empty or blank message is always wrong.
func Grade(q *recall.Question, message string, opts ...Option) bool {
	if q == nil {
		return false
	}
	var g grading
	for _, o := range opts {
		o(&g)
	}
	msg := newText(message)
	if msg.loose == "" {
		return false
	}
	answers := make([]text, 0, len(q.Answers))
	for _, a := range q.Answers {
		if t := newText(a); t.loose != "" {
			answers = append(answers, t)
		}
	}
	if len(q.Choices) == 0 {
		for _, a := range answers {
			if g.right(msg, a) {
				return true
			}
			for _, alt := range alternatives(a.loose) {
				if g.right(msg, alt) {
					return true
				}
			}
		}
		return false
	}
	return gradeChoice(q.Choices, answers, msg)
}

// right reports whether msg is right for one accepted answer a of a typed
// question.
func (g *grading) right(msg, a text) bool {
	if msg.num != nil && a.num != nil {
		return g.num.match(*msg.num, *a.num)
	}
	return msg.equal(a) || msg.closeTo(a)
}

// alternatives splits a normalized accepted answer at " / ". It returns
// nil for an answer without alternatives.
func alternatives(answer string) []text {
	if !strings.Contains(answer, " / ") {
		return nil
	}
	var alts []text
	for _, part := range strings.Split(answer, " / ") {
		if t := newText(part); t.loose != "" {
			alts = append(alts, t)
		}
	}
	return alts
}

func gradeChoice(rawChoices []string, answers []text, msg text) bool {
	choices := make([]text, len(rawChoices))
	for i, c := range rawChoices {
		choices[i] = newText(c)
	}
	accepted := func(i int) bool {
		for _, a := range answers {
			if choices[i].equal(a) {
				return true
			}
		}
		return false
	}
	// The text of a choice.
	for i, c := range choices {
		if c.loose != "" && msg.equal(c) {
			return accepted(i)
		}
	}
	// A choice that is the same number.
	if msg.num != nil {
		for i, c := range choices {
			if c.num != nil && msg.num.unit == c.num.unit && msg.num.val.Cmp(c.num.val) == 0 {
				return accepted(i)
			}
		}
	}
	// A letter or number, maybe followed by the text of that choice.
	if i, rest, ok := parseLabel(msg.strict, len(choices)); ok {
		if rest == "" || rest == choices[i].strict {
			return accepted(i)
		}
	}
	// The text of a single choice, with a typo.
	match := -1
	for i, c := range choices {
		if msg.closeTo(c) {
			if match >= 0 {
				match = -1
				break
			}
			match = i
		}
	}
	if match >= 0 {
		return accepted(match)
	}
	// An accepted answer that is not among the choices.
	for _, a := range answers {
		if msg.equal(a) {
			return true
		}
	}
	return false
}

// parseLabel reads a choice label at the start of a normalized message: a
// letter a–z or a number of one or two digits, alone or followed by ')',
// '.', ':' or '-' and/or white space and the rest of the message. It
// returns the 0-based index the label names and the rest; ok is false if
// there is no label or it names no choice.
func parseLabel(s string, n int) (index int, rest string, ok bool) {
	i := 0
	switch {
	case s == "":
		return 0, "", false
	case s[0] >= 'a' && s[0] <= 'z':
		index, i = int(s[0]-'a'), 1
	case s[0] >= '0' && s[0] <= '9':
		num := int(s[0] - '0')
		i = 1
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			num, i = num*10+int(s[1]-'0'), 2
		}
		index = num - 1
	default:
		return 0, "", false
	}
	if index < 0 || index >= n {
		return 0, "", false
	}
	if i == len(s) {
		return index, "", true
	}
	sep := false
	if strings.IndexByte(").:-", s[i]) >= 0 {
		i++
		sep = true
	}
	if i < len(s) && s[i] == ' ' {
		i++
		sep = true
	}
	if !sep {
		return 0, "", false
	}
	return index, s[i:], true
}

// text is a message, answer or choice in the forms Grade compares.
type text struct {
	// strict is the Normalize form.
	strict string
	// loose is the form without the trimming of surrounding punctuation:
	// it stands in for strict when strict is empty, so that an answer made
	// only of punctuation ("?", "...") can still be matched.
	loose string
	// num is the text read as a number, nil if it is not one.
	num *number
}

func newText(s string) text {
	loose := normalize(s)
	t := text{strict: trimPunct(loose), loose: loose}
	if strings.ContainsAny(loose, "0123456789") {
		if n, ok := parseNumber(loose); ok {
			t.num = &n
		}
	}
	return t
}

func (t text) equal(u text) bool {
	if t.strict == "" || u.strict == "" {
		return t.loose == u.loose
	}
	return t.strict == u.strict
}

// closeTo reports whether t is within the typo allowance of answer a (see
// Grade).
func (t text) closeTo(a text) bool {
	k := maxTypos(a.strict)
	if k == 0 || t.strict == "" {
		return false
	}
	n, m := utf8.RuneCountInString(t.strict), utf8.RuneCountInString(a.strict)
	if n-m > k || m-n > k {
		return false
	}
	return withinDistance([]rune(t.strict), []rune(a.strict), k)
}

// maxTypos returns the edit distance allowed from a normalized answer.
func maxTypos(answer string) int {
	n := 0
	for _, r := range answer {
		if unicode.IsNumber(r) {
			return 0
		}
		n++
	}
	switch {
	case n < 8:
		return 0
	case n < 16:
		return 1
	case n < 32:
		return 2
	default:
		return 3
	}
}

// withinDistance reports whether the optimal-string-alignment distance
// between a and b is at most k. It fills only the diagonal band of width
// 2k+1 of the usual matrix, so its cost is O(len(a)·k).
func withinDistance(a, b []rune, k int) bool {
	n, m := len(a), len(b)
	if n-m > k || m-n > k {
		return false
	}
	big := k + 1 // stands for "more than k"
	prev2 := make([]int, m+1)
	prev := make([]int, m+1)
	cur := make([]int, m+1)
	for j := range prev {
		prev[j] = min(j, big)
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-k), min(m, i+k)
		cur[0] = min(i, big)
		if lo > 1 {
			cur[lo-1] = big
		}
		if hi < m {
			cur[hi+1] = big
		}
		rowMin := cur[0]
		if lo > 1 {
			rowMin = big
		}
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			d = min(d, big)
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > k {
			return false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[m] <= k
}

// Normalize returns the form of s that Grade compares:
//   - invalid UTF-8 is replaced by U+FFFD;
//   - compatibility decomposition (NFKD) and full Unicode case folding, so
//     "Ｐａｒｉｓ", "PARIS" and "paris" are alike, and "Straße" is "strasse";
//   - accents and other combining marks are removed ("Québec" is "quebec"),
//     as are invisible format and control characters;
//   - dashes become a hyphen-minus, typographic apostrophes and double
//     quotes their ASCII forms;
//   - punctuation around the text is removed ("¡París!" is "paris"), except
//     for characters that carry meaning there: # % & * @ / \;
//   - runs of white space become one space, and the ends are trimmed;
//   - the result is recomposed (NFC).
//
// Normalize(Normalize(s)) == Normalize(s) for every s.
func Normalize(s string) string {
	return trimPunct(normalize(s))
}

// normalize does all that Normalize does except removing the surrounding
// punctuation.
func normalize(s string) string {
	if isASCII(s) {
		return normalizeASCII(s)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFKD.String(s)
	s = cases.Fold().String(s)
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
			continue
		case unicode.IsSpace(r) || unicode.Is(unicode.Z, r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r):
			continue
		case r >= utf8.RuneSelf && norm.NFD.PropertiesString(s[i:]).CCC() != 0:
			// A spacing mark that combines (a few Mc characters).
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(mapPunct(foldCherokee(r)))
	}
	return norm.NFC.String(b.String())
}

// normalizeASCII is normalize for ASCII input, where decomposition and
// folding come down to lower-casing.
func normalizeASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c >= '\t' && c <= '\r':
			space = b.Len() > 0
			continue
		case c < ' ' || c == 0x7f:
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '`':
			c = '\''
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldCherokee maps lower-case Cherokee letters to upper case, as Unicode
// case folding does: golang.org/x/text/cases folds them the other way
// round, so that its folding is not idempotent for Cherokee.
func foldCherokee(r rune) rune {
	switch {
	case r >= 0xab70 && r <= 0xabbf:
		return r - 0xab70 + 0x13a0
	case r >= 0x13f8 && r <= 0x13fd:
		return r - 8
	}
	return r
}

// mapPunct maps the variants of a dash, an apostrophe and a double quote to
// their ASCII forms.
func mapPunct(r rune) rune {
	switch r {
	case '`', '\u2018', '\u2019', '\u201a', '\u201b', '\u02bc', '\u2032':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033':
		return '"'
	}
	if r != '-' && unicode.Is(unicode.Pd, r) {
		return '-'
	}
	return r
}

// trimPunct removes the punctuation and white space around s.
func trimPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case ' ':
			return true
		case '#', '%', '&', '*', '@', '/', '\\':
			return false
		}
		return unicode.IsPunct(r)
	})
}
