package tutor

import (
	"testing"

	"github.com/recallhq/recall"
)

// FuzzGradeAnswer checks that typing an accepted answer exactly as it was
// written is always right (if anything is left of it once normalised), as a
// typed answer and as the text of a multiple-choice option, and that a blank
// message never is.
func FuzzGradeAnswer(f *testing.F) {
	for _, s := range []string{"Paris", "1945", "N'Djamena", "C#", "São Paulo", "ΣΑΣ", "b)", "A", "2", "...", "ﬁne", "a\u0301", "\xff", "-5", ".5", "1,000", "1/2", "5 km", "50%", "Paris / Paname", "1 / 2", "1e999999", "$5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		q := &recall.Question{Prompt: "?", Answers: []string{answer}}
		if Grade(q, "") || Grade(q, "   ") {
			t.Fatalf("a blank message was right for %q", answer)
		}
		if newText(answer).loose == "" {
			return
		}
		if !Grade(q, answer) {
			t.Fatalf("the answer %q, typed as written, was wrong", answer)
		}
		other := "zzz other choice"
		if newText(other).equal(newText(answer)) {
			return
		}
		q.Choices = []string{other, answer}
		if !Grade(q, answer) {
			t.Fatalf("the choice %q, typed as written, was wrong", answer)
		}
	})
}
