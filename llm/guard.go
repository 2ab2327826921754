package llm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// sseFields are the field names that start a Server-Sent Events line.
var sseFields = []string{"data:", "event:", "id:", "retry:"}

const sseDone = "[DONE]"

// findFraming returns the byte offset of the first Server-Sent Events
// framing in s: a field name at the start of a line (after spaces or tabs)
// or the stream's end marker anywhere. lineStart says whether s begins a
// line.
func findFraming(s string, lineStart bool) (int, bool) {
	if i := strings.Index(s, sseDone); i >= 0 {
		return i, true
	}
	for i := 0; i < len(s); i++ {
		if i == 0 && !lineStart || i > 0 && s[i-1] != '\n' && s[i-1] != '\r' {
			continue
		}
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		for _, f := range sseFields {
			if len(s)-j >= len(f) && strings.EqualFold(s[j:j+len(f)], f) {
				return j, true
			}
		}
	}
	return 0, false
}

// HasFraming reports whether text carries Server-Sent Events framing: a
// line starting with data:, event:, id: or retry:, or the [DONE] marker.
func HasFraming(text string) bool {
	_, found := findFraming(text, true)
	return found
}

// framingGuard passes a streamed reply on chunk by chunk and stops it at the
// first Server-Sent Events framing, before any of it is passed on. It holds
// back only what could still become framing: a line start followed by a
// prefix of a field name, or a prefix of [DONE].
type framingGuard struct {
	pending   string
	started   bool // something was passed on
	lineStart bool // pending begins a line
}

func (g *framingGuard) feed(s string) (string, error) {
	if !g.started && g.pending == "" {
		g.lineStart = true
	}
	g.pending += s
	if at, found := findFraming(g.pending, g.lineStart); found {
		return "", fmt.Errorf("the reply frames Server-Sent Events: %.40q", g.pending[at:])
	}
	cut := len(g.pending)
	// A line whose start could still become a field name.
	lb := strings.LastIndexAny(g.pending, "\r\n")
	if lb >= 0 || g.lineStart {
		tail := strings.TrimLeft(g.pending[lb+1:], " \t")
		for _, f := range sseFields {
			if len(tail) < len(f) && strings.HasPrefix(f, strings.ToLower(tail)) {
				cut = lb + 1
				break
			}
		}
	}
	// A prefix of [DONE] at the end.
	for n := min(len(sseDone)-1, len(g.pending)); n > 0; n-- {
		if strings.HasSuffix(g.pending, sseDone[:n]) {
			cut = min(cut, len(g.pending)-n)
			break
		}
	}
	out := g.pending[:cut]
	g.pending = g.pending[cut:]
	if out != "" {
		g.started = true
		last := out[len(out)-1]
		g.lineStart = last == '\n' || last == '\r'
	}
	return out, nil
}

// flush returns what is held back at the end of the reply.
func (g *framingGuard) flush() (string, error) {
	out := g.pending
	g.pending = ""
	return out, nil
}

// delimiterMarks are the markers of learner data in prompts, and the role
// markers of common chat templates.
var delimiterMarks = []string{"<<<", ">>>", "<|", "|>", "[inst]", "[/inst]", "<s>", "</s>", "###"}

// instructionPatterns match instructions to a model in normalized learner
// text (lower case, accents and punctuation gone, single spaces). The
// squashed forms catch s p a c e d or d-o-t-t-e-d letters.
var (
	instructionPatterns = regexp.MustCompile(`\b(` + strings.Join([]string{
		`ignor\w*`, `disregard\w*`, `forget\w*`, `overrid\w*`, `bypass\w*`,
		`instruction\w*`, `system`, `prompt`, `assistant`, `developer`, `jailbreak\w*`,
		`you are now`, `you must`, `act as`, `pretend`, `roleplay`, `new rules?`,
		`mark\w*`, `grade\w*`, `scor\w*`, `verdict\w*`, `judge\w*`, `evaluat\w*`,
		`correct\w*`, `corret\w*`, `korrekt\w*`, `richtig`, `accept\w*`, `full marks?`, `right answer`,
		`reveal\w*`, `repeat\w*`, `print\w*`, `output\w*`, `respond\w*`, `reply with`, `say`, `tell me`,
		`json`, `true for`,
	}, "|") + `)\b`)
	squashedPatterns = []string{
		"ignoreprevious", "ignoreall", "ignoretheabove", "systemprompt", "markascorrect", "markcorrect",
		"markthiscorrect", "saycorrect", "verdictcorrect", "gradeascorrect", "youarenow", "newinstructions",
		"revealtheanswer", "tellmetheanswer", "whatistheanswer", "printthe",
	}
	encodedBlob = regexp.MustCompile(`[A-Za-z0-9+/_-]{32,}={0,2}|(?:%[0-9A-Fa-f]{2}){4,}|(?:\\u[0-9A-Fa-f]{4}){2,}|(?:\\x[0-9A-Fa-f]{2}){4,}`)
)

// MaxAnswerBytes bounds a free-text answer the LLM may grade.
const MaxAnswerBytes = 300

// Suspicious reports whether learner text carries instructions to a model,
// the prompt's markers or Server-Sent Events framing, or disguises them
// (hidden or control characters, letters of several scripts in one word,
// encoded blobs), and says which. It errs on the side of suspicion: an
// answer it flags is graded by the rules alone, which is never worse than
// having no LLM.
func Suspicious(text string) (reason string, suspicious bool) {
	if !utf8.ValidString(text) {
		return "invalid UTF-8", true
	}
	if reason, bad := carriesMarkers(text); bad {
		return reason, true
	}
	for _, r := range text {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || r == utf8.RuneError {
			return fmt.Sprintf("hidden character %U", r), true
		}
	}
	folded := strings.ToLower(norm.NFKC.String(text))
	if encodedBlob.MatchString(text) {
		return "encoded text", true
	}
	if w, mixed := mixedScripts(folded); mixed {
		return fmt.Sprintf("letters of several scripts in %q", w), true
	}
	plain := plainWords(folded)
	if m := instructionPatterns.FindString(plain); m != "" {
		return fmt.Sprintf("instruction word %q", m), true
	}
	squashed := strings.ReplaceAll(plain, " ", "")
	for _, p := range squashedPatterns {
		if strings.Contains(squashed, p) {
			return fmt.Sprintf("instruction %q", p), true
		}
	}
	return "", false
}

// plainWords lower-cases s, drops accents, turns every run of non-letters
// and non-digits into one space, and reads common letter-for-digit swaps
// (0→o, 1→i, 3→e, 4→a, 5→s, 7→t, @→a, $→s) inside words.
func plainWords(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	space := true
	rs := []rune(d)
	for i, r := range rs {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case leet(r) != 0 && i > 0 && unicode.IsLetter(rs[i-1]):
			b.WriteRune(leet(r))
			space = false
		case unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

func leet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	}
	return 0
}

// mixedScripts finds a word whose letters come from more than one script
// (Latin letters with Cyrillic or Greek look-alikes).
func mixedScripts(s string) (string, bool) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) }) {
		var latin, cyr, greek bool
		for _, r := range w {
			latin = latin || unicode.Is(unicode.Latin, r)
			cyr = cyr || unicode.Is(unicode.Cyrillic, r)
			greek = greek || unicode.Is(unicode.Greek, r)
		}
		if n := b2i(latin) + b2i(cyr) + b2i(greek); n > 1 {
			return w, true
		}
	}
	return "", false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
