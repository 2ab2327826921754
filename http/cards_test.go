package http

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/notes"
)

// bankQuestion is a question as the tests compare banks: its text and
// grading fields, not its id or times.
type bankQuestion struct {
	Prompt      string   `json:"prompt"`
	Answers     []string `json:"answers"`
	Choices     []string `json:"choices"`
	Explanation string   `json:"explanation"`
	Hint        string   `json:"hint"`
	AbsTol      float64  `json:"abs_tol"`
	RelTol      float64  `json:"rel_tol"`
	Unit        string   `json:"unit"`
	ID          string   `json:"id"`
}

// bank returns a topic's questions in bank order.
func (e *env) bank(token, topicID string) []bankQuestion {
	e.tb.Helper()
	var out struct {
		Questions []bankQuestion `json:"questions"`
	}
	e.do(req{method: "GET", path: "/v1/topics/" + topicID + "/questions", token: token}).want(e.tb, 200, &out)
	return out.Questions
}

// withoutIDs returns the bank with its ids cleared.
func withoutIDs(qs []bankQuestion) []bankQuestion {
	out := append([]bankQuestion(nil), qs...)
	for i := range out {
		out[i].ID = ""
	}
	return out
}

func TestQuestionTolerance(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "Physics")
	var created struct {
		Questions []bankQuestion `json:"questions"`
	}
	e.do(req{method: "POST", path: "/v1/topics/" + tid + "/questions", token: tok, body: map[string]any{"questions": []any{
		map[string]any{"prompt": "What is pi?", "answers": []string{"3.1416"}, "abs_tol": 0.01},
		map[string]any{"prompt": "How far is it to the station?", "answers": []string{"5"}, "unit": " km ", "rel_tol": 0.1},
		map[string]any{"prompt": "Exact?", "answers": []string{"12"}},
	}}}).want(t, 201, &created)
	got := withoutIDs(created.Questions)
	want := []bankQuestion{
		{Prompt: "What is pi?", Answers: []string{"3.1416"}, AbsTol: 0.01},
		{Prompt: "How far is it to the station?", Answers: []string{"5"}, Unit: "km", RelTol: 0.1},
		{Prompt: "Exact?", Answers: []string{"12"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("created %+v, want %+v", got, want)
	}
	if b := e.do(req{method: "GET", path: "/v1/topics/" + tid + "/questions/" + created.Questions[2].ID, token: tok}).want(t, 200, nil).body; strings.Contains(string(b), "tol") || strings.Contains(string(b), "unit") {
		t.Errorf("a question without tolerance shows one: %s", b)
	}

	t.Run("Invalid", func(t *testing.T) {
		for name, tt := range map[string]struct {
			q     map[string]any
			field string
		}{
			"NegativeAbsTol":   {map[string]any{"prompt": "p", "answers": []string{"1"}, "abs_tol": -0.5}, "questions[0].abs_tol"},
			"RelTolOverOne":    {map[string]any{"prompt": "p", "answers": []string{"1"}, "rel_tol": 1.5}, "questions[0].rel_tol"},
			"UnitStartsDigit":  {map[string]any{"prompt": "p", "answers": []string{"1"}, "unit": "2km"}, "questions[0].unit"},
			"UnitTooLong":      {map[string]any{"prompt": "p", "answers": []string{"1"}, "unit": strings.Repeat("m", recall.MaxUnitLength+1)}, "questions[0].unit"},
			"OnMultipleChoice": {map[string]any{"prompt": "p", "answers": []string{"1"}, "choices": []string{"1", "2"}, "abs_tol": 1}, "questions[0].abs_tol"},
			"AbsTolNotNumber":  {map[string]any{"prompt": "p", "answers": []string{"1"}, "abs_tol": "0.1"}, "questions.abs_tol"},
		} {
			t.Run(name, func(t *testing.T) {
				r := e.do(req{method: "POST", path: "/v1/topics/" + tid + "/questions", token: tok, body: map[string]any{"questions": []any{tt.q}}})
				ej := r.wantError(t, 400, recall.EINVALID)
				if _, ok := ej.Fields[tt.field]; !ok {
					t.Errorf("fields %v do not name %s", ej.Fields, tt.field)
				}
			})
		}
		// A PATCH that makes a question with a unit multiple choice.
		r := e.do(req{method: "PATCH", path: "/v1/topics/" + tid + "/questions/" + created.Questions[1].ID, token: tok,
			body: map[string]any{"choices": []string{"5", "6"}}})
		if ej := r.wantError(t, 400, recall.EINVALID); ej.Fields["unit"] == "" {
			t.Errorf("fields %v do not name unit", ej.Fields)
		}
	})

	t.Run("Patch", func(t *testing.T) {
		var out struct {
			Question bankQuestion `json:"question"`
		}
		e.do(req{method: "PATCH", path: "/v1/topics/" + tid + "/questions/" + created.Questions[2].ID, token: tok,
			body: map[string]any{"abs_tol": 0.5, "unit": "kg"}}).want(t, 200, &out)
		if out.Question.AbsTol != 0.5 || out.Question.Unit != "kg" || out.Question.RelTol != 0 {
			t.Errorf("patched %+v", out.Question)
		}
		out.Question = bankQuestion{}
		e.do(req{method: "PATCH", path: "/v1/topics/" + tid + "/questions/" + created.Questions[2].ID, token: tok,
			body: map[string]any{"abs_tol": 0, "unit": ""}}).want(t, 200, &out)
		if out.Question.AbsTol != 0 || out.Question.Unit != "" {
			t.Errorf("cleared %+v", out.Question)
		}
	})

	t.Run("Graded", func(t *testing.T) {
		for _, tt := range []struct {
			answers []string
			correct []bool
		}{
			{[]string{"3.14", "5 km", "12"}, []bool{true, true, true}},
			{[]string{"3.1", "4.6", "12.0"}, []bool{false, true, true}},
			{[]string{"3.15", "5 m", "11.9"}, []bool{true, false, false}},
		} {
			s := e.startSession(tok, tid, 3)
			for i, a := range tt.answers {
				var tr turnResp
				e.do(req{method: "POST", path: "/v1/sessions/" + s.ID + "/turns", token: tok, body: map[string]string{"message": a}}).want(t, 200, &tr)
				if tr.Turn.Correct == nil || *tr.Turn.Correct != tt.correct[i] {
					t.Errorf("answer %q to question %d: correct %v, want %v (%s)", a, i, tr.Turn.Correct, tt.correct[i], tr.Turn.Reply)
				}
			}
		}
	})
}

// generated is the body of a generate response.
type generated struct {
	DryRun     bool `json:"dry_run"`
	Duplicates int  `json:"duplicates"`
	Questions  []struct {
		Line    int      `json:"line"`
		ID      string   `json:"id"`
		Prompt  string   `json:"prompt"`
		Answers []string `json:"answers"`
		Hint    string   `json:"hint"`
	} `json:"questions"`
}

func TestGenerateQuestions(t *testing.T) {
	e := newCachedEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "Biology")
	path := "/v1/topics/" + tid + "/questions/generate"
	const note = "# Cells\n\nThe {{c1::mitochondria::organelle}} makes ==ATP==.\n\n" +
		"The **nucleus** holds DNA.\n\n- Capital of Italy :: Rome\n- chat ::: cat\n\n" +
		"Name the primary colours\n?\nred, yellow, blue\n\n```\n==not== :: a card\n```\n"

	var dry generated
	e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": note, "dry_run": true}}).want(t, 200, &dry)
	if !dry.DryRun || len(dry.Questions) != 6 || dry.Questions[0].ID != "" {
		t.Fatalf("dry run: %+v", dry)
	}
	if len(e.bank(tok, tid)) != 0 {
		t.Fatal("a dry run added questions")
	}
	wantLines := []int{3, 3, 7, 8, 8, 10}
	for i, g := range dry.Questions {
		if g.Line != wantLines[i] {
			t.Errorf("question %d %q from line %d, want %d", i, g.Prompt, g.Line, wantLines[i])
		}
	}
	if q := dry.Questions[0]; q.Prompt != "The [organelle] makes ATP." || q.Answers[0] != "mitochondria" || q.Hint != "organelle" {
		t.Errorf("cloze with hint: %+v", q)
	}

	var made generated
	e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": note, "bold_as_cloze": true}}).want(t, 201, &made)
	if len(made.Questions) != 7 {
		t.Fatalf("made %d questions, want 7 (bold as cloze): %+v", len(made.Questions), made)
	}
	bank := e.bank(tok, tid)
	if len(bank) != 7 {
		t.Fatalf("bank of %d, want 7", len(bank))
	}
	for i, g := range made.Questions {
		if g.ID == "" || g.ID != bank[i].ID || g.Prompt != bank[i].Prompt || bank[i].Hint != g.Hint {
			t.Errorf("made %+v, bank has %+v", g, bank[i])
		}
	}

	// Again, from an edited note: the unchanged questions are duplicates
	// (their ids, and so what a learner knows of them, stay); the edited
	// line makes one new question.
	edited := strings.Replace(note, "Capital of Italy :: Rome", "Capital of Spain :: Madrid", 1)
	var again generated
	e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": edited, "bold_as_cloze": true}}).want(t, 201, &again)
	if again.Duplicates != 6 || len(again.Questions) != 1 || again.Questions[0].Prompt != "Capital of Spain" {
		t.Fatalf("again: %+v", again)
	}
	after := e.bank(tok, tid)
	if len(after) != 8 || !reflect.DeepEqual(after[:7], bank) {
		t.Errorf("the bank changed: %+v", after)
	}
	var none generated
	e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": edited, "bold_as_cloze": true}}).want(t, 200, &none)
	if none.Duplicates != 7 || len(none.Questions) != 0 {
		t.Errorf("a third time: %+v", none)
	}

	t.Run("Errors", func(t *testing.T) {
		r := e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": "fine :: yes\n\nThe {{c1::unclosed cloze."}})
		ej := r.wantError(t, 400, recall.EINVALID)
		if len(ej.Lines) != 1 || ej.Lines[0].Line != 3 || !strings.Contains(ej.Message, "line 3") {
			t.Errorf("unclosed cloze: %+v", ej)
		}
		long := strings.Repeat("x", 2001)
		r = e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": "a :: b\n" + long + " :: answer"}})
		if ej := r.wantError(t, 400, recall.EINVALID); len(ej.Lines) != 1 || ej.Lines[0].Line != 2 || !strings.Contains(ej.Lines[0].Message, "prompt") {
			t.Errorf("prompt too long: %+v", ej)
		}
		r = e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"prose": "Mitochondria make ATP."}})
		if ej := r.wantError(t, 400, recall.EINVALID); ej.Fields["prose"] == "" || !strings.Contains(ej.Message, "language model") {
			t.Errorf("prose: %+v", ej)
		}
		e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"dry_run": true}}).wantError(t, 400, recall.EINVALID)
		big := strings.Repeat("The ==sun== is a star.\n", notes.MaxBytes/23+1)
		e.do(req{method: "POST", path: path, token: tok, body: map[string]any{"notes": big}}).wantError(t, 413, recall.ETOOLARGE)
		e.do(req{method: "POST", path: path, token: tok, body: strings.Repeat(" ", maxGenerateBody+1)}).wantError(t, 413, recall.ETOOLARGE)
		if n := len(e.bank(tok, tid)); n != 8 {
			t.Errorf("refused requests changed the bank: %d questions", n)
		}
	})
}

// imported is the body of an import response.
type imported struct {
	Added      int `json:"added"`
	Duplicates int `json:"duplicates"`
	Rows       []struct {
		Line       int    `json:"line"`
		Status     string `json:"status"`
		QuestionID string `json:"question_id"`
	} `json:"rows"`
}

func (e *env) importFile(token, topicID, mediaType, file string) *response {
	e.tb.Helper()
	return e.do(req{method: "POST", path: "/v1/topics/" + topicID + "/questions/import", token: token, body: cardBody{mediaType, file}})
}

func TestImportAnkiExport(t *testing.T) {
	e := newCachedEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "From Anki")
	file, err := os.ReadFile("../cardfile/testdata/anki_export.txt")
	if err != nil {
		t.Fatal(err)
	}
	var first imported
	e.importFile(tok, tid, "text/tab-separated-values", string(file)).want(t, 201, &first)
	if first.Added != 8 || first.Duplicates != 0 || len(first.Rows) != 8 || first.Rows[0].Line != 7 || first.Rows[6].Line != 12 || first.Rows[7].Line != 13 {
		t.Fatalf("first import: %+v", first)
	}
	bank := e.bank(tok, tid)
	want := []bankQuestion{
		{Prompt: "What is the capital of France?", Answers: []string{"Paris"}},
		{Prompt: "Capital of Spain?", Answers: []string{"Madrid"}},
		{Prompt: "H2O is\u00a0called…", Answers: []string{"water\n(dihydrogen monoxide)"}},
		{Prompt: "Name the \"powerhouse\" of the cell\n(one word)", Answers: []string{"Mitochondria"}},
		{Prompt: "What is 1/2 + 1/4?", Answers: []string{"3/4 & 0.75"}},
		// The Cloze notes: a question per cloze number of a sentence, the
		// Back Extra as explanation.
		{Prompt: "Light travels at about\t[number] km/s.", Answers: []string{"300,000"}, Hint: "number", Explanation: "extra"},
		{Prompt: "It is the [...] thing.", Answers: []string{"fastest"}, Explanation: "extra"},
		{Prompt: "The [...] is a [...].", Answers: []string{"Sun, star"}},
	}
	if got := withoutIDs(bank); !reflect.DeepEqual(got, want) {
		t.Fatalf("bank\n%+v\nwant\n%+v", got, want)
	}

	// The same file again adds nothing, and says so row by row.
	var second imported
	e.importFile(tok, tid, "text/tab-separated-values; charset=utf-8", string(file)).want(t, 200, &second)
	if second.Added != 0 || second.Duplicates != 8 || len(second.Rows) != 8 {
		t.Fatalf("second import: %+v", second)
	}
	for i, r := range second.Rows {
		if r.Status != "duplicate" || r.QuestionID != bank[i].ID || r.Line != first.Rows[i].Line {
			t.Errorf("row %d: %+v, want a duplicate of %s", i, r, bank[i].ID)
		}
	}
	if len(e.bank(tok, tid)) != 8 {
		t.Error("the second import changed the bank")
	}

	// Exported, the clozes come back as they are: the same bank in a new
	// topic, from either format.
	for _, format := range []string{"tsv", "csv"} {
		exported := e.do(req{method: "GET", path: "/v1/topics/" + tid + "/questions/export?format=" + format, token: tok}).want(t, 200, nil).body
		copyID := e.createTopic(tok, "Copy "+format)
		mt := map[string]string{"tsv": "text/tab-separated-values", "csv": "text/csv"}[format]
		e.importFile(tok, copyID, mt, string(exported)).want(t, 201, nil)
		if got := withoutIDs(e.bank(tok, copyID)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s round trip\n%+v\nwant\n%+v\nfile:\n%s", format, got, want, exported)
		}
	}
}

func TestImportCloze(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	for _, tt := range []struct {
		name string
		file string
		want []bankQuestion // nil: refused with 400 naming line 2
		msg  string
	}{
		{"Hint", "#notetype:Cloze\nWater boils at {{c1::100 °C::temperature}}.\t\n", []bankQuestion{
			{Prompt: "Water boils at [temperature].", Answers: []string{"100 °C"}, Hint: "temperature"},
		}, ""},
		{"NumbersAndSentences", "#notetype:Cloze\n{{c1::Romulus}} and {{c1::Remus}} founded {{c2::Rome}}. It is {{c1::old}}.\tLegend\n", []bankQuestion{
			{Prompt: "[...] and [...] founded Rome.", Answers: []string{"Romulus, Remus"}, Explanation: "Legend"},
			{Prompt: "Romulus and Remus founded [...].", Answers: []string{"Rome"}, Explanation: "Legend"},
			{Prompt: "It is [...].", Answers: []string{"old"}, Explanation: "Legend"},
		}, ""},
		{"HTMLAndLines", "#html:true\n#notetype:Cloze\n<b>H</b><sub>2</sub>O is {{c1::water}}<br>and {{c2::ice}} when cold\t\n", []bankQuestion{
			{Prompt: "H2O is [...]", Answers: []string{"water"}},
			{Prompt: "and [...] when cold", Answers: []string{"ice"}},
		}, ""},
		{"OtherMarkupIsText", "#notetype:Cloze\nIn C, a == b is a {{c1::comparison}}.\t\n", []bankQuestion{
			{Prompt: "In C, a == b is a [...].", Answers: []string{"comparison"}},
		}, ""},
		{"BasicKeepsMarkers", "#notetype:Basic\nWhat is {{c1::x}}?\tx\n", []bankQuestion{
			{Prompt: "What is {{c1::x}}?", Answers: []string{"x"}},
		}, ""},
		{"NoCloze", "#notetype:Cloze\nNothing to hide.\tBack\n", nil, "needs at least one"},
		{"Unclosed", "#notetype:Cloze\nThe {{c1::sun shines.\t\n", nil, "unclosed"},
		{"EmptyCloze", "#notetype:Cloze\nThe {{c1::}} shines.\t\n", nil, "empty"},
		{"BasicEmptyAnswer", "#notetype:Basic\nThe {{c1::sun}} shines.\t\n", nil, "empty answer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tid := e.createTopic(tok, tt.name)
			r := e.importFile(tok, tid, "text/tab-separated-values", tt.file)
			if tt.want == nil {
				ej := r.wantError(t, 400, recall.EINVALID)
				if len(ej.Lines) != 1 || ej.Lines[0].Line != strings.Count(tt.file, "\n") || !strings.Contains(ej.Lines[0].Message, tt.msg) {
					t.Errorf("error %+v, want its last line saying %q", ej, tt.msg)
				}
				return
			}
			var out imported
			r.want(t, 201, &out)
			if got := withoutIDs(e.bank(tok, tid)); !reflect.DeepEqual(got, tt.want) || out.Added != len(tt.want) || len(out.Rows) != len(tt.want) {
				t.Errorf("bank\n%+v\nwant\n%+v (%+v)", got, tt.want, out)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "Imports")
	e.addQuestions(tok, tid, q("Already here?", "yes"))

	t.Run("TooManyQuestions", func(t *testing.T) {
		// Within the row cap, but each Cloze row makes 100 questions.
		var file strings.Builder
		file.WriteString("#notetype:Cloze\n")
		for row := range maxGenerated/100 + 1 {
			for n := 1; n <= 100; n++ {
				fmt.Fprintf(&file, "{{c%d::r%dn%d}} ", n, row, n)
			}
			file.WriteString("\t\n")
		}
		e.importFile(tok, tid, "text/tab-separated-values", file.String()).wantError(t, 413, recall.ETOOLARGE)
		if got := len(e.bank(tok, tid)); got != 1 {
			t.Fatalf("the bank holds %d questions after a refused import; want the 1 it had", got)
		}
	})

	t.Run("BadRowsAddNothing", func(t *testing.T) {
		file := "#separator:comma\n#columns:Front,Back,Abs Tol\nq1,a1\nonly one field\nq3,a3,much\n" +
			strings.Repeat("x", 2001) + ",a\n\"unclosed,a\n"
		ej := e.importFile(tok, tid, "text/csv", file).wantError(t, 400, recall.EINVALID)
		var lines []int
		for _, l := range ej.Lines {
			lines = append(lines, l.Line)
		}
		if !reflect.DeepEqual(lines, []int{4, 5, 6, 7}) {
			t.Errorf("bad lines %v, want [4 5 6 7]: %+v", lines, ej.Lines)
		}
		if len(e.bank(tok, tid)) != 1 {
			t.Error("a file with bad rows added questions")
		}
	})
	t.Run("AtMost100BadRows", func(t *testing.T) {
		file := "q,a\n" + strings.Repeat("bad\n", 150)
		ej := e.importFile(tok, tid, "text/csv", file).wantError(t, 400, recall.EINVALID)
		if len(ej.Lines) != 100 || ej.Lines[0].Line != 2 || ej.Lines[99].Line != 101 {
			t.Errorf("%d lines, from %d", len(ej.Lines), ej.Lines[0].Line)
		}
	})
	t.Run("TooManyRows", func(t *testing.T) {
		var b strings.Builder
		for i := range 10001 {
			fmt.Fprintf(&b, "q%d\ta\n", i)
		}
		e.importFile(tok, tid, "text/tab-separated-values", b.String()).wantError(t, 413, recall.ETOOLARGE)
		if len(e.bank(tok, tid)) != 1 {
			t.Error("a file of too many rows added questions")
		}
	})
	t.Run("MediaType", func(t *testing.T) {
		for _, ct := range []string{"application/json", "text/plain", "", "text/csv; charset=latin1"} {
			r := e.do(req{method: "POST", path: "/v1/topics/" + tid + "/questions/import", token: tok,
				body: "q,a\n", header: map[string]string{"Content-Type": ct}})
			r.wantError(t, 415, "unsupported_media_type")
		}
	})
	t.Run("BadHeaderLine", func(t *testing.T) {
		// A header line Anki would refuse is the client's mistake: a 400
		// naming the line, never a 500.
		for _, tc := range []struct{ file, msg string }{
			{"#separator:\nq,a\n", "line 1 of the file: unknown separator"},
			{"#separator:comma\n#html:maybe\nq,a\n", "line 2 of the file: #html must be true or false"},
			{"#html:false\n#deck:D\n#guid column:0\nq,a\n", "line 3 of the file: #guid column must be a column number"},
		} {
			ej := e.importFile(tok, tid, "text/csv", tc.file).wantError(t, 400, recall.EINVALID)
			if !strings.Contains(ej.Message, tc.msg) || len(ej.Lines) != 1 {
				t.Errorf("%q: %q %+v, want one line and a message saying %q", tc.file, ej.Message, ej.Lines, tc.msg)
			}
		}
		if len(e.bank(tok, tid)) != 1 {
			t.Error("a file with a bad header line added questions")
		}
	})
	t.Run("Empty", func(t *testing.T) {
		e.importFile(tok, tid, "text/csv", "#separator:comma\n\n").wantError(t, 400, recall.EINVALID)
	})
	t.Run("DuplicatesOfBankAndFile", func(t *testing.T) {
		var out imported
		e.importFile(tok, tid, "text/csv", "already  HERE?,Yes\nnew one,1\nNew One,1\n").want(t, 201, &out)
		if out.Added != 1 || out.Duplicates != 2 || out.Rows[2].QuestionID != out.Rows[1].QuestionID || out.Rows[1].Status != "added" {
			t.Errorf("%+v", out)
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	e := newCachedEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "Round trip: été, \"quotes\"")
	var created struct {
		Questions []bankQuestion `json:"questions"`
	}
	e.do(req{method: "POST", path: "/v1/topics/" + tid + "/questions", token: tok, body: map[string]any{"questions": []any{
		map[string]any{"prompt": "What is the capital of France?", "answers": []string{"Paris", "Paname"}, "explanation": "Since 987.", "hint": "City of light"},
		map[string]any{"prompt": "Which is a prime?", "answers": []string{"7"}, "choices": []string{"4", "7", "9"}},
		map[string]any{"prompt": "Two\nlines, a\ttab, \"quotes\", a comma", "answers": []string{"<b>not bold</b> & co"}},
		map[string]any{"prompt": "#not a header", "answers": []string{"g = 9.81"}, "abs_tol": 0.05, "rel_tol": 0.01, "unit": "m/s²"},
		map[string]any{"prompt": "東京 is in?", "answers": []string{"Japan"}, "explanation": "Line one\nline two"},
	}}}).want(t, 201, &created)
	want := e.bank(tok, tid)

	for _, format := range []string{"tsv", "csv"} {
		t.Run(format, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/topics/" + tid + "/questions/export?format=" + format, token: tok}).want(t, 200, nil)
			mt := map[string]string{"tsv": "text/tab-separated-values", "csv": "text/csv"}[format]
			if ct := r.header.Get("Content-Type"); ct != mt+"; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="Round-trip-t-quotes.`+format+`"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			file := string(r.body)
			sep := map[string]string{"tsv": "tab", "csv": "comma"}[format]
			for _, h := range []string{"#separator:" + sep + "\n", "#html:false\n", "#notetype:Basic\n", "#guid column:1\n", "#tags column:4\n", "#deck:Round trip: été, \"quotes\"\n"} {
				if !strings.Contains(file, h) {
					t.Errorf("no header line %q in\n%s", h, file)
				}
			}

			// Into a new topic: the same bank, with new ids.
			other := e.createTopic(tok, "Copy "+format)
			var out imported
			e.importFile(tok, other, mt, file).want(t, 201, &out)
			got := e.bank(tok, other)
			if !reflect.DeepEqual(withoutIDs(got), withoutIDs(want)) {
				t.Errorf("round trip\n%+v\nwant\n%+v\nfile:\n%s", withoutIDs(got), withoutIDs(want), file)
			}
			// Into its own topic: nothing, each row a duplicate of its
			// question (by the GUID the export wrote).
			var again imported
			e.importFile(tok, tid, mt, file).want(t, 200, &again)
			for i, row := range again.Rows {
				if row.Status != "duplicate" || row.QuestionID != want[i].ID {
					t.Errorf("re-import row %d: %+v", i, row)
				}
			}
		})
	}
	e.do(req{method: "GET", path: "/v1/topics/" + tid + "/questions/export?format=xlsx", token: tok}).wantError(t, 400, recall.EINVALID)
	if b := e.do(req{method: "GET", path: "/v1/topics/" + e.createTopic(tok, "Empty") + "/questions/export", token: tok}).want(t, 200, nil).body; !strings.HasPrefix(string(b), "#separator:tab\n") {
		t.Errorf("an empty bank exported as %q", b)
	}
}

// TestErrorLinesShape: the lines of an invalid upload are in the error
// body as the OpenAPI document says (conformance checks every exchange).
func TestErrorLinesShape(t *testing.T) {
	e := newEnv(t)
	tok := e.signUp("ada")
	tid := e.createTopic(tok, "Shapes")
	r := e.importFile(tok, tid, "text/csv", "q,\n")
	var body struct {
		Error struct {
			Lines []recall.LineProblem `json:"lines"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || len(body.Error.Lines) != 1 || body.Error.Lines[0].Message != "empty answer" {
		t.Fatalf("%s", r.body)
	}
}

// BenchmarkImport10k imports a card file of cardfile.MaxRows rows into a
// new topic of a SQLite store, through the whole HTTP stack, and reports
// the time of one import (ns/op), what it allocated (B/op, allocs/op) and
// the peak growth of the heap's objects during it over what they were
// before (peak-heap-bytes: sampled every millisecond from another
// goroutine, the client's side in this process included, garbage not yet
// collected included, so an upper bound of what the import holds).
func BenchmarkImport10k(b *testing.B) {
	e := newEnv(b)
	tok := e.signUp("ada")
	var sb strings.Builder
	sb.WriteString("#separator:tab\n#html:true\n#guid column:1\n#tags column:4\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "id%05d\tWhat is the <b>capital</b> of country number %d?\t\"City %d<br>with a line\"\ttag%d geo\n", i, i, i, i%7)
	}
	file := sb.String()
	var peak uint64
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tid := e.createTopic(tok, "Bench")
		b.StartTimer()
		var out imported
		peak = max(peak, peakHeapDuring(func() {
			e.importFile(tok, tid, "text/tab-separated-values", file).want(b, 201, &out)
		}))
		if out.Added != 10000 {
			b.Fatalf("added %d", out.Added)
		}
	}
	b.ReportMetric(float64(peak), "peak-heap-bytes")
}

// peakHeapDuring runs f and returns the largest growth of the heap's
// objects (runtime/metrics, which does not stop the world) seen while it
// ran, over what they were after a GC before.
func peakHeapDuring(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	done, sampled := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > base {
				peak = max(peak, v-base)
			}
			select {
			case <-done:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(done)
	return <-sampled
}
