package notes

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// qa is a question with one answer, for short tables.
func qa(line int, prompt, answer, hint string) Question {
	return Question{Prompt: prompt, Answers: []string{answer}, Hint: hint, Line: line}
}

func TestGenerate(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		opts Options
		want []Question
		dups int
	}{
		{"Highlight", "Paris is the capital of ==France==.", Options{}, []Question{qa(1, "Paris is the capital of [...].", "France", "")}, 0},
		{"AnkiCloze", "The {{c1::mitochondria}} makes ATP.", Options{}, []Question{qa(1, "The [...] makes ATP.", "mitochondria", "")}, 0},
		{"AnkiClozeHint", "Water boils at {{c1::100 °C::temperature}}.", Options{}, []Question{qa(1, "Water boils at [temperature].", "100 °C", "temperature")}, 0},
		{"SameNumberOneQuestion", "{{c1::Romulus}} and {{c1::Remus}} founded {{c2::Rome}}.", Options{}, []Question{
			qa(1, "[...] and [...] founded Rome.", "Romulus, Remus", ""),
			qa(1, "Romulus and Remus founded [...].", "Rome", ""),
		}, 0},
		{"HighlightsEachOwn", "==H== and ==O== make water.", Options{}, []Question{
			qa(1, "[...] and O make water.", "H", ""),
			qa(1, "H and [...] make water.", "O", ""),
		}, 0},
		{"BoldIgnoredByDefault", "The **heart** pumps blood.", Options{}, nil, 0},
		{"BoldAsCloze", "The **heart** pumps blood.", Options{BoldAsCloze: true}, []Question{qa(1, "The [...] pumps blood.", "heart", "")}, 0},
		{"SentenceAroundCloze", "Rome is old. Its founder was {{c1::Romulus}}! Paris is big.", Options{}, []Question{qa(1, "Its founder was [...]!", "Romulus", "")}, 0},
		{"ListMarkerStripped", "- The sun is a ==star==.\n1. Venus is a ==planet==.\n## The ==Moon==", Options{}, []Question{
			qa(1, "The sun is a [...].", "star", ""),
			qa(2, "Venus is a [...].", "planet", ""),
			qa(3, "The [...]", "Moon", ""),
		}, 0},
		{"QuestionAnswer", "Capital of Italy :: Rome", Options{}, []Question{qa(1, "Capital of Italy", "Rome", "")}, 0},
		{"QuestionAnswerBothWays", "chat ::: cat", Options{}, []Question{qa(1, "chat", "cat", ""), qa(1, "cat", "chat", "")}, 0},
		{"ColonsWithoutSpacesAreText", "Use std::vector for ==arrays==.", Options{}, []Question{qa(1, "Use std::vector for [...].", "arrays", "")}, 0},
		{"MultiLine", "What are the\nprimary colours?\n?\nred\nyellow, blue\n\nnext", Options{}, []Question{qa(1, "What are the\nprimary colours?", "red\nyellow, blue", "")}, 0},
		{"InlineCodeIgnored", "Write `==x==` or `{{c1::y}}` for ==clozes==.", Options{}, []Question{qa(1, "Write `==x==` or `{{c1::y}}` for [...].", "clozes", "")}, 0},
		{"InlineCodeQA", "`a :: b` is Haskell", Options{}, nil, 0},
		{"DoubleBacktickCode", "Use ``a ` ==b==`` here", Options{}, nil, 0},
		{"FencedCodeIgnored", "```\n==x== :: y\n{{c1::unclosed\n```\nThe ==end==.", Options{}, []Question{qa(5, "The [...].", "end", "")}, 0},
		{"TildeFenceIgnored", "~~~go\na ::: b\n~~~", Options{}, nil, 0},
		{"InlineMathIgnored", "Euler: $e^{i\\pi} == -1$ and ==Euler==.", Options{}, []Question{qa(1, "Euler: $e^{i\\pi} == -1$ and [...].", "Euler", "")}, 0},
		{"DisplayMathIgnored", "$$\n{{c1::x}} :: y\n$$\nDone ==here==.", Options{}, []Question{qa(4, "Done [...].", "here", "")}, 0},
		{"InlineDisplayMathIgnored", "Sum $$a ==b== c$$ is ==math==.", Options{}, []Question{qa(1, "Sum $$a ==b== c$$ is [...].", "math", "")}, 0},
		{"DollarAmountsAreText", "It costs $5 and $6 in ==France==.", Options{}, []Question{qa(1, "It costs $5 and $6 in [...].", "France", "")}, 0},
		{"EqualsInProseAreText", "a == b is ==equality==.", Options{}, []Question{qa(1, "a == b is [...].", "equality", "")}, 0},
		{"DuplicateSkipped", "Capital of Italy :: Rome\ncapital  of italy :: rome", Options{}, []Question{qa(1, "Capital of Italy", "Rome", "")}, 1},
		{"ExistingSkipped", "Capital of Italy :: Rome\nCapital of Spain :: Madrid", Options{Existing: []Question{{Prompt: "Capital of Italy", Answers: []string{"Rome"}}}}, []Question{qa(2, "Capital of Spain", "Madrid", "")}, 1},
		{"CRLF", "a :: b\r\nc ::: d\r\n", Options{}, []Question{qa(1, "a", "b", ""), qa(2, "c", "d", ""), qa(2, "d", "c", "")}, 0},
		{"NoMarkers", "Just notes.\n\nNothing to ask.", Options{}, nil, 0},
		{"Empty", "", Options{}, nil, 0},
		{"NotAClozeBraces", "Templates use {{name}} and {{cat}}.", Options{}, nil, 0},
		{"ClozeTermWithBrace", "Set {{c1::{1}}} has one element.", Options{}, []Question{qa(1, "Set [...] has one element.", "{1}", "")}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Generate(tt.in, tt.opts)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if !reflect.DeepEqual(res.Questions, tt.want) {
				t.Errorf("questions:\n%#v\nwant:\n%#v", res.Questions, tt.want)
			}
			if res.Duplicates != tt.dups {
				t.Errorf("%d duplicates, want %d", res.Duplicates, tt.dups)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"UnclosedCloze", "ok\n\n\n\n\n\nThe {{c1::mitochondria is here.", 7, "unclosed {{c1:: cloze"},
		{"EmptyCloze", "a\nThe {{c2::}} x", 2, "empty {{c2:: cloze"},
		{"HugeClozeNumber", "{{c123456::x}}", 1, "too large"},
		{"EmptyAnswer", "Question ::", 1, "both sides"},
		{"EmptyQuestion", "x\n\n :: answer", 3, "both sides"},
		{"QuestionMarkWithoutAnswer", "Why?\n?", 2, `"?" line`},
		{"QuestionMarkWithoutQuestion", "?\nBecause.", 1, `"?" line`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(tt.in, Options{})
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("Generate = %v, want a *LineError", err)
			}
			if le.Line != tt.line || !strings.Contains(le.Error(), tt.msg) {
				t.Errorf("error %q, want line %d saying %q", le, tt.line, tt.msg)
			}
		})
	}
}

func TestGenerateSize(t *testing.T) {
	line := "The ==sun== is a star.\n"
	ok := strings.Repeat(line, MaxBytes/len(line))
	res, err := Generate(ok, Options{})
	if err != nil {
		t.Fatalf("Generate(%d bytes): %v", len(ok), err)
	}
	if len(res.Questions) != 1 || res.Duplicates != MaxBytes/len(line)-1 {
		t.Errorf("%d questions, %d duplicates", len(res.Questions), res.Duplicates)
	}
	if _, err := Generate(strings.Repeat("x", MaxBytes+1), Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Generate(1 MiB + 1) = %v, want ErrTooLarge", err)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	in := "{{c2::b}} {{c1::a}} ==c== {{c2::d}}.\nx ::: y\n\nq\n?\na"
	first, err := Generate(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Generate(in, Options{})
		if !reflect.DeepEqual(again, first) {
			t.Fatalf("Generate gave %#v, then %#v", first, again)
		}
	}
	var prompts []string
	for _, q := range first.Questions {
		prompts = append(prompts, q.Prompt)
	}
	want := []string{"[...] a c [...].", "b [...] c d.", "b a [...] d.", "x", "y", "q"}
	if !reflect.DeepEqual(prompts, want) {
		t.Fatalf("prompts %q, want %q", prompts, want)
	}
}

func TestClozes(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []Question
	}{
		{"One", "The {{c1::mitochondria}} makes ATP.", []Question{qa(1, "The [...] makes ATP.", "mitochondria", "")}},
		{"Hint", "Water boils at {{c1::100 °C::temperature}}.", []Question{qa(1, "Water boils at [temperature].", "100 °C", "temperature")}},
		{"NumbersEachOne", "{{c1::Romulus}} and {{c1::Remus}} founded {{c2::Rome}}.", []Question{
			qa(1, "[...] and [...] founded Rome.", "Romulus, Remus", ""),
			qa(1, "Romulus and Remus founded [...].", "Rome", ""),
		}},
		{"SentencesAndLines", "Light travels at about\t{{c1::300,000::number}} km/s. It is {{c2::fast}}.\nSound is {{c1::slower}}.", []Question{
			qa(1, "Light travels at about\t[number] km/s.", "300,000", "number"),
			qa(1, "It is [...].", "fast", ""),
			qa(2, "Sound is [...].", "slower", ""),
		}},
		// Nothing but {{cN::}} is markup in an Anki note.
		{"OtherMarkupIsText", "Use `x` or $5, a == b, ==c==, **d** :: e for {{c3::clozes}}.", []Question{
			qa(1, "Use `x` or $5, a == b, ==c==, **d** :: e for [...].", "clozes", ""),
		}},
		{"CodeDoesNotHideClozes", "`{{c1::code}}` here", []Question{qa(1, "`[...]` here", "code", "")}},
		{"RepeatLeftOut", "The {{c1::sun}} shines. The {{c1::Sun}} shines.", []Question{qa(1, "The [...] shines.", "sun", "")}},
		{"NotACloze", "Text with {{cat}} and {{c::x}}.", nil},
		{"None", "No deletions here.", nil},
		{"Empty", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Clozes(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
	var many strings.Builder
	for n := 1; n <= MaxClozeNumbers+1; n++ {
		fmt.Fprintf(&many, "{{c%d::a}} ", n)
	}
	for _, in := range []string{"ok {{c1::x}}.\nThe {{c2::unclosed.", "The {{c1::}} empty.", "{{c123456::big}}", "fine {{c1::x}}.\n" + many.String()} {
		_, err := Clozes(in)
		var le *LineError
		if !errors.As(err, &le) || le.Msg == "" || le.Line != strings.Count(in, "\n")+1 {
			t.Errorf("Clozes(%q): %v, want a line error on its last line", in, err)
		}
	}
}
