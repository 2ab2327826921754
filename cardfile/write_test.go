package cardfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestWriterHeader(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts WriterOptions
		want string
	}{
		{"Plain", WriterOptions{}, "#separator:tab\n#html:false\n#notetype:Basic\n#tags column:3\n#columns:Front\tBack\tTags\nq\t\"a\tb\"\tx y_z\n"},
		{"CommaExtra", WriterOptions{Comma: true, Extra: []string{"Hint", "Rel,Tol"}},
			"#separator:comma\n#html:false\n#notetype:Basic\n#tags column:3\n#columns:Front,Back,Tags,Hint,Rel Tol\nq,a\tb,x y_z,,\n"},
		{"HTMLGUIDsDeck", WriterOptions{HTML: true, GUIDs: true, Deck: "Geo\nEurope", Notetype: "Basic (and reversed card)"},
			"#separator:tab\n#html:true\n#notetype:Basic (and reversed card)\n#deck:Geo Europe\n#guid column:1\n#tags column:4\n#columns:GUID\tFront\tBack\tTags\nid\tq\t\"a\tb\"\tx y_z\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, tt.opts)
			if err := w.Write(Row{GUID: "id", Prompt: "q", Answer: "a\tb", Tags: []string{"x", "y z", " "}}); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", buf.String(), tt.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	rows := []Row{
		{GUID: "a1", Prompt: "What is the capital of France?", Answer: "Paris", Tags: []string{"geo", "europe"}},
		{GUID: "b\"2", Prompt: "Two\nlines, and a \"quote\"", Answer: "tab\there"},
		{GUID: "c3", Prompt: "#not a header", Answer: "<b>not bold</b> & co"},
		{GUID: "d4", Prompt: "a\rb", Answer: "'single' & \"double\" &amp;", Tags: []string{"t"}},
		{GUID: "", Prompt: "Unicode: 東京, é, 🙂", Answer: "  spaced  "},
	}
	rows[0].Extra = map[string]string{"Hint": "City of <light>", "Answers": "Paname\nLutèce"}
	rows[2].Extra = map[string]string{"Unit": "km"}
	for _, opts := range []WriterOptions{{}, {HTML: true}, {GUIDs: true}, {HTML: true, GUIDs: true, Deck: "Deck::Sub", Extra: []string{"Answers", "Hint", "Unit"}},
		{Comma: true, GUIDs: true, Extra: []string{"Answers", "Hint", "Unit"}}, {Comma: true, HTML: true}} {
		var buf bytes.Buffer
		w := NewWriter(&buf, opts)
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, buf.String(), Options{MediaType: MediaTypeTSV}) // the header says which
		if err != nil {
			t.Fatalf("%+v: Read: %v\n%s", opts, err, buf.String())
		}
		if len(got) != len(rows) {
			t.Fatalf("%+v: %d rows back, want %d", opts, len(got), len(rows))
		}
		for i, r := range got {
			want := rows[i]
			want.Line, want.Notetype, want.Deck = r.Line, "Basic", opts.Deck
			if !opts.GUIDs {
				want.GUID = ""
			}
			if opts.Extra == nil {
				want.Extra = nil
			}
			if !reflect.DeepEqual(r, want) {
				t.Errorf("%+v: row %d back as\n%#v\nwant\n%#v", opts, i, r, want)
			}
		}
		if sep := map[bool]string{false: "#separator:tab\n", true: "#separator:comma\n"}[opts.Comma]; !strings.HasPrefix(buf.String(), sep) {
			t.Errorf("no separator header: %q", buf.String())
		}
	}
}
