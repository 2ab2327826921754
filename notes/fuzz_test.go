package notes

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzGenerate checks that Generate never panics, is deterministic, and
// makes questions with a prompt, an answer, a line of the notes and no
// duplicates.
func FuzzGenerate(f *testing.F) {
	f.Add("The {{c1::mitochondria::organelle}} makes ==ATP==.", false)
	f.Add("a ::: b\n\nq\n?\na", true)
	f.Add("Light travels at {{c1::300,000 km/s::speed}}. It is {{c2::fast}}.\n`{{c1::x}}` $a$ ==b==", false)
	f.Add("{{c1::a}} {{c1::b::h}} {{c2::c}}}}", false)
	f.Fuzz(func(t *testing.T, in string, bold bool) {
		checkClozes(t, in)
		res, err := Generate(in, Options{BoldAsCloze: bold})
		again, err2 := Generate(in, Options{BoldAsCloze: bold})
		if !reflect.DeepEqual(res, again) || (err == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %v, %v", err, err2)
		}
		if err != nil {
			return
		}
		lines := strings.Count(in, "\n") + 1
		seen := map[string]bool{}
		for _, q := range res.Questions {
			if strings.TrimSpace(q.Prompt) == "" || len(q.Answers) == 0 || strings.TrimSpace(q.Answers[0]) == "" {
				t.Fatalf("empty question %#v", q)
			}
			if q.Line < 1 || q.Line > lines {
				t.Fatalf("question %#v on line %d of %d", q, q.Line, lines)
			}
			if k := key(q); seen[k] {
				t.Fatalf("duplicate %#v", q)
			} else {
				seen[k] = true
			}
		}
	})
}

// checkClozes checks what Clozes makes of in: deterministic, and questions
// with a prompt, an answer, a line of the text and no duplicates.
func checkClozes(t *testing.T, in string) {
	qs, err := Clozes(in)
	again, err2 := Clozes(in)
	if !reflect.DeepEqual(qs, again) || (err == nil) != (err2 == nil) {
		t.Fatalf("Clozes not deterministic: %v, %v", err, err2)
	}
	lines := strings.Count(in, "\n") + 1
	seen := map[string]bool{}
	for _, q := range qs {
		if strings.TrimSpace(q.Prompt) == "" || len(q.Answers) != 1 || strings.TrimSpace(q.Answers[0]) == "" || q.Line < 1 || q.Line > lines {
			t.Fatalf("Clozes made %#v of a text of %d lines", q, lines)
		}
		if k := key(q); seen[k] {
			t.Fatalf("Clozes made %#v twice", q)
		} else {
			seen[k] = true
		}
	}
}
