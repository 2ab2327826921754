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
	f.Fuzz(func(t *testing.T, in string, bold bool) {
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
