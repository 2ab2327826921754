package http

import (
	"cmp"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/recallhq/recall"
	"github.com/recallhq/recall/cardfile"
	"github.com/recallhq/recall/llm"
	"github.com/recallhq/recall/notes"
)

// Limits of the routes that make questions in bulk.
const (
	// maxGenerateBody bounds the JSON body of a generate request: notes of
	// notes.MaxBytes with room for their JSON escapes (every line break is
	// two bytes in JSON). Notes over notes.MaxBytes get 413 on their own.
	maxGenerateBody = 4 << 20
	// MaxImportBytes bounds the body of an import: cardfile.MaxRows rows
	// of a few kilobytes. The body is read a row at a time, never whole.
	MaxImportBytes = 32 << 20
	// importTimeout bounds an import or an export (10,000 rows), longer
	// than the default request timeout.
	importTimeout = time.Minute
	// maxGenerated is the most questions one generate request may make.
	maxGenerated = cardfile.MaxRows
	// generateTimeout bounds a generate request: the language model's
	// call (its own --llm-timeout, when shorter) takes longer than the
	// default request timeout allows.
	generateTimeout = time.Minute
)

// errTooManyQuestions ends an import whose rows make more questions than
// maxGenerated.
var errTooManyQuestions = errors.New("too many questions")

// Statuses of one imported row, in importRowJSON.
const (
	rowAdded     = "added"
	rowDuplicate = "duplicate"
)

// bankIndex finds the questions of a bank, and of a batch being added to
// it, by id and by text (recall.QuestionKey), to skip duplicates.
type bankIndex struct {
	ids   map[string]bool
	texts map[string]string // key → id of the question with that text
}

func newBankIndex(bank []*recall.Question) *bankIndex {
	x := &bankIndex{ids: make(map[string]bool, len(bank)), texts: make(map[string]string, len(bank))}
	for _, q := range bank {
		x.add(q)
	}
	return x
}

func (x *bankIndex) add(q *recall.Question) {
	x.ids[q.ID] = true
	k := recall.QuestionKey(q.Prompt, q.Answers)
	if _, ok := x.texts[k]; !ok {
		x.texts[k] = q.ID
	}
}

// duplicate returns the id of the question that q (whose id may be one the
// bank has, from an export) repeats, or "".
func (x *bankIndex) duplicate(guid string, q *recall.Question) string {
	if guid != "" && x.ids[guid] {
		return guid
	}
	return x.texts[recall.QuestionKey(q.Prompt, q.Answers)]
}

// lineProblems collects the bad lines of an upload, up to
// cardfile.MaxErrors of them.
type lineProblems []recall.LineProblem

// add records a problem; it reports false once the list is full.
func (p *lineProblems) add(line int, msg string) bool {
	if len(*p) < cardfile.MaxErrors {
		*p = append(*p, recall.LineProblem{Line: line, Message: msg})
	}
	return len(*p) < cardfile.MaxErrors
}

// err is the 400 answer for the problems, which are in line order.
func (p lineProblems) err(what string) error {
	msg := strconv.Itoa(len(p)) + " lines of the " + what + " are invalid"
	if len(p) == 1 {
		msg = "line " + strconv.Itoa(p[0].Line) + " of the " + what + ": " + p[0].Message
	} else if len(p) == cardfile.MaxErrors {
		msg = "at least " + msg
	}
	return &recall.Error{Code: recall.EINVALID, Message: msg + ". Nothing was added.", Lines: p}
}

// inputProblem turns the EINVALID error of a question's validation into
// one sentence for a line: "prompt must be at most 2000 characters long".
func inputProblem(err error) string {
	fields := recall.ErrorFields(err)
	if len(fields) == 0 {
		return recall.ErrorMessage(err)
	}
	parts := make([]string, 0, len(fields))
	for k, v := range fields {
		parts = append(parts, k+" "+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// newQuestion validates in as a new question of topic tid and returns it,
// or what is wrong with it.
func newQuestion(in *recall.QuestionInput, tid string, now time.Time) (*recall.Question, string) {
	if err := in.Validate(true, ""); err != nil {
		return nil, inputProblem(err)
	}
	q := &recall.Question{ID: recall.NewID(), TopicID: tid, CreatedAt: now, UpdatedAt: now}
	in.Apply(q)
	if err := q.Check(""); err != nil {
		return nil, inputProblem(err)
	}
	return q, ""
}

// generateBody is the body of POST /v1/topics/{id}/questions/generate:
// notes (package notes), or prose for the language model (Config.LLM).
type generateBody struct {
	Notes       *string `json:"notes"`
	DryRun      bool    `json:"dry_run"`
	BoldAsCloze bool    `json:"bold_as_cloze"`
	Prose       *string `json:"prose"`
	Max         *int    `json:"max"`
}

// generatedJSON is one question generate made (or would make).
type generatedJSON struct {
	Line        int      `json:"line"`
	ID          string   `json:"id,omitempty"`
	Prompt      string   `json:"prompt"`
	Answers     []string `json:"answers"`
	Hint        string   `json:"hint"`
	Explanation string   `json:"explanation,omitempty"`
}

// candidate is a question generate would make, before it is checked as a
// new question of the bank.
type candidate struct {
	line int
	in   recall.QuestionInput
}

// generateQuestions handles POST /v1/topics/{id}/questions/generate: the
// questions marked in Markdown notes (package notes), or those a language
// model writes from prose (generateFromProse), added to the bank unless
// dry_run, all or nothing, without the ones the bank or the notes already
// have.
func (s *Server) generateQuestions(w http.ResponseWriter, r *http.Request) error {
	var body generateBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	uid, tid := userID(r), r.PathValue("id")
	topic, err := s.cfg.Topics.Topic(r.Context(), uid, tid)
	if err != nil {
		return err
	}
	switch {
	case body.Prose != nil && body.Notes != nil:
		return recall.Invalid("prose", "Send notes or prose, not both.")
	case body.Prose != nil:
		return s.generateFromProse(w, r, topic, &body)
	case body.Max != nil:
		return recall.Invalid("max", "applies to prose only: notes make every question they mark")
	case body.Notes == nil:
		return recall.Invalid("notes", "is required")
	case len(*body.Notes) > notes.MaxBytes:
		return recall.Errorf(recall.ETOOLARGE, "The notes must not be larger than 1 MiB.")
	}
	bank, err := s.cfg.Questions.Questions(r.Context(), uid, tid)
	if err != nil {
		return err
	}
	existing := make([]notes.Question, len(bank))
	for i, q := range bank {
		existing[i] = notes.Question{Prompt: q.Prompt, Answers: q.Answers}
	}
	res, err := notes.Generate(*body.Notes, notes.Options{BoldAsCloze: body.BoldAsCloze, Existing: existing})
	var le *notes.LineError
	switch {
	case errors.As(err, &le):
		return lineProblems{{Line: le.Line, Message: le.Msg}}.err("notes")
	case err != nil:
		return err
	case len(res.Questions) > maxGenerated:
		return recall.Errorf(recall.ETOOLARGE, "The notes make %d questions; at most %d may be made at once.", len(res.Questions), maxGenerated)
	}
	cands := make([]candidate, len(res.Questions))
	for i, g := range res.Questions {
		cands[i] = candidate{line: g.Line, in: noteInput(g)}
	}
	qs, out, err := checkGenerated(cands, tid, s.now())
	if err != nil {
		return err
	}
	return s.addGenerated(w, r, tid, qs, out, res.Duplicates, body.DryRun)
}

// checkGenerated checks the candidates as new questions of topic tid: the
// questions and what to answer of them, or a 400 naming the bad lines.
func checkGenerated(cands []candidate, tid string, now time.Time) ([]*recall.Question, []generatedJSON, error) {
	now = now.UTC().Truncate(time.Microsecond)
	qs := make([]*recall.Question, 0, len(cands))
	out := make([]generatedJSON, 0, len(cands))
	var problems lineProblems
	for _, c := range cands {
		q, msg := newQuestion(&c.in, tid, now)
		if msg != "" {
			if !problems.add(c.line, msg) {
				break
			}
			continue
		}
		qs = append(qs, q)
		out = append(out, generatedJSON{Line: c.line, Prompt: q.Prompt, Answers: q.Answers, Hint: q.Hint, Explanation: q.Explanation})
	}
	if len(problems) > 0 {
		return nil, nil, problems.err("notes")
	}
	return qs, out, nil
}

// addGenerated adds the generated questions to the bank in one
// transaction, unless dryRun, and answers with them: 201 when some were
// added, else 200.
func (s *Server) addGenerated(w http.ResponseWriter, r *http.Request, tid string, qs []*recall.Question, out []generatedJSON, duplicates int, dryRun bool) error {
	status := http.StatusOK
	if !dryRun && len(qs) > 0 {
		if err := s.cfg.Questions.AddQuestions(r.Context(), userID(r), tid, qs); err != nil {
			return err
		}
		for i, q := range qs {
			out[i].ID = q.ID
		}
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, map[string]any{
		"dry_run": dryRun, "duplicates": duplicates, "questions": out,
	})
	return nil
}

// generateFromProse makes the questions of body.Prose with the language
// model (llm.Client.GenerateQuestions, which checks its reply against the
// schema: a prompt and at least one answer each, no question twice, at
// most body.Max of them). Those the bank already has are skipped as
// duplicates; the rest are added as the notes' are. There is no rule-based
// fallback: without a model the request is refused with 400; a model that
// fails or writes an unusable reply, or a budget that cannot be checked,
// gives 503 unavailable, and a spent llm budget 429 rate_limited with
// Retry-After (llmError). Nothing is added then.
func (s *Server) generateFromProse(w http.ResponseWriter, r *http.Request, topic *recall.Topic, body *generateBody) error {
	if s.cfg.LLM == nil {
		return recall.Invalid("prose", "Questions from prose need a language model, and none is configured on this server: mark the notes up (==term==, {{c1::term}}, Question :: Answer) and send them as notes.")
	}
	prose := *body.Prose
	switch {
	case body.BoldAsCloze:
		return recall.Invalid("bold_as_cloze", "applies to notes only")
	case strings.TrimSpace(prose) == "":
		return recall.Invalid("prose", "must not be empty")
	case len(prose) > llm.MaxProseBytes:
		return recall.Errorf(recall.ETOOLARGE, "The prose must not be larger than %d bytes.", llm.MaxProseBytes)
	}
	most := llm.DefaultGenerated
	if body.Max != nil {
		if most = *body.Max; most < 1 || most > llm.MaxGenerated {
			return recall.Invalid("max", "must be between 1 and "+strconv.Itoa(llm.MaxGenerated))
		}
	}
	// The model may take longer than the server's write timeout allows.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(generateTimeout + 10*time.Second))
	ins, _, err := s.cfg.LLM.GenerateQuestions(r.Context(), llm.GenerateRequest{
		Principal: "user:" + userID(r), Topic: topic.Title, Prose: prose, Max: most,
	})
	if err != nil {
		return s.llmError(w, err)
	}
	bank, err := s.cfg.Questions.Questions(r.Context(), topic.UserID, topic.ID)
	if err != nil {
		return err
	}
	cands := make([]candidate, len(ins))
	for i, in := range ins {
		cands[i] = candidate{line: i + 1, in: in}
	}
	qs, out, err := checkGenerated(cands, topic.ID, s.now())
	if err != nil {
		// The model's questions passed the schema, yet one is not a
		// question Recall keeps: the reply is unusable, not the request.
		return recall.Errorf(recall.EUNAVAILABLE, "The language model wrote a question Recall cannot keep (%s). Nothing was added; try again.", recall.ErrorMessage(err))
	}
	index := newBankIndex(bank)
	keep, dups := 0, 0
	for i, q := range qs {
		if index.duplicate("", q) != "" {
			dups++
			continue
		}
		index.add(q)
		qs[keep], out[keep] = q, out[i]
		keep++
	}
	return s.addGenerated(w, r, topic.ID, qs[:keep], out[:keep], dups, body.DryRun)
}

// llmError turns the error of a generation call into what the client is
// told: 400 for prose the model must not be given, 429 with Retry-After
// for a spent llm budget, 503 for the rest (the model or the budget's
// store failed; trying again may work).
func (s *Server) llmError(w http.ResponseWriter, err error) error {
	var le *llm.Error
	if !errors.As(err, &le) {
		return err
	}
	const none = " Nothing was added; marked-up notes (sent as notes) need no model."
	switch le.Reason {
	case llm.ReasonUnsafeInput:
		return recall.Invalid("prose", "holds text that reads as instructions or markers to a language model (such as <<<, >>>, <| or ###); remove it and try again")
	case llm.ReasonBadRequest:
		return recall.Invalid("prose", "is out of bounds: "+le.Err.Error())
	case llm.ReasonOverBudget:
		if le.RetryAfter <= 0 {
			return recall.Errorf(recall.EINVALID, "The prose needs more language-model tokens than your whole llm budget holds; send less of it."+none)
		}
		secs := retryAfterSeconds(le.RetryAfter)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		return recall.Errorf(recall.ERATELIMITED, "Your language-model token budget (policy llm) is spent: try again in %d seconds."+none, secs)
	case llm.ReasonBudgetUnknown:
		return recall.Errorf(recall.EUNAVAILABLE, "The language-model token budget cannot be checked just now: try again shortly."+none)
	}
	return recall.Errorf(recall.EUNAVAILABLE, "The language model gave no usable questions (%s): try again shortly."+none, le.Reason)
}

// importRowJSON is what became of one row of an imported file.
type importRowJSON struct {
	Line       int    `json:"line"`
	Status     string `json:"status"`
	QuestionID string `json:"question_id"`
}

// The extra columns of a Recall card file (cardfile.Row.Extra), written by
// the export and read by the import: what Anki's Basic note type has no
// field for. Back holds the first accepted answer; Answers the others and
// Choices the choices, one a line.
const (
	colAnswers     = "Answers"
	colChoices     = "Choices"
	colExplanation = "Explanation"
	colHint        = "Hint"
	colUnit        = "Unit"
	colAbsTol      = "Abs Tol"
	colRelTol      = "Rel Tol"
)

// exportColumns are the extra columns an export writes, in order.
var exportColumns = []string{colAnswers, colChoices, colExplanation, colHint, colUnit, colAbsTol, colRelTol}

// columnKey is how an extra column is recognised: its name without case,
// white space, '_' or '-' ("abs_tol" is "Abs Tol").
func columnKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(name))
}

// rowInputs makes the questions of one row, or says what is wrong with
// it: the question of a Basic note (rowInput), or those of a Cloze note's
// clozes (clozeInputs).
func rowInputs(row cardfile.Row) ([]*recall.QuestionInput, string) {
	if cardfile.IsCloze(row.Notetype) {
		return clozeInputs(row)
	}
	in, msg := rowInput(row)
	if msg != "" {
		return nil, msg
	}
	return []*recall.QuestionInput{in}, ""
}

// clozeInputs makes the questions of an Anki Cloze note as the notes
// generator makes them of {{cN::term}} clozes (notes.Clozes): one per
// cloze number of a sentence of its text, the sentence as the prompt, the
// hint kept. Its Back Extra is every question's explanation.
func clozeInputs(row cardfile.Row) ([]*recall.QuestionInput, string) {
	made, err := notes.Clozes(row.Prompt)
	var le *notes.LineError
	switch {
	case errors.As(err, &le):
		return nil, le.Msg
	case err != nil:
		return nil, err.Error()
	case len(made) == 0:
		return nil, "a Cloze note needs at least one {{c1::…}} deletion in its text"
	}
	explanation := strings.TrimSpace(row.Answer)
	ins := make([]*recall.QuestionInput, len(made))
	for i, q := range made {
		in := noteInput(q)
		in.Explanation = &explanation
		ins[i] = &in
	}
	return ins, ""
}

// noteInput is the input of a question that package notes made.
func noteInput(q notes.Question) recall.QuestionInput {
	return recall.QuestionInput{Prompt: &q.Prompt, Answers: &q.Answers, Hint: &q.Hint}
}

// rowInput makes the question of one row, or says what is wrong with it.
// Anki's "Back Extra" (and "Extra") columns are taken as the explanation.
func rowInput(row cardfile.Row) (*recall.QuestionInput, string) {
	prompt, answer := strings.TrimSpace(row.Prompt), strings.TrimSpace(row.Answer)
	answers := []string{answer}
	in := &recall.QuestionInput{Prompt: &prompt, Answers: &answers}
	for name, v := range row.Extra {
		v := strings.TrimSpace(v)
		switch columnKey(name) {
		case columnKey(colAnswers):
			answers = append(answers, lines(v)...)
		case columnKey(colChoices):
			choices := lines(v)
			in.Choices = &choices
		case columnKey(colExplanation), "backextra", "extra":
			in.Explanation = &v
		case columnKey(colHint):
			in.Hint = &v
		case columnKey(colUnit):
			in.Unit = &v
		case columnKey(colAbsTol), columnKey(colRelTol):
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, "the " + name + " column must be a number, not " + strconv.Quote(v)
			}
			if columnKey(name) == columnKey(colAbsTol) {
				in.AbsTol = &f
			} else {
				in.RelTol = &f
			}
		}
	}
	return in, ""
}

// lines splits a list column, one item a line, blank lines aside.
func lines(v string) []string {
	var out []string
	for l := range strings.SplitSeq(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// importMediaType returns the card file media type of a Content-Type:
// text/csv or text/tab-separated-values, UTF-8.
func importMediaType(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && (mt == cardfile.MediaTypeCSV || mt == cardfile.MediaTypeTSV) {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return mt, nil
		}
	}
	return "", recall.Errorf(errUnsupportedMediaType, "An import must be a card file: send Content-Type: text/csv or text/tab-separated-values (UTF-8).")
}

// importQuestions handles POST /v1/topics/{id}/questions/import: a card
// file in Anki's text format (package cardfile), read a row at a time
// from the body. Every row is checked before anything is written; then the
// new questions are added in one transaction, all or nothing. A row that
// repeats a question of the bank (by text, or by id in a file that an
// export wrote) or an earlier row is skipped and said so.
func (s *Server) importQuestions(w http.ResponseWriter, r *http.Request) error {
	mt, err := importMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	uid, tid := userID(r), r.PathValue("id")
	if _, err := s.cfg.Topics.Topic(r.Context(), uid, tid); err != nil {
		return err
	}
	bank, err := s.cfg.Questions.Questions(r.Context(), uid, tid)
	if err != nil {
		return err
	}
	index := newBankIndex(bank)
	now := s.now().UTC().Truncate(time.Microsecond)
	var (
		qs       []*recall.Question
		rows     []importRowJSON
		problems lineProblems // the first bad rows by their questions
	)
	err = cardfile.Read(r.Body, cardfile.Options{MediaType: mt}, func(row cardfile.Row) error {
		ins, msg := rowInputs(row)
		batch := make([]*recall.Question, 0, len(ins))
		for _, in := range ins {
			q, m := newQuestion(in, tid, now)
			if m != "" {
				msg = m
				break
			}
			batch = append(batch, q)
		}
		if msg != "" {
			problems.add(row.Line, msg)
			return nil
		}
		if len(rows)+len(batch) > maxGenerated {
			// Cloze rows make several questions each: the cap is on
			// questions as well as on rows.
			return errTooManyQuestions
		}
		for _, q := range batch {
			if id := index.duplicate(row.GUID, q); id != "" {
				rows = append(rows, importRowJSON{Line: row.Line, Status: rowDuplicate, QuestionID: id})
				continue
			}
			index.add(q)
			qs = append(qs, q)
			rows = append(rows, importRowJSON{Line: row.Line, Status: rowAdded, QuestionID: q.ID})
		}
		return nil
	})
	var rowErrs cardfile.Errors
	switch {
	case errors.Is(err, cardfile.ErrTooManyRows):
		return recall.Errorf(recall.ETOOLARGE, "A card file may hold at most %d rows.", cardfile.MaxRows)
	case errors.Is(err, errTooManyQuestions):
		return recall.Errorf(recall.ETOOLARGE, "A card file may make at most %d questions (a Cloze row makes one per cloze number).", maxGenerated)
	case errors.As(err, &rowErrs):
		// Both lists are in line order: the first MaxErrors of the two are
		// the first bad rows of the file.
		for _, e := range rowErrs {
			problems = append(problems, recall.LineProblem{Line: e.Line, Message: e.Err.Error()})
		}
		slices.SortStableFunc(problems, func(a, b recall.LineProblem) int { return cmp.Compare(a.Line, b.Line) })
		problems = problems[:min(len(problems), cardfile.MaxErrors)]
	case err != nil:
		return err
	}
	if len(problems) > 0 {
		return problems.err("file")
	}
	if len(rows) == 0 {
		return recall.Invalid("body", "The file holds no rows: each row needs a question and an answer.")
	}
	status := http.StatusOK
	if len(qs) > 0 {
		if err := s.cfg.Questions.AddQuestions(r.Context(), uid, tid, qs); err != nil {
			return err
		}
		status = http.StatusCreated
	}
	s.writeJSON(w, r, status, map[string]any{
		"added": len(qs), "duplicates": len(rows) - len(qs), "rows": rows,
	})
	return nil
}

// exportQuestions handles GET /v1/topics/{id}/questions/export?format=tsv|csv:
// the bank as a card file that Anki imports as it is (header lines, note
// type Basic, the topic as deck, each question's id as the note's GUID,
// so that Anki updates rather than copies on a second import) and that
// importQuestions turns back into the same bank.
func (s *Server) exportQuestions(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	mt := cardfile.MediaTypeTSV
	switch format {
	case "", "tsv":
		format = "tsv"
	case "csv":
		mt = cardfile.MediaTypeCSV
	default:
		return recall.Invalid("format", "must be tsv or csv")
	}
	uid, tid := userID(r), r.PathValue("id")
	topic, err := s.cfg.Topics.Topic(r.Context(), uid, tid)
	if err != nil {
		return err
	}
	bank, err := s.cfg.Questions.Questions(r.Context(), uid, tid)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", mt+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+fileName(topic.Title)+"."+format+`"`)
	cw := cardfile.NewWriter(w, cardfile.WriterOptions{GUIDs: true, Deck: topic.Title, Comma: format == "csv", Extra: exportColumns})
	for _, q := range bank {
		if err := cw.Write(exportRow(q)); err != nil {
			return nil // the client went away; the status is sent
		}
	}
	_ = cw.Flush()
	return nil
}

// exportRow is the card file row of a question.
func exportRow(q *recall.Question) cardfile.Row {
	row := cardfile.Row{GUID: q.ID, Prompt: q.Prompt, Extra: map[string]string{}}
	if len(q.Answers) > 0 {
		row.Answer = q.Answers[0]
		row.Extra[colAnswers] = strings.Join(q.Answers[1:], "\n")
	}
	row.Extra[colChoices] = strings.Join(q.Choices, "\n")
	row.Extra[colExplanation] = q.Explanation
	row.Extra[colHint] = q.Hint
	row.Extra[colUnit] = q.Unit
	if q.AbsTol != 0 {
		row.Extra[colAbsTol] = strconv.FormatFloat(q.AbsTol, 'g', -1, 64)
	}
	if q.RelTol != 0 {
		row.Extra[colRelTol] = strconv.FormatFloat(q.RelTol, 'g', -1, 64)
	}
	return row
}

// fileName makes a download's name of a title: ASCII letters, digits, '-'
// and '_' (others become '-'), at most 64 of them, "questions" if none.
func fileName(title string) string {
	var b strings.Builder
	for _, r := range title {
		if b.Len() == 64 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" {
		return s
	}
	return "questions"
}
