package tutor

import (
	"math"
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
	num := func(s NumericSpec) []Option { return []Option{WithNumeric(s)} }
	for _, tt := range []struct {
		name string
		q    *recall.Question
		msg  string
		want bool
		opts []Option
	}{
		{"Exact", q("Paris"), "Paris", true, nil},
		{"Case", q("Paris"), "pARIS", true, nil},
		{"CaseFolding", q("Straße"), "STRASSE", true, nil},
		{"AccentInAnswer", q("Québec"), "quebec", true, nil},
		{"AccentInMessage", q("Quebec"), "Québec", true, nil},
		{"TrailingPunctuation", q("Paris"), "Paris.", true, nil},
		{"SurroundingPunctuation", q("Paris"), "¡París!", true, nil},
		{"QuotedAnswer", q("Paris"), `"Paris"`, true, nil},
		{"WhiteSpace", q("New York City"), "  new   york\tcity \n", true, nil},
		{"FullWidth", q("Paris"), "ＰＡＲＩＳ", true, nil},
		{"Wrong", q("Paris"), "Lyon", false, nil},
		{"PrefixIsWrong", q("Paris"), "Par", false, nil},
		{"SecondAnswer", q("United States", "USA", "U.S.A."), "usa", true, nil},
		{"ThirdAnswer", q("United States", "USA", "U.S.A."), "u.s.a", true, nil},
		{"NoAnswerMatches", q("United States", "USA"), "Canada", false, nil},
		{"TypoLong", q("Mitochondria"), "mitochondira", true, nil},       // swap, 12 runes
		{"TypoLongMissing", q("Mitochondria"), "mitocondria", true, nil}, // deletion
		{"TwoTyposTooMany", q("Mitochondria"), "mitokondrija", false, nil},
		{"TwoTyposLonger", q("Photosynthesis happens"), "photosinthesis happen", true, nil}, // 22 runes: 2 allowed
		{"ThreeTyposLonger", q("Photosynthesis happens"), "photosinthesis hapen", false, nil},
		{"ThreeTyposVeryLong", q("The mitochondria is the powerhouse of the cell"), "the mitocondria is the powerhose of teh cell", true, nil},
		{"FourTyposVeryLong", q("The mitochondria is the powerhouse of the cell"), "the mitocondria is teh powerhose of teh cell", false, nil},
		{"TypoSevenRunes", q("Germany"), "Germnay", false, nil}, // under 8: exact only
		{"TypoShort", q("Rome"), "Rom", false, nil},
		{"TypoTiny", q("Ra"), "Ro", false, nil},
		{"NumberExact", q("1945"), "1945", true, nil},
		{"NumberTypo", q("1945"), "1946", false, nil},
		{"LongNumberTypo", q("299792458 m/s"), "299792459 m/s", false, nil},
		{"DateTypo", q("14 July 1789"), "14 July 1788", false, nil},
		{"Empty", q("Paris"), "", false, nil},
		{"Blank", q("Paris"), " \t\n ", false, nil},
		{"PunctuationOnly", q("Paris"), "?!", false, nil},
		{"PunctuationAnswer", q("?"), "?", true, nil},
		{"PunctuationAnswerWrong", q("?"), "!", false, nil},
		{"NilQuestion", nil, "Paris", false, nil},
		{"NoAnswers", q(), "Paris", false, nil},
		{"InvalidUTF8", q("Paris"), "Par\xffis", false, nil},

		{"ChoiceText", mc(capitals, "Paris"), "paris", true, nil},
		{"ChoiceTextWrong", mc(capitals, "Paris"), "Rome", false, nil},
		{"ChoiceLetter", mc(capitals, "Paris"), "B", true, nil},
		{"ChoiceLetterLower", mc(capitals, "Paris"), "b", true, nil},
		{"ChoiceLetterParen", mc(capitals, "Paris"), "b)", true, nil},
		{"ChoiceLetterParens", mc(capitals, "Paris"), "(b)", true, nil},
		{"ChoiceLetterDot", mc(capitals, "Paris"), "B.", true, nil},
		{"ChoiceLetterWrong", mc(capitals, "Paris"), "A", false, nil},
		{"ChoiceLetterOutOfRange", mc(capitals, "Paris"), "E", false, nil},
		{"ChoiceLetterAndText", mc(capitals, "Paris"), "B) Paris", true, nil},
		{"ChoiceLetterAndOtherText", mc(capitals, "Paris"), "B) Rome", false, nil},
		{"ChoiceNumber", mc(capitals, "Paris"), "2", true, nil},
		{"ChoiceNumberParen", mc(capitals, "Paris"), "2)", true, nil},
		{"ChoiceNumberWrong", mc(capitals, "Paris"), "3", false, nil},
		{"ChoiceNumberZero", mc(capitals, "Paris"), "0", false, nil},
		{"ChoiceNumberOutOfRange", mc(capitals, "Paris"), "5", false, nil},
		{"ChoiceNumberHuge", mc(capitals, "Paris"), "99999999999999999999", false, nil},
		{"ChoiceSeveralAccepted", mc(capitals, "Paris", "Rome"), "d", true, nil},
		{"ChoiceNumberOfNumbers", mc(primes, "9"), "2", true, nil},     // "2" is no choice text: it names the 2nd choice, "9"
		{"ChoiceTextWinsOverNumber2", mc(primes, "4"), "4", true, nil}, // the text "4", not the 4th choice "1"
		{"ChoiceTextWinsOverNumber3", mc(primes, "1"), "1", true, nil}, // the text "1" (4th), not the 1st choice
		{"ChoiceTypo", mc([]string{"Hydrogen", "Helium", "Nitrogen"}, "Nitrogen"), "nitorgen", true, nil},
		{"ChoiceTypoAmbiguous", mc([]string{"Photosynthesis", "Photosynthesys"}, "Photosynthesis"), "photosynthesus", false, nil},
		{"ChoiceEmpty", mc(capitals, "Paris"), "  ", false, nil},
		{"ChoicePlainAnswerNotAChoice", mc(capitals, "Paris", "Paname"), "paname", true, nil},
		{"ChoiceLetterLooksLikeWord", mc([]string{"A", "B", "C"}, "C"), "c", true, nil},

		// Numbers compare by value.
		{"NumLeadingDot", q("0.5"), ".5", true, nil},
		{"NumLeadingDotInAnswer", q(".5"), "0.5", true, nil},
		{"NumDecimalComma", q("0.5"), "0,5", true, nil},
		{"NumDecimalCommaInAnswer", q("3,14"), "3.14", true, nil},
		{"NumFraction", q("0.5"), "1/2", true, nil},
		{"NumFractionInAnswer", q("3/4"), "0.75", true, nil},
		{"NumFractionEquivalent", q("2/4"), "1/2", true, nil},
		{"NumFractionUnequal", q("1/3"), "0.33", false, nil},
		{"NumFractionRepeatingNotExact", q("1/3"), "0.3333333333333333", false, nil},
		{"NumFractionByZero", q("1/0"), "1/0", true, nil}, // not a number: compared as text
		{"NumFractionByZeroOther", q("1/0"), "2/0", false, nil},
		{"NumMixedFraction", q("1.5"), "1 1/2", true, nil},
		{"NumMixedFractionInAnswer", q("2 3/4"), "2.75", true, nil},
		{"NumUnicodeFraction", q("0.5"), "½", true, nil},
		{"NumTrailingZeros", q("2.50"), "2.5", true, nil},
		{"NumTrailingDecimalPoint", q("7"), "7.", true, nil},
		{"NumLeadingZeros", q("7"), "007", true, nil},
		{"NumIntegerAsDecimal", q("12"), "12.0", true, nil},
		{"NumThousandsComma", q("1000"), "1,000", true, nil},
		{"NumThousandsCommaInAnswer", q("1,000"), "1000", true, nil},
		{"NumThousandsSpace", q("1000000"), "1 000 000", true, nil},
		{"NumThousandsNoBreakSpace", q("1000000"), "1\u00a0000\u00a0000", true, nil},
		{"NumThousandsNarrowSpace", q("25000"), "25\u202f000", true, nil},
		{"NumThousandsApostrophe", q("1000000"), "1'000'000", true, nil},
		{"NumThousandsDots", q("1000000"), "1.000.000", true, nil},
		{"NumThousandsCommas", q("1000000"), "1,000,000", true, nil},
		{"NumThousandsAndDecimal", q("1234.5"), "1,234.5", true, nil},
		{"NumThousandsDotsDecimalComma", q("1234567.89"), "1.234.567,89", true, nil},
		{"NumThousandsSpaceDecimalComma", q("1234.5"), "1 234,5", true, nil},
		{"NumSingleDotIsDecimal", q("1000"), "1.000", false, nil},
		{"NumSingleDotIsDecimalOne", q("1"), "1.000", true, nil},
		{"NumCommaThreeDigitsIsThousands", q("1.0"), "1,000", false, nil},
		{"NumZeroCommaIsDecimal", q("0.5"), "0,500", true, nil},
		{"NumCommaFourDigitsIsDecimal", q("1.2345"), "1,2345", true, nil},
		{"NumCommaAfterFourDigitsIsDecimal", q("1234.567"), "1234,567", true, nil},
		{"NumBadGroupsAreText", q("1000"), "1,00,0", false, nil},
		{"NumBadGroupsMatchAsText", q("1,00,0"), "1,00,0", true, nil},
		{"NumTwoDecimalMarks", q("1.5"), "1.5.0", false, nil},
		{"NumNegative", q("-5"), "-5", true, nil},
		{"NumNegativeMinusSign", q("-5"), "\u22125", true, nil},
		{"NumNegativeEnDash", q("-5"), "\u20135", true, nil},
		{"NumSignMatters", q("-5"), "5", false, nil},
		{"NumSignMattersOtherWay", q("5"), "-5", false, nil},
		{"NumPlusSign", q("5"), "+5", true, nil},
		{"NumNegativeFraction", q("-0.25"), "-1/4", true, nil},
		{"NumNegativeZero", q("0"), "-0", true, nil},
		{"NumNegativeDecimalNoZero", q("-0.5"), "-.5", true, nil},
		{"NumScientific", q("1000"), "1e3", true, nil},
		{"NumScientificUpper", q("1000"), "1E3", true, nil},
		{"NumScientificNegative", q("0.0025"), "2.5e-3", true, nil},
		{"NumScientificPlus", q("1500"), "1.5e+3", true, nil},
		{"NumScientificTimes", q("3e8"), "3×10^8", true, nil},
		{"NumScientificX", q("300000000"), "3 x 10^8", true, nil},
		{"NumScientificStar", q("3e8"), "3*10^8", true, nil},
		{"NumScientificWrongExponent", q("3e8"), "3e9", false, nil},
		{"NumHugeExponentIsText", q("1e999999"), "1e999999", true, nil},
		{"NumHugeExponentOther", q("1e999999"), "1e999998", false, nil},
		{"NumNeverFuzzy", q("15"), "16", false, nil},
		{"NumNeverFuzzyLong", q("123456789"), "123456780", false, nil},
		{"NumNeverFuzzyDecimal", q("3.14159265"), "3.14159266", false, nil},
		{"NumExtraDigit", q("1945"), "19450", false, nil},
		{"NumWordIsNotNumber", q("5"), "five", false, nil},
		{"NumSurroundingPunctuation", q("42"), "(42)", true, nil},
		{"NumSentenceEnd", q("42"), "42!", true, nil},
		{"NumQuoted", q("0.5"), "\".5\"", true, nil},
		{"NumEllipsisBeforeIsDecimal", q("5"), "...5", false, nil},
		{"NumLongNumberExact", q("299792458"), "299,792,458", true, nil},
		{"NumManyDigits", q("3.14159265358979323846264338327950288"), "3.14159265358979323846264338327950288", true, nil},
		{"NumManyDigitsLastDiffers", q("3.14159265358979323846264338327950288"), "3.14159265358979323846264338327950289", false, nil},
		{"NumTime", q("3:45"), "3:45", true, nil},
		{"NumTimeOther", q("3:45"), "3:46", false, nil},
		{"NumDate", q("1/2/2020"), "1/2/2020", true, nil},
		{"NumDateNotFraction", q("1/2/2020"), "0.5/2020", false, nil},
		{"NumRange", q("1939-1945"), "1939-1945", true, nil},
		{"NumRangeWrong", q("1939-1945"), "1939", false, nil},
		{"NumDateWords", q("14 July 1789"), "14 july 1789", true, nil},

		// Percentages.
		{"PercentExact", q("50%"), "50%", true, nil},
		{"PercentSpace", q("50%"), "50 %", true, nil},
		{"PercentWord", q("50%"), "50 percent", true, nil},
		{"PercentAsFraction", q("50%"), "0.5", true, nil},
		{"PercentAsFractionSlash", q("25%"), "1/4", true, nil},
		{"PercentNumberOnly", q("50%"), "50", true, nil},
		{"PercentFromFraction", q("0.5"), "50%", true, nil},
		{"PercentFromFractionWrong", q("0.5"), "0.5%", false, nil},
		{"PercentWrong", q("50%"), "40%", false, nil},
		{"PercentTolerance", q("50%"), "0.49", true, num(NumericSpec{AbsTol: 1})},

		// Units.
		{"UnitSpace", q("5 km"), "5km", true, nil},
		{"UnitSpaceInAnswer", q("5km"), "5 km", true, nil},
		{"UnitCase", q("5 km"), "5 KM", true, nil},
		{"UnitValue", q("5 km"), "5.0 km", true, nil},
		{"UnitOther", q("5 km"), "5 m", false, nil},
		{"UnitWrongValue", q("5 km"), "6 km", false, nil},
		{"UnitImplied", q("5 km"), "5", true, nil},
		{"UnitNotGiven", q("5"), "5 km", false, nil},
		{"UnitFromSpec", q("5"), "5 km", true, num(NumericSpec{Unit: "km"})},
		{"UnitFromSpecSpaces", q("5"), "5km", true, num(NumericSpec{Unit: " KM "})},
		{"UnitFromSpecOther", q("5"), "5 m", false, num(NumericSpec{Unit: "km"})},
		{"UnitFromSpecImplied", q("5"), "5", true, num(NumericSpec{Unit: "km"})},
		{"UnitAnswerWinsOverSpec", q("5 m"), "5 km", false, num(NumericSpec{Unit: "km"})},
		{"UnitCompound", q("9.81 m/s^2"), "9.81 m/s^2", true, nil},
		{"UnitSuperscript", q("20 m²"), "20 m2", true, nil},
		{"UnitDegrees", q("90°"), "90 °", true, nil},
		{"UnitDegreesCelsius", q("100 °C"), "100°c", true, nil},
		{"UnitNotConverted", q("5 km"), "5000 m", false, nil},
		{"UnitCurrencyBefore", q("$5"), "$ 5.00", true, nil},
		{"UnitCurrencyAfter", q("5 €"), "5€", true, nil},
		{"UnitCurrencyOther", q("$5"), "€5", false, nil},
		{"UnitCurrencyNegative", q("-$5"), "$-5", true, nil},
		{"UnitThousandsAndUnit", q("1,500 km"), "1500km", true, nil},
		{"UnitScientific", q("3e8 m/s"), "300,000,000 m/s", true, nil},
		{"UnitWordsDiffer", q("2 apples"), "2 pears", false, nil},
		{"UnitLongWords", q("4 chambers"), "4 chambres", false, nil}, // no typos next to a number

		// Tolerances.
		{"TolAbsInside", q("3.1416"), "3.14", true, num(NumericSpec{AbsTol: 0.01})},
		{"TolAbsEdge", q("10"), "10.5", true, num(NumericSpec{AbsTol: 0.5})},
		{"TolAbsOutside", q("3.1416"), "3.13", false, num(NumericSpec{AbsTol: 0.01})},
		{"TolAbsBelow", q("10"), "9.5", true, num(NumericSpec{AbsTol: 0.5})},
		{"TolRelInside", q("1000"), "1040", true, num(NumericSpec{RelTol: 0.05})},
		{"TolRelEdge", q("200"), "190", true, num(NumericSpec{RelTol: 0.05})},
		{"TolRelOutside", q("1000"), "1060", false, num(NumericSpec{RelTol: 0.05})},
		{"TolRelNegative", q("-100"), "-104", true, num(NumericSpec{RelTol: 0.05})},
		{"TolRelZeroAnswer", q("0"), "0.001", false, num(NumericSpec{RelTol: 0.5})},
		{"TolEither", q("0"), "0.001", true, num(NumericSpec{AbsTol: 0.01, RelTol: 0.5})},
		{"TolWithUnit", q("9.81 m/s^2"), "9.8 m/s^2", true, num(NumericSpec{AbsTol: 0.05})},
		{"TolWithWrongUnit", q("9.81 m/s^2"), "9.8 km/s^2", false, num(NumericSpec{AbsTol: 0.05})},
		{"TolFraction", q("1/3"), "0.33", true, num(NumericSpec{AbsTol: 0.005})},
		{"TolNotForText", q("Paris"), "Pari", false, num(NumericSpec{AbsTol: 100})},
		{"TolNegativeIgnored", q("5"), "6", false, num(NumericSpec{AbsTol: -2})},
		{"TolNaNIgnored", q("5"), "6", false, num(NumericSpec{AbsTol: math.NaN(), RelTol: math.NaN()})},
		{"TolInfIgnored", q("5"), "600", false, num(NumericSpec{AbsTol: math.Inf(1)})},
		{"TolWordStillWrong", q("5"), "five", false, num(NumericSpec{AbsTol: 1})},

		// Alternatives written "a / b".
		{"AltFirst", q("Paris / Paname"), "paris", true, nil},
		{"AltSecond", q("Paris / Paname"), "Paname", true, nil},
		{"AltWhole", q("Paris / Paname"), "Paris / Paname", true, nil},
		{"AltNeither", q("Paris / Paname"), "Lyon", false, nil},
		{"AltNumbers", q("2 / 3"), "3", true, nil},
		{"AltNumbersByValue", q("0.5 / 2"), ".5", true, nil},
		{"AltNotAFraction", q("2 / 3"), "0.6667", false, nil},
		{"FractionNoSpacesNotAlt", q("2/3"), "2", false, nil},
		{"AltThree", q("red / green / blue"), "green", true, nil},
		{"AltTypo", q("Mitochondria / Powerhouse"), "mitochondira", true, nil},
		{"AltPunctuation", q("Paris. / (Paname)"), "paname", true, nil},
		{"AltUnits", q("5 km / 5000 m"), "5000m", true, nil},
		{"AltPartIsPrefixOnly", q("Paris / Paname"), "paris / lyon", false, nil},

		// Multiple choice with numbers.
		{"ChoiceNumberByValue", mc([]string{"0.25", "0.5", "0.75"}, "0.5"), ".5", true, nil},
		{"ChoiceNumberByValueWrong", mc([]string{"0.25", "0.5", "0.75"}, "0.5"), ".75", false, nil},
		{"ChoiceFractionByValue", mc([]string{"1/4", "1/2"}, "1/2"), "0.5", true, nil},
		{"ChoiceNumberTextBeforeLabel", mc([]string{"3", "2.0", "1"}, "2.0"), "2", true, nil}, // the text "2.0", not the 2nd choice
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Grade(tt.q, tt.msg, tt.opts...); got != tt.want {
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

func TestNumericSpecValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec NumericSpec
		ok   bool
	}{
		{"Zero", NumericSpec{}, true},
		{"Full", NumericSpec{AbsTol: 0.5, RelTol: 0.05, Unit: "km/h"}, true},
		{"NegativeAbs", NumericSpec{AbsTol: -1}, false},
		{"InfiniteAbs", NumericSpec{AbsTol: math.Inf(1)}, false},
		{"NaNRel", NumericSpec{RelTol: math.NaN()}, false},
		{"RelOverOne", NumericSpec{RelTol: 1.5}, false},
		{"LongUnit", NumericSpec{Unit: strings.Repeat("m", MaxUnitLength+1)}, false},
		{"UnitStartsWithDigit", NumericSpec{Unit: "2m"}, false},
		{"InvalidUTF8Unit", NumericSpec{Unit: "\xff"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
