package cardfile

import (
	"bufio"
	"html"
	"io"
	"strings"
)

// WriterOptions choose what a Writer writes.
type WriterOptions struct {
	// HTML writes #html:true and the fields as HTML: "<", ">", "&" and
	// quotes escaped, line breaks as "<br>". Without it, the fields are
	// plain text (#html:false) and Anki shows them as they are.
	HTML bool
	// GUIDs adds a first column of note ids (#guid column:1), so that
	// Anki updates the notes it imported before instead of adding copies.
	GUIDs bool
	// Notetype is written as #notetype: ("Basic" when empty), so that
	// Anki maps the Front and Back columns to its fields.
	Notetype string
	// Deck, if not empty, is written as #deck:.
	Deck string
	// Comma writes a comma-separated file (#separator:comma) instead of a
	// tab-separated one.
	Comma bool
	// Extra names more columns, written after Tags from each Row's Extra
	// (Anki leaves a column that no field of the note type is named
	// after unmapped). A name holds no tab or line break.
	Extra []string
}

// Writer writes rows as a card file that Anki imports as it is: tab
// separated, with header lines naming the separator, the HTML mode, the
// note type and the columns (GUID, Front, Back, Tags). Call Flush at the
// end.
//
// A Row's Line, Notetype and Deck are not written (the whole file has one
// note type and deck). A tag cannot hold white space in Anki: white space
// inside a tag is written as "_". A "\r\n" in a field is written as "\n".
type Writer struct {
	w           *bufio.Writer
	sep         byte
	opts        WriterOptions
	wroteHeader bool
	err         error
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer, opts WriterOptions) *Writer {
	if opts.Notetype == "" {
		opts.Notetype = "Basic"
	}
	sep := byte('\t')
	if opts.Comma {
		sep = ','
	}
	return &Writer{w: bufio.NewWriter(w), opts: opts, sep: sep}
}

// Write writes one row (and the header lines before the first).
func (w *Writer) Write(r Row) error {
	if w.err != nil {
		return w.err
	}
	if !w.wroteHeader {
		w.header()
		w.wroteHeader = true
	}
	if w.opts.GUIDs {
		w.field(r.GUID, false)
		w.w.WriteByte(w.sep)
	}
	w.field(r.Prompt, w.opts.HTML)
	w.w.WriteByte(w.sep)
	w.field(r.Answer, w.opts.HTML)
	w.w.WriteByte(w.sep)
	tags := make([]string, 0, len(r.Tags))
	for _, t := range r.Tags {
		if t = strings.Join(strings.Fields(t), "_"); t != "" {
			tags = append(tags, t)
		}
	}
	w.field(strings.Join(tags, " "), false)
	for _, name := range w.opts.Extra {
		w.w.WriteByte(w.sep)
		w.field(r.Extra[name], w.opts.HTML)
	}
	_, w.err = w.w.WriteString("\n")
	return w.err
}

// Flush writes what is buffered to the underlying writer (and the header
// lines, if no row was written), and returns the first error met.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if !w.wroteHeader {
		w.header()
		w.wroteHeader = true
	}
	w.err = w.w.Flush()
	return w.err
}

func (w *Writer) header() {
	b := w.w
	if w.sep == ',' {
		b.WriteString("#separator:comma\n")
	} else {
		b.WriteString("#separator:tab\n")
	}
	if w.opts.HTML {
		b.WriteString("#html:true\n")
	} else {
		b.WriteString("#html:false\n")
	}
	b.WriteString("#notetype:" + oneLine(w.opts.Notetype) + "\n")
	if w.opts.Deck != "" {
		b.WriteString("#deck:" + oneLine(w.opts.Deck) + "\n")
	}
	cols := []string{"Front", "Back", "Tags"}
	if w.opts.GUIDs {
		b.WriteString("#guid column:1\n#tags column:4\n")
		cols = append([]string{"GUID"}, cols...)
	} else {
		b.WriteString("#tags column:3\n")
	}
	for _, name := range w.opts.Extra {
		cols = append(cols, strings.Join(strings.Fields(strings.ReplaceAll(name, string(w.sep), " ")), " "))
	}
	b.WriteString("#columns:" + strings.Join(cols, string(w.sep)) + "\n")
}

// oneLine keeps a header value on its line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// field writes one field, quoted when it holds the separator, a quote or
// a line break, or starts with '#' (which would read as a header line).
func (w *Writer) field(s string, asHTML bool) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if asHTML {
		s = strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
	}
	if !strings.ContainsAny(s, "\"\n\r") && strings.IndexByte(s, w.sep) < 0 && !strings.HasPrefix(s, "#") {
		w.w.WriteString(s)
		return
	}
	w.w.WriteByte('"')
	w.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
	w.w.WriteByte('"')
}
