// Package notes makes quiz questions from a learner's Markdown notes.
//
// Generate reads these forms:
//
//   - cloze deletions: ==term==, {{c1::term}}, {{c1::term::hint}}, and
//     **term** when Options.BoldAsCloze is set. The sentence around a
//     cloze is the prompt, with the cloze shown as a blank "[...]" (or
//     "[hint]") and the other clozes of the sentence as plain text. Clozes
//     of one number in a sentence ({{c1::…}} twice) make one question
//     whose answer is their terms joined by ", "; each other number, and
//     each ==term== or **term**, makes a question of its own.
//   - a line "Question :: Answer" (one question) or "Question ::: Answer"
//     (two: the answer also asks for the question); the markers need
//     white space on both sides, so "std::vector" is no marker.
//   - a paragraph with a line holding only "?": the lines above are the
//     question, the lines below its answer.
//
// Nothing inside an inline code span (`…`), a fenced code block (``` or
// ~~~) or math ($…$, $$…$$, also as a block) is a marker. List markers,
// heading marks and quote marks at the start of a line are not part of a
// prompt. Sentences end at '.', '!' or '?' followed by white space.
package notes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/recallhq/recall"
)

// MaxBytes is the largest input of Generate (1 MiB).
const MaxBytes = 1 << 20

// ErrTooLarge is returned by Generate for notes over MaxBytes.
var ErrTooLarge = errors.New("notes are larger than 1 MiB")

// Options change what Generate makes.
type Options struct {
	// BoldAsCloze makes **term** a cloze deletion too.
	BoldAsCloze bool
	// Existing are questions already in the bank: a generated question
	// with the same prompt and answers as one of them is skipped.
	Existing []Question
}

// Question is a generated question.
type Question struct {
	// Prompt is the question; Answers its accepted answers (one for
	// every form Generate reads); Hint the cloze's hint, if any.
	Prompt  string
	Answers []string
	Hint    string
	// Line is the 1-based line of the notes the question comes from.
	Line int
}

// Result is what Generate made.
type Result struct {
	// Questions are in the order of the notes: by line, then in the order
	// of the first cloze of each number in a sentence.
	Questions []Question
	// Duplicates counts the questions skipped because they repeat one
	// made before or one of Options.Existing.
	Duplicates int
}

// LineError is a mistake in the notes, on a line.
type LineError struct {
	// Line is 1-based.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error returns "line N: msg".
func (e *LineError) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Msg }

// Generate makes questions from markdown. It is deterministic: the same
// notes and options give the same result. It returns ErrTooLarge for
// notes over MaxBytes and a *LineError for the first mistake (an unclosed
// or empty cloze, an empty side of a question and answer); invalid UTF-8
// is read as U+FFFD.
func Generate(markdown string, opts Options) (Result, error) {
	if len(markdown) > MaxBytes {
		return Result{}, ErrTooLarge
	}
	g := &generator{opts: opts, seen: map[string]bool{}}
	for _, q := range opts.Existing {
		g.seen[key(q)] = true
	}
	lines := strings.Split(strings.ToValidUTF8(markdown, "\uFFFD"), "\n")
	var para []numbered
	flush := func() error {
		err := g.paragraph(para)
		para = para[:0]
		return err
	}
	fence := ""
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if fence == "$$" && strings.Contains(trimmed, "$$") || fence != "$$" && strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, "```"), strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
		case trimmed == "$$" || strings.HasPrefix(trimmed, "$$") && !strings.Contains(trimmed[2:], "$$"):
			fence = "$$"
		}
		if fence != "" || trimmed == "" {
			if err := flush(); err != nil {
				return Result{}, err
			}
			continue
		}
		para = append(para, numbered{n: i + 1, text: line})
	}
	if err := flush(); err != nil {
		return Result{}, err
	}
	return g.res, nil
}

// Clozes makes the questions of a text whose only markup is its
// {{cN::term}} and {{cN::term::hint}} clozes, such as the Text field of an
// Anki Cloze note: as Generate makes them, one question per cloze number
// of a sentence, the sentence as its prompt with [...] (or [hint]) in
// place of the term, the term as its answer and the hint kept. Nothing
// else is markup (==, **, `, $ and :: are text), and a question that
// repeats an earlier one is left out. It returns a *LineError, its line
// counted in text, for a broken cloze; a text without clozes makes none.
func Clozes(text string) ([]Question, error) {
	if len(text) > MaxBytes {
		return nil, ErrTooLarge
	}
	g := &generator{seen: map[string]bool{}}
	for i, line := range strings.Split(strings.ToValidUTF8(text, "\uFFFD"), "\n") {
		segs, err := tokenize(strings.TrimSuffix(line, "\r"), i+1, markup{clozesOnly: true})
		if err != nil {
			return nil, err
		}
		for _, s := range sentences(segs) {
			if err := g.clozes(s, i+1); err != nil {
				return nil, err
			}
		}
	}
	return g.res.Questions, nil
}

// numbered is a line of the notes and its 1-based number.
type numbered struct {
	n    int
	text string
}

type generator struct {
	opts Options
	seen map[string]bool
	res  Result
}

// key identifies a question for spotting duplicates: case and white space
// do not count.
func key(q Question) string { return recall.QuestionKey(q.Prompt, q.Answers) }

func (g *generator) add(q Question) {
	k := key(q)
	if g.seen[k] {
		g.res.Duplicates++
		return
	}
	g.seen[k] = true
	g.res.Questions = append(g.res.Questions, q)
}

// paragraph makes the questions of one paragraph.
func (g *generator) paragraph(lines []numbered) error {
	for i, l := range lines {
		if strings.TrimSpace(l.text) == "?" {
			q := joinLines(lines[:i])
			a := joinLines(lines[i+1:])
			if q == "" || a == "" {
				return &LineError{Line: l.n, Msg: `a "?" line needs a question above it and an answer below it`}
			}
			g.add(Question{Prompt: q, Answers: []string{a}, Line: lines[0].n})
			return nil
		}
	}
	for _, l := range lines {
		if err := g.line(l); err != nil {
			return err
		}
	}
	return nil
}

func joinLines(lines []numbered) string {
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		parts = append(parts, stripMarker(strings.TrimSpace(l.text)))
	}
	return strings.TrimSpace(strings.Join(parts, "\n"))
}

// stripMarker removes list, heading and quote marks from the start of a
// line.
func stripMarker(s string) string {
	for {
		t := strings.TrimLeft(s, " \t")
		switch {
		case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), strings.HasPrefix(t, "+ "):
			t = t[2:]
		case strings.HasPrefix(t, ">"):
			t = t[1:]
		case strings.HasPrefix(t, "#"):
			h := strings.TrimLeft(t, "#")
			if len(t)-len(h) > 6 || !strings.HasPrefix(h, " ") {
				return t
			}
			t = h
		default:
			d := strings.TrimLeft(t, "0123456789")
			if len(d) == len(t) || len(t)-len(d) > 9 || !(strings.HasPrefix(d, ". ") || strings.HasPrefix(d, ") ")) {
				return t
			}
			t = d[2:]
		}
		s = t
	}
}

// line makes the questions of one line: a question and answer, or the
// clozes of its sentences.
func (g *generator) line(l numbered) error {
	// The spaces around let a line start or end with " :: ".
	segs, err := tokenize(" "+stripMarker(l.text)+" ", l.n, markup{bold: g.opts.BoldAsCloze})
	if err != nil {
		return err
	}
	// A question and answer: " ::: " or " :: " outside code and math.
	for _, sep := range []string{" ::: ", " :: "} {
		if q, a, ok := splitQA(segs, sep); ok {
			q, a = strings.TrimSpace(q), strings.TrimSpace(a)
			if q == "" || a == "" {
				return &LineError{Line: l.n, Msg: "a question and answer needs text on both sides of " + strings.TrimSpace(sep)}
			}
			g.add(Question{Prompt: q, Answers: []string{a}, Line: l.n})
			if sep == " ::: " {
				g.add(Question{Prompt: a, Answers: []string{q}, Line: l.n})
			}
			return nil
		}
	}
	for _, s := range sentences(segs) {
		if err := g.clozes(s, l.n); err != nil {
			return err
		}
	}
	return nil
}

// splitQA splits the raw text of a line at the first sep in a text
// segment.
func splitQA(segs []segment, sep string) (q, a string, ok bool) {
	var b strings.Builder
	for i, s := range segs {
		if s.kind == plain {
			if j := strings.Index(s.text, sep); j >= 0 {
				b.WriteString(s.text[:j])
				q = b.String()
				b.Reset()
				b.WriteString(s.text[j+len(sep):])
				for _, t := range segs[i+1:] {
					b.WriteString(t.raw())
				}
				return q, b.String(), true
			}
		}
		b.WriteString(s.raw())
	}
	return "", "", false
}

// MaxClozeNumbers bounds the distinct cloze numbers of one sentence. Each
// number makes a prompt of the whole sentence, so the bound keeps the
// work of a sentence linear in its length.
const MaxClozeNumbers = 100

// clozes makes one question per cloze number of a sentence.
func (g *generator) clozes(s []segment, line int) error {
	var order []int
	seen := map[int]bool{}
	for _, seg := range s {
		if seg.kind == cloze && !seen[seg.num] {
			if len(order) == MaxClozeNumbers {
				return &LineError{Line: line, Msg: fmt.Sprintf("a sentence may hold at most %d cloze numbers", MaxClozeNumbers)}
			}
			seen[seg.num] = true
			order = append(order, seg.num)
		}
	}
	for _, n := range order {
		var p strings.Builder
		var answers []string
		hint := ""
		for _, seg := range s {
			switch {
			case seg.kind == cloze && seg.num == n:
				answers = append(answers, seg.text)
				if seg.hint != "" {
					hint = seg.hint
					p.WriteString("[" + seg.hint + "]")
				} else {
					p.WriteString("[...]")
				}
			case seg.kind == cloze:
				p.WriteString(seg.text)
			default:
				p.WriteString(seg.raw())
			}
		}
		g.add(Question{
			Prompt:  strings.TrimSpace(p.String()),
			Answers: []string{strings.Join(answers, ", ")},
			Hint:    hint,
			Line:    line,
		})
	}
	return nil
}

// sentences splits the segments of a line into sentences: a text segment
// ends one at '.', '!' or '?' followed by white space.
func sentences(segs []segment) [][]segment {
	var out [][]segment
	var cur []segment
	for _, s := range segs {
		if s.kind != plain {
			cur = append(cur, s)
			continue
		}
		t := s.text
		for {
			i := sentenceEnd(t)
			if i < 0 {
				break
			}
			cur = append(cur, segment{kind: plain, text: t[:i]})
			out = append(out, cur)
			cur = nil
			t = t[i:]
		}
		if t != "" {
			cur = append(cur, segment{kind: plain, text: t})
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// sentenceEnd returns the index just after the first sentence end in t,
// or -1.
func sentenceEnd(t string) int {
	for i := 0; i+1 < len(t); i++ {
		if (t[i] == '.' || t[i] == '!' || t[i] == '?') && (t[i+1] == ' ' || t[i+1] == '\t') {
			return i + 1
		}
	}
	return -1
}

type kind int

const (
	plain     kind = iota // text
	protected             // code or math, shown as written
	cloze
)

// segment is a piece of a line.
type segment struct {
	kind kind
	// text is the text (plain), the code or math with its delimiters
	// (protected), or the term (cloze).
	text string
	num  int    // the cloze number
	hint string // the cloze hint
}

// raw is the segment as it was written, but for clozes, which show their
// term.
func (s segment) raw() string { return s.text }

// markup is what tokenize reads besides {{cN::}} clozes.
type markup struct {
	bold       bool // **term** is a cloze
	clozesOnly bool // nothing else: no ==term==, code or math
}

// tokenize splits a line into text, code and math, and clozes. Clozes
// without a number (==term==, **term**) get numbers above any {{cN::}}.
func tokenize(line string, n int, m markup) ([]segment, error) {
	var segs []segment
	var text strings.Builder
	emit := func(s segment) {
		if text.Len() > 0 {
			segs = append(segs, segment{kind: plain, text: text.String()})
			text.Reset()
		}
		segs = append(segs, s)
	}
	auto := 1 << 20
	for i := 0; i < len(line); {
		rest := line[i:]
		switch {
		case m.clozesOnly && !strings.HasPrefix(rest, "{{c"):
		case rest[0] == '`':
			ticks := len(rest) - len(strings.TrimLeft(rest, "`"))
			if j := strings.Index(rest[ticks:], rest[:ticks]); j >= 0 {
				end := ticks + j + ticks
				emit(segment{kind: protected, text: rest[:end]})
				i += end
				continue
			}
			text.WriteString(rest[:ticks])
			i += ticks
			continue
		case rest[0] == '$':
			delim := "$"
			if strings.HasPrefix(rest, "$$") {
				delim = "$$"
			}
			body := rest[len(delim):]
			if j := strings.Index(body, delim); j > 0 && !startsSpace(body) && !unicode.IsSpace(lastRune(body[:j])) {
				end := len(delim) + j + len(delim)
				emit(segment{kind: protected, text: rest[:end]})
				i += end
				continue
			}
		case strings.HasPrefix(rest, "{{c"):
			num, term, hint, size, err := parseCloze(rest)
			if err != "" {
				return nil, &LineError{Line: n, Msg: err}
			}
			if size > 0 {
				emit(segment{kind: cloze, text: term, num: num, hint: hint})
				i += size
				continue
			}
		case strings.HasPrefix(rest, "=="), m.bold && strings.HasPrefix(rest, "**"):
			delim := rest[:2]
			body := rest[2:]
			if j := strings.Index(body, delim); j > 0 && !startsSpace(body) && !unicode.IsSpace(lastRune(body[:j])) {
				auto++
				emit(segment{kind: cloze, text: body[:j], num: auto})
				i += 2 + j + 2
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(rest)
		text.WriteRune(r)
		i += size
	}
	if text.Len() > 0 {
		segs = append(segs, segment{kind: plain, text: text.String()})
	}
	return segs, nil
}

func startsSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s == "" || unicode.IsSpace(r)
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// parseCloze reads "{{cN::term}}" or "{{cN::term::hint}}" at the start of
// s. size is 0 if s does not start a cloze ("{{cat}}"); msg is not empty
// for a cloze that is broken.
func parseCloze(s string) (num int, term, hint string, size int, msg string) {
	digits := strings.TrimLeft(s[3:], "0123456789")
	nd := len(s) - 3 - len(digits)
	if nd == 0 || !strings.HasPrefix(digits, "::") {
		return 0, "", "", 0, ""
	}
	if nd > 4 {
		return 0, "", "", 0, "cloze number " + s[3:3+nd] + " is too large"
	}
	num, _ = strconv.Atoi(s[3 : 3+nd])
	label := s[:3+nd] + "::"
	body := digits[2:]
	end := strings.Index(body, "}}")
	if end < 0 {
		return 0, "", "", 0, fmt.Sprintf("unclosed %s cloze (no }})", label)
	}
	inner := body[:end]
	// "}}}" closes after a term ending in '}'.
	for strings.HasPrefix(body[end+2:], "}") {
		end++
		inner = body[:end]
	}
	term, hint, _ = strings.Cut(inner, "::")
	term, hint = strings.TrimSpace(term), strings.TrimSpace(hint)
	if term == "" {
		return 0, "", "", 0, "empty " + label + " cloze"
	}
	return num, term, hint, len(label) + end + 2, ""
}
