package cardfile

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// readAll reads a whole file and returns its good rows and the error.
func readAll(t testing.TB, s string, opts Options) ([]Row, error) {
	t.Helper()
	var rows []Row
	err := Read(strings.NewReader(s), opts, func(r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

func TestReadAnkiExport(t *testing.T) {
	b, err := os.ReadFile("testdata/anki_export.txt")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, string(b), Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := []Row{
		{Line: 7, GUID: "f]O3b~_Xm%", Notetype: "Basic", Deck: "Geography::Europe", Prompt: "What is the capital of France?", Answer: "Paris", Tags: []string{"geography", "europe"}},
		{Line: 8, GUID: "Bq8`6rKJ[E", Notetype: "Basic", Deck: "Geography::Europe", Prompt: "Capital of Spain?", Answer: "Madrid", Tags: []string{"geography"}},
		{Line: 9, GUID: "n{pT*5ng/U", Notetype: "Basic (and reversed card)", Deck: "Science", Prompt: "H2O is\u00a0called…", Answer: "water\n(dihydrogen monoxide)", Tags: []string{"chemistry"}},
		{Line: 10, GUID: "G+/qe^ho?z", Notetype: "Basic", Deck: "Science", Prompt: "Name the \"powerhouse\" of the cell\n(one word)", Answer: "Mitochondria", Tags: []string{"biology", "marked"}},
		{Line: 11, GUID: "x9#Lk2@pQa", Notetype: "Basic", Deck: "Maths", Prompt: "What is 1/2 + 1/4?", Answer: "3/4 & 0.75"},
		{Line: 12, GUID: "Pw3$zT!c0e", Notetype: "Cloze", Deck: "Science", Prompt: "Light travels at about\t{{c1::300,000::number}} km/s. It is the {{c2::fastest}} thing.", Answer: "extra", Tags: []string{"physics"}},
		{Line: 13, GUID: "Cl0z3#2abc", Notetype: "Cloze", Deck: "Science", Prompt: "The {{c1::Sun}} is a {{c1::star}}.", Tags: []string{"physics"}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n%#v\nwant:\n%#v", rows, want)
	}
}

func TestReadHeaders(t *testing.T) {
	for _, tt := range []struct {
		name string
		file string
		opts Options
		want []Row // Line 0 means 2
	}{
		{"SeparatorComma", "#separator:Comma\nq,a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"SeparatorSemicolon", "#separator:Semicolon\nq;a,b\n", Options{}, []Row{{Prompt: "q", Answer: "a,b"}}},
		{"SeparatorTab", "#separator:tab\nq,x\ta\n", Options{MediaType: MediaTypeCSV}, []Row{{Prompt: "q,x", Answer: "a"}}},
		{"SeparatorSpace", "#separator:Space\nq a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"SeparatorPipe", "#separator:Pipe\nq|a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"SeparatorColon", "#separator:Colon\nq:a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"SeparatorLiteral", "#separator:~\nq~a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"SeparatorLiteralNonASCII", "#separator:§\nq§a\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"HTMLTrue", "#html:true\nq<br>r\t<b>a</b> &lt;b&gt;\n", Options{}, []Row{{Prompt: "q\nr", Answer: "a <b>"}}},
		{"HTMLFalse", "#html:false\nq<br>r\t<b>a</b>\n", Options{}, []Row{{Prompt: "q<br>r", Answer: "<b>a</b>"}}},
		{"HTMLDefaultFalse", "q<br>\t&amp;\n", Options{MediaType: MediaTypeTSV}, []Row{{Line: 1, Prompt: "q<br>", Answer: "&amp;"}}},
		{"ColumnsFrontBack", "#columns:Front\tBack\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"ColumnsBackFirst", "#columns:Back\tFront\na\tq\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"ColumnsQuestionAnswer", "#separator:comma\n#columns:Notes,Answer,Question\nn,a,q\n", Options{}, []Row{{Line: 3, Prompt: "q", Answer: "a", Extra: map[string]string{"Notes": "n"}}}},
		{"ColumnsOthersAreExtra", "#columns:Extra\tFront\t Source \tBack\t\tHint\nx\tq\ts\ta\tunnamed\t\n", Options{}, []Row{{Prompt: "q", Answer: "a", Extra: map[string]string{"Extra": "x", "Source": "s"}}}},
		{"ColumnsExtraHTML", "#html:true\n#columns:Front\tBack\tNotes\nq\ta\t<b>x</b> &amp; y\n", Options{}, []Row{{Line: 3, Prompt: "q", Answer: "a", Extra: map[string]string{"Notes": "x & y"}}}},
		{"ColumnsTags", "#columns:Front\tBack\tTags\nq\ta\tt1 t2\n", Options{}, []Row{{Prompt: "q", Answer: "a", Tags: []string{"t1", "t2"}}}},
		{"Tags", "#tags:a b\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", Tags: []string{"a", "b"}}}},
		{"TagsAndTagsColumn", "#tags:all\n#tags column:3\nq\ta\tone two\n", Options{}, []Row{{Line: 3, Prompt: "q", Answer: "a", Tags: []string{"all", "one", "two"}}}},
		{"GUIDColumn", "#guid column:3\nq\ta\tid1\n", Options{}, []Row{{Prompt: "q", Answer: "a", GUID: "id1"}}},
		{"GUIDColumnFirst", "#guid column:1\nid1\tq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", GUID: "id1"}}},
		{"NotetypeColumn", "#notetype column:1\nBasic\tq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", Notetype: "Basic"}}},
		{"DeckColumn", "#deck column:1\nD::E\tq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", Deck: "D::E"}}},
		{"Deck", "#deck:Default\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", Deck: "Default"}}},
		{"Notetype", "#notetype:Basic\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a", Notetype: "Basic"}}},
		// A Cloze note's Back Extra may be empty or missing; its text keeps
		// its markers.
		{"ClozeEmptyBackExtra", "#notetype:Cloze\nThe {{c1::sun}}.\t\n", Options{}, []Row{{Prompt: "The {{c1::sun}}.", Notetype: "Cloze"}}},
		{"ClozeNoBackExtra", "#notetype column:1\nCloze\tThe {{c1::sun}}.\n", Options{}, []Row{{Prompt: "The {{c1::sun}}.", Notetype: "Cloze"}}},
		{"ClozeColumns", "#notetype:cloze (type in)\n#columns:Text\tBack Extra\nThe {{c1::sun}}.\tx\n", Options{}, []Row{{Line: 3, Prompt: "The {{c1::sun}}.", Answer: "x", Notetype: "cloze (type in)"}}},
		{"UnknownHeaderIgnored", "#if matches:update current\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"CommentHeader", "# exported by hand\nq\ta\n", Options{}, []Row{{Prompt: "q", Answer: "a"}}},
		{"HeaderCaseAndCRLF", "#SEPARATOR:COMMA\r\n#HTML:TRUE\r\nq,a&amp;b\r\n", Options{}, []Row{{Line: 3, Prompt: "q", Answer: "a&b"}}},
		{"HashLaterIsData", "q\ta\n#x\ty\n", Options{}, []Row{{Line: 1, Prompt: "q", Answer: "a"}, {Line: 2, Prompt: "#x", Answer: "y"}}},
		{"MediaTypeCSV", "q,a\n", Options{MediaType: MediaTypeCSV}, []Row{{Line: 1, Prompt: "q", Answer: "a"}}},
		{"MediaTypeTSV", "q,x\ta\n", Options{MediaType: MediaTypeTSV}, []Row{{Line: 1, Prompt: "q,x", Answer: "a"}}},
		{"GuessTab", "q,x\ta\n", Options{}, []Row{{Line: 1, Prompt: "q,x", Answer: "a"}}},
		{"GuessSemicolon", "q,x;a\n", Options{}, []Row{{Line: 1, Prompt: "q,x", Answer: "a"}}},
		{"GuessComma", "q,a\n", Options{}, []Row{{Line: 1, Prompt: "q", Answer: "a"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.want {
				if tt.want[i].Line == 0 {
					tt.want[i].Line = 2
				}
			}
			rows, err := readAll(t, tt.file, tt.opts)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows:\n%#v\nwant:\n%#v", rows, tt.want)
			}
		})
	}
}

func TestReadFields(t *testing.T) {
	for _, tt := range []struct {
		name string
		file string
		want []Row
	}{
		{"QuotedSeparator", "\"q,x\",a\n", []Row{{Line: 1, Prompt: "q,x", Answer: "a"}}},
		{"QuotedQuote", "\"say \"\"hi\"\"\",a\n", []Row{{Line: 1, Prompt: `say "hi"`, Answer: "a"}}},
		{"QuotedNewline", "\"two\nlines\",a\nq2,a2\n", []Row{{Line: 1, Prompt: "two\nlines", Answer: "a"}, {Line: 3, Prompt: "q2", Answer: "a2"}}},
		{"QuotedCRLF", "\"two\r\nlines\",a\r\nq2,a2\r\n", []Row{{Line: 1, Prompt: "two\nlines", Answer: "a"}, {Line: 3, Prompt: "q2", Answer: "a2"}}},
		{"QuoteInsideUnquoted", "5\" disk,a\n", []Row{{Line: 1, Prompt: "5\" disk", Answer: "a"}}},
		{"TextAfterClosingQuote", "\"q\"x,a\n", []Row{{Line: 1, Prompt: "qx", Answer: "a"}}},
		{"ByteOrderMark", "\ufeffq,a\n", []Row{{Line: 1, Prompt: "q", Answer: "a"}}},
		{"ByteOrderMarkBeforeHeader", "\ufeff#separator:Pipe\nq|a\n", []Row{{Line: 2, Prompt: "q", Answer: "a"}}},
		{"CRLF", "q,a\r\nr,b\r\n", []Row{{Line: 1, Prompt: "q", Answer: "a"}, {Line: 2, Prompt: "r", Answer: "b"}}},
		{"NoFinalNewline", "q,a", []Row{{Line: 1, Prompt: "q", Answer: "a"}}},
		{"BlankLinesSkipped", "\nq,a\n\n\nr,b\n", []Row{{Line: 2, Prompt: "q", Answer: "a"}, {Line: 5, Prompt: "r", Answer: "b"}}},
		{"ExtraFieldsIgnored", "q,a,x,y\n", []Row{{Line: 1, Prompt: "q", Answer: "a"}}},
		{"EmptyFile", "", nil},
		{"HeadersOnly", "#separator:tab\n#html:true\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAll(t, tt.file, Options{MediaType: MediaTypeCSV})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows:\n%#v\nwant:\n%#v", rows, tt.want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	long := strings.Repeat("x", MaxFieldBytes+1)
	for _, tt := range []struct {
		name  string
		file  string
		rows  int    // good rows
		lines []int  // lines of the errors
		is    error  // an error errors.Is must find, if not nil
		msg   string // a part of the message
	}{
		{"TooFewFields", "q,a\nonly\nr,b\n", 2, []int{2}, nil, "line 2: 1 fields, want at least 2"},
		{"EmptyQuestion", "q,a\n ,a\n", 1, []int{2}, nil, "empty question"},
		{"EmptyAnswer", "q,a\nq,\n", 1, []int{2}, nil, "empty answer"},
		{"EmptyAfterHTML", "#html:true\n#separator:comma\nq,<br>\n", 0, []int{3}, nil, "empty answer"},
		{"LineAfterMultilineField", "\"a\nb\",x\n\"c\nd\"\ne,f\n", 2, []int{3}, nil, "line 3:"},
		{"FieldTooLong", "q,a\n" + long + ",a\nr,b\n", 2, []int{2}, nil, "over 65536 bytes"},
		{"TooManyFields", strings.Repeat("x,", MaxFields) + "x\nq,a\n", 1, []int{1}, nil, "more than 64 fields"},
		{"UnclosedQuote", "q,a\nr,\"b\nc\n", 1, []int{2}, nil, "line 2: quoted field not closed"},
		{"TooManyRows", strings.Repeat("q,a\n", MaxRows+1), MaxRows, []int{MaxRows + 1}, ErrTooManyRows, "more than 10000 rows"},
		{"TooManyErrors", strings.Repeat("bad\n", 150), 0, seq(1, MaxErrors), nil, "line 100:"},
		{"BadSeparator", "#separator:two\nq,a\n", 0, []int{1}, nil, "unknown separator"},
		{"BadHTML", "#html:yes\nq,a\n", 0, []int{1}, nil, "#html must be true or false"},
		{"BadColumnNumber", "#tags column:0\nq,a\n", 0, []int{1}, nil, "column number"},
		{"EmptySeparator", "#separator:\nq,a\n", 0, []int{1}, nil, "unknown separator"},
		{"BadGUIDColumn", "#html:false\n#guid column:0\nq,a\n", 0, []int{2}, nil, "#guid column must be a column number"},
		{"LongHeader", "#tags:" + strings.Repeat("t ", MaxHeaderBytes) + "\nq,a\n", 0, []int{1}, nil, "header line over"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAll(t, tt.file, Options{MediaType: MediaTypeCSV})
			if len(rows) != tt.rows {
				t.Errorf("%d good rows, want %d", len(rows), tt.rows)
			}
			if err == nil {
				t.Fatal("no error")
			}
			// Every bad line, a header line's too, comes in Errors.
			var lines []int
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T %v, want Errors", err, err)
			}
			for _, e := range es {
				lines = append(lines, e.Line)
			}
			if !reflect.DeepEqual(lines, tt.lines) {
				t.Errorf("error lines %v, want %v", lines, tt.lines)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestReadCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Read(strings.NewReader("q,a\nr,b\ns,c\n"), Options{MediaType: MediaTypeCSV}, func(Row) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("Read = %v after %d rows, want the callback's error after 2", err, n)
	}
}

func TestHTMLToText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a<br>b", "a\nb"},
		{"a<br/>b<BR />c", "a\nb\nc"},
		{"<div>a</div><div>b</div>", "a\nb"},
		{"a<div>b</div>", "a\nb"},
		{"<p>a</p><p>b</p>", "a\nb"},
		{"<b>bold</b> <i>it</i>", "bold it"},
		{"&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &eacute;", "<tag> & \"q\" 's' é"},
		{"a &nbsp;b", "a \u00a0b"},
		{"<img src=\"x.png\">", ""},
		{"1 < 2", "1 < 2"},
		{"<!-- c -->x", "x"},
		{"<span style=\"color: red\">red</span>", "red"},
	} {
		if got := HTMLToText(tt.in); got != tt.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkRead reads a file of MaxRows rows with HTML and reports the
// time and allocations (Speed), and the peak growth of the live heap while
// reading, sampled after a GC every 100 rows (PeakHeap, whose time is the
// GCs'), which must not grow with the number of rows.
func BenchmarkRead(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("#separator:tab\n#html:true\n#guid column:1\n#tags column:4\n")
	for i := range MaxRows {
		fmt.Fprintf(&sb, "id%05d\tWhat is the <b>capital</b> of country number %d, the one with &quot;quotes&quot;?\t\"City %d<br>with a line\"\ttag%d geo\n", i, i, i, i%7)
	}
	file := sb.String()
	read := func(b *testing.B, each func()) {
		n := 0
		err := Read(strings.NewReader(file), Options{}, func(r Row) error {
			if n++; n%100 == 0 && each != nil {
				each()
			}
			return nil
		})
		if err != nil || n != MaxRows {
			b.Fatalf("Read: %d rows, %v", n, err)
		}
	}
	b.Run("Speed", func(b *testing.B) {
		b.SetBytes(int64(len(file)))
		b.ReportAllocs()
		for b.Loop() {
			read(b, nil)
		}
	})
	b.Run("PeakHeap", func(b *testing.B) {
		var peak uint64
		var ms runtime.MemStats
		for b.Loop() {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			read(b, func() {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > base {
					peak = max(peak, ms.HeapAlloc-base)
				}
			})
		}
		b.ReportMetric(float64(peak), "peak-heap-bytes")
	})
}
