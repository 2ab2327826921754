// A topic: its title and description, and its question bank as a table
// (add, edit, delete, paste many at once).
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  html,
  Link,
  ErrorSummary,
  Field,
  fieldErrors,
  Loading,
  plural,
  navigate,
  useTitle,
  useFocusHeading,
} from './ui.js';
import { AskTutor } from './tutor.js';

/**
 * parsePaste reads one question a line: "Question :: Answer" or
 * "prompt<TAB>answer". It returns {questions, errors} where errors name
 * the lines it could not read.
 */
export function parsePaste(text) {
  const questions = [];
  const errors = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let parts;
    if (line.includes('\t')) parts = line.split('\t');
    else if (line.includes('::')) {
      const at = line.indexOf('::');
      parts = [line.slice(0, at), line.slice(at + 2)];
    } else {
      errors.push(`Line ${i + 1} has no “::” or tab between question and answer.`);
      return;
    }
    const prompt = parts[0].trim();
    const answer = parts.slice(1).join(' ').trim();
    if (!prompt || !answer) {
      errors.push(`Line ${i + 1} needs both a question and an answer.`);
      return;
    }
    questions.push({ prompt, answers: [answer] });
  });
  return { questions, errors };
}

const lines = (s) =>
  s
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter(Boolean);

// The form fields of a question ↔ the API's NewQuestion.
function toForm(q) {
  return {
    prompt: q ? q.prompt : '',
    answers: q ? (q.answers || []).join('\n') : '',
    choices: q ? (q.choices || []).join('\n') : '',
    hint: q ? q.hint || '' : '',
    explanation: q ? q.explanation || '' : '',
  };
}

function fromForm(f) {
  return {
    prompt: f.prompt.trim(),
    answers: lines(f.answers),
    choices: lines(f.choices),
    hint: f.hint.trim(),
    explanation: f.explanation.trim(),
  };
}

function checkQuestion(q) {
  const e = {};
  if (!q.prompt) e.prompt = 'Enter the question.';
  if (!q.answers.length) e.answers = 'Enter at least one accepted answer.';
  if (q.choices.length === 1) e.choices = 'Give at least two choices, or none.';
  else if (q.choices.length && q.answers.some((a) => !q.choices.includes(a)))
    e.choices = 'Every accepted answer must be one of the choices.';
  return e;
}

/** TopicPage shows the topic id with its question bank. */
export function TopicPage({ api, id }) {
  const [topic, setTopic] = useState(null);
  const [questions, setQuestions] = useState(null);
  const [loadError, setLoadError] = useState('');
  const heading = useRef(null);
  useTitle(topic ? topic.title : 'Topic');
  useFocusHeading(heading, id + (topic ? '1' : '0'));

  const load = async () => {
    try {
      const [t, q] = await Promise.all([api.topic(id), api.questions(id)]);
      setTopic(t.topic);
      setQuestions(q.questions);
      setLoadError('');
    } catch (err) {
      setLoadError(err.status === 404 ? 'This topic does not exist, or it has been deleted.' : err.message);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  if (loadError)
    return html`<main id="main">
      <h1 tabindex="-1" ref=${heading}>Topic</h1>
      <p class="error-message" role="alert">${loadError}</p>
      <p><${Link} href="/">Back to your topics</${Link}></p>
    </main>`;
  if (!topic)
    return html`<main id="main"><h1 tabindex="-1" ref=${heading}>Topic</h1><${Loading} label="Loading the topic…" lines=${5} /></main>`;
  return html`<main id="main">
    <p class="crumbs"><${Link} href="/">Your topics</${Link}></p>
    <h1 tabindex="-1" ref=${heading}>${topic.title}</h1>
    <${StudyButton} api=${api} topic=${topic} count=${questions.length} />
    <${TopicForm} api=${api} topic=${topic} onSaved=${setTopic} />
    <${QuestionBank} api=${api} topicID=${id} questions=${questions} onChange=${load} />
  </main>`;
}

function StudyButton({ api, topic, count }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (!count) return html`<p class="notice">Add questions below, then study them here.</p>`;
  const start = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const r = await api.startSession(topic.id);
      navigate('/study/' + encodeURIComponent(r.session.id));
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  return html`<div class="study-start actions">
    <button type="button" class="primary big" onClick=${start} aria-busy=${busy ? 'true' : undefined}>
      Study ${plural(Math.min(count, 20), 'question')}
    </button>
    <${AskTutor} api=${api} topic=${topic} />
    ${error && html`<p class="error-message" role="alert">${error}</p>`}
  </div>`;
}

function TopicForm({ api, topic, onSaved }) {
  const [title, setTitle] = useState(topic.title);
  const [description, setDescription] = useState(topic.description || '');
  const [errors, setErrors] = useState({});
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    const errs = {};
    if (!title.trim()) errs['topic-title'] = 'Enter a title for the topic.';
    setErrors(errs);
    setStatus('');
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const r = await api.updateTopic(topic.id, { title: title.trim(), description: description.trim() });
      onSaved({ ...topic, ...r.topic });
      setStatus('Saved.');
    } catch (err) {
      const fe = fieldErrors(err, { title: 'topic-title', description: 'topic-description' });
      setErrors(Object.keys(fe).length ? fe : { 'topic-form': err.message });
    } finally {
      setBusy(false);
    }
  };
  const summary = Object.entries(errors).map(([f, m]) => ({ field: f === 'topic-form' ? undefined : f, message: m }));
  return html`<details class="card">
    <summary>Edit title and description</summary>
    <${ErrorSummary} errors=${summary} />
    <form onSubmit=${submit} novalidate>
      <${Field} id="topic-title" label="Title" value=${title} onInput=${setTitle} error=${errors['topic-title']} maxlength="200" />
      <${Field} id="topic-description" label="Description (optional)" as="textarea" rows="3" value=${description}
        onInput=${setDescription} error=${errors['topic-description']} maxlength="4000" />
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>Save topic</button>
        <span role="status" class="saved">${status}</span>
      </div>
    </form>
  </details>`;
}

function QuestionBank({ api, topicID, questions, onChange }) {
  const [editing, setEditing] = useState(''); // a question id, or ''
  const [confirm, setConfirm] = useState('');
  const [rowError, setRowError] = useState({});
  const remove = async (q) => {
    try {
      await api.deleteQuestion(topicID, q.id);
      setConfirm('');
      onChange();
    } catch (err) {
      setRowError({ [q.id]: err.message });
    }
  };
  return html`<section aria-labelledby="bank-heading">
    <h2 id="bank-heading">Questions <span class="count">(${questions.length})</span></h2>
    ${questions.length === 0
      ? html`<div class="empty"><p>No questions yet. Paste a list below — one “Question :: Answer” a line — or add them one by one.</p></div>`
      : html`<table class="bank">
          <caption class="visually-hidden">The questions of this topic</caption>
          <thead><tr><th scope="col">Question</th><th scope="col">Answer</th><th scope="col">Hint</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${questions.map((q, i) =>
              editing === q.id
                ? html`<tr key=${q.id} class="editing"><td colspan="4">
                    <${QuestionForm} api=${api} topicID=${topicID} question=${q} idp=${'q' + i}
                      onDone=${() => { setEditing(''); onChange(); }} onCancel=${() => setEditing('')} />
                  </td></tr>`
                : html`<tr key=${q.id}>
                    <td data-label="Question">
                      <span class="prompt">${q.prompt}</span>
                      ${q.choices && q.choices.length > 0 && html`<ol class="choices" type="A">${q.choices.map((c) => html`<li>${c}</li>`)}</ol>`}
                      ${q.explanation && html`<p class="explanation">${q.explanation}</p>`}
                    </td>
                    <td data-label="Answer">${(q.answers || []).join(' · ')}</td>
                    <td data-label="Hint">${q.hint || html`<span class="muted">—</span>`}</td>
                    <td class="row-actions">
                      ${confirm === q.id
                        ? html`<span class="confirm-inline">Delete this question?
                            <button type="button" class="danger" onClick=${() => remove(q)} autofocus>Delete</button>
                            <button type="button" onClick=${() => setConfirm('')}>Keep</button></span>`
                        : html`<button type="button" onClick=${() => setEditing(q.id)} aria-label=${'Edit question ' + (i + 1)}>Edit</button>
                            <button type="button" class="danger-outline" onClick=${() => setConfirm(q.id)}
                              aria-label=${'Delete question ' + (i + 1)}>Delete</button>`}
                      ${rowError[q.id] && html`<p class="error-message" role="alert">${rowError[q.id]}</p>`}
                    </td>
                  </tr>`,
            )}
          </tbody>
        </table>`}
    <${PasteForm} api=${api} topicID=${topicID} onDone=${onChange} />
    <details class="card">
      <summary>Add one question with choices, hint or explanation</summary>
      <${QuestionForm} api=${api} topicID=${topicID} idp="new" onDone=${onChange} />
    </details>
    <${GenerateForm} api=${api} topicID=${topicID} onDone=${onChange} />
    <${ImportForm} api=${api} topicID=${topicID} onDone=${onChange} />
    <${ExportLinks} api=${api} topicID=${topicID} empty=${questions.length === 0} />
  </section>`;
}

function QuestionForm({ api, topicID, question, idp, onDone, onCancel }) {
  const [form, setForm] = useState(toForm(question));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const fid = (k) => `${idp}-${k}`;
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    const q = fromForm(form);
    const errs = checkQuestion(q);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      if (question) {
        if (!q.choices.length && !(question.choices || []).length) delete q.choices;
        await api.updateQuestion(topicID, question.id, q);
      }
      else {
        if (!q.choices.length) delete q.choices;
        await api.addQuestions(topicID, [q]);
        setForm(toForm(null));
      }
      setErrors({});
      onDone();
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(Object.keys(fe).length ? fe : { form: err.message });
    } finally {
      setBusy(false);
    }
  };
  const summary = Object.entries(errors).map(([f, m]) => ({ field: f === 'form' ? undefined : fid(f), message: m }));
  return html`<form onSubmit=${submit} novalidate class="question-form">
    <${ErrorSummary} errors=${summary} />
    <${Field} id=${fid('prompt')} label="Question" as="textarea" rows="2" value=${form.prompt} onInput=${set('prompt')}
      error=${errors.prompt} maxlength="2000" />
    <${Field} id=${fid('answers')} label="Accepted answers" hint="One a line." as="textarea" rows="2" value=${form.answers}
      onInput=${set('answers')} error=${errors.answers} />
    <${Field} id=${fid('choices')} label="Choices (optional)" hint="One a line; makes it multiple choice." as="textarea"
      rows="3" value=${form.choices} onInput=${set('choices')} error=${errors.choices} />
    <${Field} id=${fid('hint')} label="Hint (optional)" value=${form.hint} onInput=${set('hint')} error=${errors.hint}
      maxlength="500" />
    <${Field} id=${fid('explanation')} label="Explanation (optional)" hint="Shown after the answer." as="textarea" rows="2"
      value=${form.explanation} onInput=${set('explanation')} error=${errors.explanation} maxlength="4000" />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>${question ? 'Save question' : 'Add question'}</button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

function PasteForm({ api, topicID, onDone }) {
  const [text, setText] = useState('');
  const [errors, setErrors] = useState([]);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const parsed = parsePaste(text);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setStatus('');
    if (!parsed.questions.length && !parsed.errors.length) {
      setErrors(['Paste at least one line: a question, “::”, then its answer.']);
      return;
    }
    if (parsed.errors.length) {
      setErrors(parsed.errors);
      return;
    }
    setBusy(true);
    try {
      await api.addQuestions(topicID, parsed.questions);
      setText('');
      setErrors([]);
      setStatus(`Added ${plural(parsed.questions.length, 'question')}.`);
      onDone();
    } catch (err) {
      setErrors([err.message]);
    } finally {
      setBusy(false);
    }
  };
  return html`<form onSubmit=${submit} class="card paste" novalidate>
    <h3>Paste questions</h3>
    <${ErrorSummary} errors=${errors.map((m) => ({ field: 'paste', message: m }))} />
    <${Field} id="paste" label="Questions, one a line" as="textarea" rows="5" value=${text} onInput=${setText}
      hint="Write “Question :: Answer”, or paste two columns from a spreadsheet (question, tab, answer)."
      error=${errors.length ? errors[0] : ''} placeholder=${'Capital of France :: Paris\nCapital of Spain :: Madrid'} />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>
        ${parsed.questions.length ? `Add ${plural(parsed.questions.length, 'question')}` : 'Add questions'}
      </button>
      <span role="status" class="saved">${status}</span>
    </div>
  </form>`;
}

/**
 * lineErrors turns an ApiError of an upload into messages naming lines
 * (the API gives the first 100 bad lines), or its message.
 */
function lineErrors(err) {
  if (err.lines && err.lines.length)
    return err.lines.map((l) => `Line ${l.line}: ${l.message.charAt(0).toUpperCase() + l.message.slice(1)}.`);
  return [err.message];
}

/**
 * GenerateForm makes questions of notes (POST …/questions/generate): a
 * preview first (a dry run listing what would be made), then the real thing.
 */
function GenerateForm({ api, topicID, onDone }) {
  const [notes, setNotes] = useState('');
  const [bold, setBold] = useState(false);
  const [preview, setPreview] = useState(null); // the dry run's GenerateResult
  const [errors, setErrors] = useState([]);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (dryRun) => {
    if (busy) return;
    setStatus('');
    if (!notes.trim()) {
      setErrors(['Write or paste your notes first.']);
      return;
    }
    setBusy(true);
    try {
      const r = await api.generate(topicID, notes, { dryRun, boldAsCloze: bold });
      setErrors([]);
      if (dryRun) setPreview(r);
      else {
        setPreview(null);
        setNotes('');
        setStatus(
          `Added ${plural(r.questions.length, 'question')}` + (r.duplicates ? `; ${r.duplicates} already in the bank.` : '.'),
        );
        onDone();
      }
    } catch (err) {
      setPreview(null);
      setErrors(lineErrors(err));
    } finally {
      setBusy(false);
    }
  };
  const edit = (f) => (v) => {
    f(v);
    setPreview(null);
  };
  return html`<details class="card generate">
    <summary>Generate from notes</summary>
    <form onSubmit=${(e) => { e.preventDefault(); run(true); }} novalidate>
      <${ErrorSummary} errors=${errors.map((m) => ({ field: 'notes', message: m }))} />
      <${Field} id="notes" label="Notes" as="textarea" rows="6" value=${notes} onInput=${edit(setNotes)}
        hint="Mark what to learn: ==term== or {{c1::term}} in a sentence, or “Question :: Answer” on a line."
        error=${errors.length ? errors[0] : ''} placeholder=${'The ==Seine== flows through Paris.\nCapital of Peru :: Lima'} />
      <div class="field checkbox">
        <input type="checkbox" id="bold-as-cloze" checked=${bold} onChange=${(e) => edit(setBold)(e.currentTarget.checked)} />
        <label for="bold-as-cloze">Make **bold** words blanks too</label>
      </div>
      <div class="actions">
        <button type="submit" class=${preview ? '' : 'primary'} aria-busy=${busy && !preview ? 'true' : undefined}>Preview</button>
        <span role="status" class="saved">${status}</span>
      </div>
    </form>
    ${preview &&
    html`<section class="preview" aria-labelledby="preview-heading">
      <h3 id="preview-heading" tabindex="-1">
        ${preview.questions.length ? `${plural(preview.questions.length, 'question')} would be made` : 'Nothing new would be made'}${preview.duplicates ? ` (${preview.duplicates} already in the bank)` : ''}
      </h3>
      <ol class="generated">
        ${preview.questions.map(
          (q) => html`<li><span class="prompt">${q.prompt}</span> <span class="muted">→</span> ${q.answers.join(' · ')}${q.hint ? html` <span class="muted">(hint: ${q.hint})</span>` : ''}
            <span class="line">(line ${q.line})</span></li>`,
        )}
      </ol>
      ${preview.questions.length > 0 &&
      html`<div class="actions"><button type="button" class="primary" onClick=${() => run(false)} aria-busy=${busy ? 'true' : undefined}>
        Add ${plural(preview.questions.length, 'question')}
      </button></div>`}
    </section>`}
  </details>`;
}

/**
 * ImportForm adds the rows of a card file (CSV or tab-separated, Anki's
 * text format) and shows what became of each row, or the bad lines.
 */
function ImportForm({ api, topicID, onDone }) {
  const [errors, setErrors] = useState([]);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const file = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setResult(null);
    const f = file.current && file.current.files[0];
    if (!f) {
      setErrors(['Choose a file to import.']);
      return;
    }
    const type = /\.csv$/i.test(f.name) || f.type === 'text/csv' ? 'text/csv' : 'text/tab-separated-values';
    setBusy(true);
    try {
      const r = await api.importCards(topicID, await f.text(), type);
      setErrors([]);
      setResult(r);
      file.current.value = '';
      if (r.added) onDone();
    } catch (err) {
      setErrors(lineErrors(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<details class="card import">
    <summary>Import a card file</summary>
    <form onSubmit=${submit} novalidate>
      <${ErrorSummary} title="The file was not imported"
        errors=${errors.length > 1 ? [{ field: 'import-file', message: `${errors.length} lines have problems: nothing was added.` }] : errors.map((m) => ({ field: 'import-file', message: m }))} />
      <div class=${'field' + (errors.length ? ' field-error' : '')}>
        <label for="import-file">Card file (CSV or tab-separated)</label>
        <p class="hint" id="import-file-hint">Question, then answer, one a row — as Anki exports notes as text. Rows already in the bank are skipped.</p>
        ${errors.length > 0 &&
        html`<ul class="error-message" id="import-file-error">${errors.map((m) => html`<li>${m}</li>`)}</ul>`}
        <input type="file" id="import-file" ref=${file} accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values,text/plain"
          aria-describedby=${'import-file-hint' + (errors.length ? ' import-file-error' : '')} />
      </div>
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>Import</button>
      </div>
    </form>
    ${result &&
    html`<div class="import-result" role="status">
      <p><strong>Added ${plural(result.added, 'question')}</strong>${result.duplicates ? `; ${result.duplicates} already in the bank, skipped` : ''}.</p>
      <ul class="rows">
        ${result.rows.map((r) => html`<li>Line ${r.line}: ${r.status === 'added' ? 'added' : 'already in the bank'}</li>`)}
      </ul>
    </div>`}
  </details>`;
}

/**
 * ExportLinks downloads the bank as a card file. The token is in no URL or
 * cookie, so the file is fetched and handed to the browser as a blob.
 */
function ExportLinks({ api, topicID, empty }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  if (empty) return null;
  const download = (format) => async () => {
    if (busy) return;
    setBusy(format);
    setError('');
    try {
      const { blob, filename } = await api.exportCards(topicID, format);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy('');
    }
  };
  return html`<div class="export actions">
    <span>Export the questions:</span>
    <button type="button" onClick=${download('tsv')} aria-busy=${busy === 'tsv' ? 'true' : undefined}>Download TSV</button>
    <button type="button" onClick=${download('csv')} aria-busy=${busy === 'csv' ? 'true' : undefined}>Download CSV</button>
    ${error && html`<p class="error-message" role="alert">${error}</p>`}
  </div>`;
}
