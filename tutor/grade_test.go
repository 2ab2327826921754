package tutor

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/recallhq/recall"
)

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Paris", "paris"},
		{"PARIS", "paris"},
		{"Paris.", "paris"},
		{"¡París!", "paris"},
		{"Québec", "quebec"},
		{"  New \t  York\n City ", "new york city"},
		{"Straße", "strasse"},
		{"ＰＡＲＩＳ", "paris"},                 // full-width
		{"ﬁsh", "fish"},                    // ligature
		{"Cafe\u0301", "cafe"},             // decomposed accent
		{"\u00abHola\u00bb", "hola"},       // guillemets
		{"“Hamlet”", "hamlet"},             // typographic quotes
		{"rock ’n’ roll", "rock 'n' roll"}, // inner apostrophes kept, unified
		{"Jean–Paul", "jean-paul"},         // en dash
		{"zero\u200bwidth", "zerowidth"},   // format character
		{"C#", "c#"},                       // meaningful punctuation kept
		{"50%", "50%"},
		{"...", ""},
		{"(c)", "c"},
		{"b)", "b"},
		{"B.", "b"},
		{"a\u00a0b", "a b"},
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευσ"},
		{"\xffParis\xfe", "\ufffdparis\ufffd"},
	} {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func q(answers ...string) *recall.Question {
	return &recall.Question{ID: "q", Prompt: "?", Answers: answers}
}

func mc(choices []string, answers ...string) *recall.Question {
	return &recall.Question{ID: "q", Prompt: "?", Answers: answers, Choices: choices}
}

func TestGrade(t *testing.T) {
	capitals := []string{"Berlin", "Paris", "Madrid", "Rome"}
	primes := []string{"4", "9", "7", "1"} // choice texts that look like numbers
	for _, tt := range []struct {
		name string
		q    *recall.Question
		msg  string
		want bool
	}{
		{"Exact", q("Paris"), "Paris", true},
		{"Case", q("Paris"), "pARIS", true},
		{"CaseFolding", q("Straße"), "STRASSE", true},
		{"AccentInAnswer", q("Québec"), "quebec", true},
		{"AccentInMessage", q("Quebec"), "Québec", true},
		{"TrailingPunctuation", q("Paris"), "Paris.", true},
		{"SurroundingPunctuation", q("Paris"), "¡París!", true},
		{"QuotedAnswer", q("Paris"), `"Paris"`, true},
		{"WhiteSpace", q("New York City"), "  new   york\tcity \n", true},
		{"FullWidth", q("Paris"), "ＰＡＲＩＳ", true},
		{"Wrong", q("Paris"), "Lyon", false},
		{"PrefixIsWrong", q("Paris"), "Par", false},
		{"SecondAnswer", q("United States", "USA", "U.S.A."), "usa", true},
		{"ThirdAnswer", q("United States", "USA", "U.S.A."), "u.s.a", true},
		{"NoAnswerMatches", q("United States", "USA"), "Canada", false},
		{"TypoLong", q("Mitochondria"), "mitochondira", true},       // swap, 12 runes
		{"TypoLongMissing", q("Mitochondria"), "mitocondria", true}, // deletion
		{"TwoTyposTooMany", q("Mitochondria"), "mitokondrija", false},
		{"TwoTyposLonger", q("Photosynthesis happens"), "photosinthesis happen", true}, // 22 runes: 2 allowed
		{"ThreeTyposLonger", q("Photosynthesis happens"), "photosinthesis hapen", false},
		{"ThreeTyposVeryLong", q("The mitochondria is the powerhouse of the cell"), "the mitocondria is the powerhose of teh cell", true},
		{"FourTyposVeryLong", q("The mitochondria is the powerhouse of the cell"), "the mitocondria is teh powerhose of teh cell", false},
		{"TypoSevenRunes", q("Germany"), "Germnay", false}, // under 8: exact only
		{"TypoShort", q("Rome"), "Rom", false},
		{"TypoTiny", q("Ra"), "Ro", false},
		{"NumberExact", q("1945"), "1945", true},
		{"NumberTypo", q("1945"), "1946", false},
		{"LongNumberTypo", q("299792458 m/s"), "299792459 m/s", false},
		{"DateTypo", q("14 July 1789"), "14 July 1788", false},
		{"Empty", q("Paris"), "", false},
		{"Blank", q("Paris"), " \t\n ", false},
		{"PunctuationOnly", q("Paris"), "?!", false},
		{"PunctuationAnswer", q("?"), "?", true},
		{"PunctuationAnswerWrong", q("?"), "!", false},
		{"NilQuestion", nil, "Paris", false},
		{"NoAnswers", q(), "Paris", false},
		{"InvalidUTF8", q("Paris"), "Par\xffis", false},

		{"ChoiceText", mc(capitals, "Paris"), "paris", true},
		{"ChoiceTextWrong", mc(capitals, "Paris"), "Rome", false},
		{"ChoiceLetter", mc(capitals, "Paris"), "B", true},
		{"ChoiceLetterLower", mc(capitals, "Paris"), "b", true},
		{"ChoiceLetterParen", mc(capitals, "Paris"), "b)", true},
		{"ChoiceLetterParens", mc(capitals, "Paris"), "(b)", true},
		{"ChoiceLetterDot", mc(capitals, "Paris"), "B.", true},
		{"ChoiceLetterWrong", mc(capitals, "Paris"), "A", false},
		{"ChoiceLetterOutOfRange", mc(capitals, "Paris"), "E", false},
		{"ChoiceLetterAndText", mc(capitals, "Paris"), "B) Paris", true},
		{"ChoiceLetterAndOtherText", mc(capitals, "Paris"), "B) Rome", false},
		{"ChoiceNumber", mc(capitals, "Paris"), "2", true},
		{"ChoiceNumberParen", mc(capitals, "Paris"), "2)", true},
		{"ChoiceNumberWrong", mc(capitals, "Paris"), "3", false},
		{"ChoiceNumberZero", mc(capitals, "Paris"), "0", false},
		{"ChoiceNumberOutOfRange", mc(capitals, "Paris"), "5", false},
		{"ChoiceNumberHuge", mc(capitals, "Paris"), "99999999999999999999", false},
		{"ChoiceSeveralAccepted", mc(capitals, "Paris", "Rome"), "d", true},
		{"ChoiceNumberOfNumbers", mc(primes, "9"), "2", true},     // "2" is no choice text: it names the 2nd choice, "9"
		{"ChoiceTextWinsOverNumber2", mc(primes, "4"), "4", true}, // the text "4", not the 4th choice "1"
		{"ChoiceTextWinsOverNumber3", mc(primes, "1"), "1", true}, // the text "1" (4th), not the 1st choice
		{"ChoiceTypo", mc([]string{"Hydrogen", "Helium", "Nitrogen"}, "Nitrogen"), "nitorgen", true},
		{"ChoiceTypoAmbiguous", mc([]string{"Photosynthesis", "Photosynthesys"}, "Photosynthesis"), "photosynthesus", false},
		{"ChoiceEmpty", mc(capitals, "Paris"), "  ", false},
		{"ChoicePlainAnswerNotAChoice", mc(capitals, "Paris", "Paname"), "paname", true},
		{"ChoiceLetterLooksLikeWord", mc([]string{"A", "B", "C"}, "C"), "c", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Grade(tt.q, tt.msg); got != tt.want {
				t.Errorf("Grade(%v, %q) = %v, want %v", tt.q, tt.msg, got, tt.want)
			}
		})
	}
}

func TestParseLabel(t *testing.T) {
	for _, tt := range []struct {
		in    string
		n     int
		index int
		rest  string
		ok    bool
	}{
		{"a", 4, 0, "", true},
		{"d", 4, 3, "", true},
		{"e", 4, 0, "", false},
		{"1", 4, 0, "", true},
		{"10", 10, 9, "", true},
		{"11", 10, 0, "", false},
		{"0", 4, 0, "", false},
		{"b) paris", 4, 1, "paris", true},
		{"b paris", 4, 1, "paris", true},
		{"2.rome", 4, 1, "rome", true},
		{"bx", 4, 0, "", false},
		{"b)", 4, 1, "", true}, // Normalize removes the ')' first, but a bare label with it is a label too
		{"123", 200, 0, "", false},
		{"", 4, 0, "", false},
		{"é", 4, 0, "", false},
	} {
		index, rest, ok := parseLabel(tt.in, tt.n)
		if index != tt.index || rest != tt.rest || ok != tt.ok {
			t.Errorf("parseLabel(%q, %d) = %d, %q, %v; want %d, %q, %v", tt.in, tt.n, index, rest, ok, tt.index, tt.rest, tt.ok)
		}
	}
}

// osa is the textbook optimal-string-alignment distance, the reference for
// the banded withinDistance.
func osa(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestWithinDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		k    int
		want bool
	}{
		{"abc", "abc", 0, true},
		{"abc", "acb", 1, true}, // a swap is one edit
		{"abc", "acb", 0, false},
		{"kitten", "sitting", 3, true},
		{"kitten", "sitting", 2, false},
		{"", "ab", 2, true},
		{"", "abc", 2, false},
		{"ca", "abc", 2, false}, // OSA distance 3
	} {
		if got := withinDistance([]rune(tt.a), []rune(tt.b), tt.k); got != tt.want {
			t.Errorf("withinDistance(%q, %q, %d) = %v, want %v", tt.a, tt.b, tt.k, got, tt.want)
		}
	}
	// Random strings over a small alphabet, so that distances are small
	// and swaps common, checked against the full matrix.
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() []rune {
		r := make([]rune, rng.IntN(12))
		for i := range r {
			r[i] = rune('a' + rng.IntN(3))
		}
		return r
	}
	for range 20000 {
		a, b, k := word(), word(), rng.IntN(4)
		if got, want := withinDistance(a, b, k), osa(a, b) <= k; got != want {
			t.Fatalf("withinDistance(%q, %q, %d) = %v, distance is %d", string(a), string(b), k, got, osa(a, b))
		}
	}
}

func BenchmarkGrade(b *testing.B) {
	long := q("The Treaty of Westphalia", "Peace of Westphalia")
	for _, bb := range []struct {
		name string
		q    *recall.Question
		msg  string
	}{
		{"Exact", q("Paris", "Paname"), "paris"},
		{"ExactAccents", q("Québec"), "Quebec!"},
		{"Fuzzy", long, "the treaty of westfalia"},
		{"FuzzyMiss", long, "the congress of vienna"},
		{"MultipleChoiceLetter", mc([]string{"Berlin", "Paris", "Madrid", "Rome"}, "Paris"), "b)"},
		{"MultipleChoiceText", mc([]string{"Berlin", "Paris", "Madrid", "Rome"}, "Paris"), "Madrid"},
		{"LongMessage", long, strings.Repeat("westphalia ", 180)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Grade(bb.q, bb.msg)
			}
		})
	}
}
