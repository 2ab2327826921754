package cardfile

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRead checks that Read never panics, and that what it gives is
// sane: rows in line order with a question and an answer, at most
// MaxRows of them, and errors that name a line.
func FuzzRead(f *testing.F) {
	f.Add("#separator:tab\n#html:true\nq\ta\n", "")
	f.Add("q,a\n\"x\ny\",\"z\"\"\"\n", MediaTypeCSV)
	f.Add("\ufeff#columns:Back;Front\r\na;q\r\n", "")
	f.Add("#guid column:1\n#tags column:4\nid\tq\ta\tt1 t2\n", MediaTypeTSV)
	f.Add("#notetype column:1\nCloze\tThe {{c1::sun::star}} shines.\nCloze\t\t\nBasic\tq\t\n", MediaTypeTSV)
	f.Fuzz(func(t *testing.T, file, mediaType string) {
		last := 0
		n := 0
		err := Read(strings.NewReader(file), Options{MediaType: mediaType}, func(r Row) error {
			n++
			if r.Line <= last {
				t.Fatalf("row at line %d after line %d", r.Line, last)
			}
			last = r.Line
			if strings.TrimSpace(r.Prompt) == "" || strings.TrimSpace(r.Answer) == "" && !IsCloze(r.Notetype) {
				t.Fatalf("row %+v without a question or answer", r)
			}
			return nil
		})
		if n > MaxRows {
			t.Fatalf("%d rows", n)
		}
		if es, ok := err.(Errors); ok {
			if len(es) == 0 || len(es) > MaxErrors+1 {
				t.Fatalf("%d errors", len(es))
			}
			for _, e := range es {
				if e.Line < 1 {
					t.Fatalf("error without a line: %v", e)
				}
			}
		}
	})
}

// FuzzRoundTrip checks that a row written by Writer reads back the same,
// in both HTML modes.
func FuzzRoundTrip(f *testing.F) {
	f.Add("What is \"this\"?", "a\tb\nc", "id#1", "tag", true)
	f.Add("#hash", "<b>&amp;</b>", "", "", false)
	f.Fuzz(func(t *testing.T, prompt, answer, guid, tag string, asHTML bool) {
		for _, s := range []string{prompt, answer, guid, tag} {
			if !utf8.ValidString(s) || strings.Contains(s, "\r\n") || strings.HasSuffix(s, "\r") {
				return // read as U+FFFD / written as "\n"
			}
		}
		if strings.TrimSpace(prompt) == "" || strings.TrimSpace(answer) == "" {
			return
		}
		in := Row{Prompt: prompt, Answer: answer, GUID: guid, Tags: strings.Fields(tag)}
		var buf bytes.Buffer
		w := NewWriter(&buf, WriterOptions{HTML: asHTML, GUIDs: true})
		if err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		var out []Row
		err := Read(&buf, Options{}, func(r Row) error { out = append(out, r); return nil })
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(out) != 1 {
			t.Fatalf("%d rows back", len(out))
		}
		got := out[0]
		if got.Prompt != in.Prompt || got.Answer != in.Answer || got.GUID != in.GUID || strings.Join(got.Tags, " ") != strings.Join(in.Tags, " ") {
			t.Fatalf("wrote %#v, read %#v", in, got)
		}
	})
}
