// Studying: a chat with the tutor, and the read-only transcripts of
// History. Tutor bubbles are on the left, the learner's on the right.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html, Link, Progress, Loading, plural, when, nothingDue, navigate, sendFailed, useTitle, useFocusHeading } from './ui.js';
import { newKey } from './api.js';
import { Conversations } from './tutor.js';

/** present shows a question as the tutor does: number, prompt, choices. */
function present(n, total, q) {
  let s = `Question ${n} of ${total}: ${q.prompt}`;
  (q.choices || []).forEach((c, i) => {
    s += `\n${String.fromCharCode(65 + i)}) ${c}`;
  });
  return s;
}

/**
 * messagesOf turns a session's transcript into chat messages, led by the
 * first question (fetched by id when turns exist; the current question
 * otherwise).
 */
async function messagesOf(api, session, turns) {
  const out = [];
  const total = session.progress.total;
  if (turns.length === 0 && session.current_question) {
    out.push({ from: 'tutor', text: present(1, total, session.current_question) });
  } else if (turns.length && turns[0].question_id) {
    try {
      const r = await api.question(session.topic_id, turns[0].question_id);
      out.push({ from: 'tutor', text: present(1, total, r.question) });
    } catch {
      out.push({ from: 'tutor', text: 'Question 1 (since removed from the topic).' });
    }
  }
  for (const t of turns) out.push(...turnMessages(t));
  return out;
}

// said is how a learner's message reads in the chat: the commands the
// Hint and Skip buttons send are shown in words.
function said(message) {
  const m = message.trim().toLowerCase();
  if (m === '/hint') return 'Hint, please.';
  if (m === '/skip') return 'Skip this one.';
  return message;
}

function turnMessages(t) {
  return [
    { from: 'learner', text: said(t.message) },
    { from: 'tutor', text: t.reply, correct: t.kind === 'answer' ? t.correct : null, kind: t.kind },
  ];
}

/** Bubble is one message of a chat: the tutor's on the left, the learner's on the right. */
function Bubble({ m, onRetry }) {
  const cls = ['bubble', m.from, m.pending ? 'pending' : '', m.streaming ? 'streaming' : '', m.failed ? 'failed' : '', m.correct === true ? 'right' : '', m.correct === false ? 'wrong' : '']
    .filter(Boolean)
    .join(' ');
  return html`<li class=${cls} aria-busy=${m.pending || m.streaming ? 'true' : undefined}>
    <span class="visually-hidden">${m.from === 'tutor' ? 'Tutor: ' : 'You: '}</span>
    ${m.correct === true && html`<span class="verdict" aria-hidden="true">✓ </span>`}
    ${m.correct === false && html`<span class="verdict" aria-hidden="true">✗ </span>`}
    <span class="text">${m.text}</span>
    ${m.pending && m.from === 'learner' && html`<span class="sending">Sending…</span>`}
    ${m.failed &&
    html`<span class="failed-note">${m.failed} <button type="button" onClick=${onRetry}>Send again</button></span>`}
  </li>`;
}

/** Chat is the list of bubbles, kept scrolled to the newest. */
export function Chat({ messages, onRetry, label }) {
  const end = useRef(null);
  useLayoutEffect(() => {
    if (end.current) end.current.scrollIntoView({ block: 'end' });
  }, [messages.length, messages[messages.length - 1]]);
  return html`<ol class="chat" aria-label=${label} aria-live="polite" aria-relevant="additions">
    ${messages.map((m, i) => html`<${Bubble} key=${i} m=${m} onRetry=${onRetry} />`)}
    <li class="chat-end" ref=${end} aria-hidden="true"></li>
  </ol>`;
}

function progressText(p) {
  const done = p.answered + p.skipped;
  return `${done} of ${p.total} done · ${p.correct} right${p.skipped ? ` · ${p.skipped} skipped` : ''}`;
}

function Summary({ api, session }) {
  const p = session.progress;
  const [due, setDue] = useState('');
  const [busy, setBusy] = useState(false);
  // review starts a session of what is due now; nothing due says when.
  const review = async () => {
    if (busy) return;
    setBusy(true);
    setDue('');
    try {
      const r = await api.reviewDue(session.topic_id);
      navigate('/study/' + encodeURIComponent(r.session.id));
    } catch (err) {
      setDue(err.code === 'nothing_due' ? nothingDue(err) : err.message);
      setBusy(false);
    }
  };
  return html`<section class="card summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" tabindex="-1">Session complete</h2>
    <p class="score">${p.correct} of ${p.total} right${p.skipped ? `, ${p.skipped} skipped` : ''}.</p>
    <div class="actions">
      <${Link} class="button primary" href=${'/topics/' + encodeURIComponent(session.topic_id)}>Back to the topic</${Link}>
      <${Link} class="button" href="/">Your topics</${Link}>
      <${Link} class="button" href=${'/history/' + encodeURIComponent(session.id)}>Transcript</${Link}>
      <button type="button" onClick=${review} aria-busy=${busy ? 'true' : undefined}>Review what is due</button>
    </div>
    ${due && html`<p class="due-note" role="status">${due}</p>`}
  </section>`;
}

/** StudyPage is the conversation of the session id. */
export function StudyPage({ api, id }) {
  const [session, setSession] = useState(null);
  const [messages, setMessages] = useState([]);
  const [loadError, setLoadError] = useState('');
  const [input, setInput] = useState('');
  const [pending, setPending] = useState(null); // {text, key} of the message in flight or failed
  const [error, setError] = useState('');
  const inputRef = useRef(null);
  const heading = useRef(null);
  useTitle('Study');
  useFocusHeading(heading, id);

  useEffect(() => {
    (async () => {
      try {
        const [s, t] = await Promise.all([api.session(id), api.turns(id)]);
        setMessages(await messagesOf(api, s.session, t.turns));
        setSession(s.session);
      } catch (err) {
        setLoadError(err.status === 404 ? 'This session does not exist.' : err.message);
      }
    })();
  }, [id]);
  const loaded = !!session;
  useEffect(() => {
    // Once the session shows, the answer box has the focus: type and Enter.
    if (loaded && inputRef.current) inputRef.current.focus();
  }, [loaded]);

  const active = session && session.state === 'active';

  // send posts one message; a retry reuses the message's key, so the
  // server grades it at most once whatever happens to the connection.
  const send = async (text, key) => {
    if (pending && !pending.failed) return;
    setError('');
    setPending({ text, key });
    try {
      const r = await api.turn(id, text, key);
      setPending(null);
      setMessages((ms) => [...ms, ...turnMessages(r.turn)]);
      setSession(r.session);
      if (inputRef.current) inputRef.current.focus();
    } catch (err) {
      sendFailed(err, { text, key, setPending, setInput, setError, over: async () => {
        const s = await api.session(id).catch(() => null);
        if (s) setSession(s.session);
        setError('This session is over.');
      } });
    }
  };

  const submit = (e) => {
    e.preventDefault();
    const text = input.trim();
    if (!text || (pending && !pending.failed) || !active) return;
    if (pending && pending.failed) {
      setError('Send your last message again first, or reload the page.');
      return;
    }
    setInput('');
    send(text, newKey());
  };
  const command = (cmd) => () => {
    if (!active || pending) return;
    send(cmd, newKey());
  };
  const end = async () => {
    if (!active || pending) return;
    try {
      const key = newKey();
      setPending({ text: 'End the session', key, ending: true });
      const r = await api.endSession(id, key);
      const t = await api.turns(id).catch(() => null);
      setSession(r.session);
      if (t) setMessages(await messagesOf(api, r.session, t.turns));
      setPending(null);
    } catch (err) {
      setPending(null);
      setError(err.message);
    }
  };

  if (loadError)
    return html`<main id="main"><h1 tabindex="-1" ref=${heading}>Study</h1>
      <p class="error-message" role="alert">${loadError}</p><p><${Link} href="/">Back to your topics</${Link}></p></main>`;

  const shown = pending && !pending.ending ? [...messages, { from: 'learner', text: said(pending.text), pending: !pending.failed, failed: pending.failed }] : messages;
  return html`<main id="main" class="study">
    <div class=${'study-head' + (active ? ' sticky' : '')}>
      <h1 tabindex="-1" ref=${heading} class="visually-hidden">Study session</h1>
      ${session
        ? html`<${Progress} value=${session.progress.answered + session.progress.skipped} max=${session.progress.total}
            label="Progress" text=${progressText(session.progress)} />`
        : html`<div class="progress placeholder"></div>`}
    </div>
    ${!session ? html`<${Loading} label="Loading the session…" />` : html`<${Chat} messages=${shown} label="Conversation with the tutor"
      onRetry=${() => send(pending.text, pending.key)} />`}
    ${session && !active && html`<${Summary} api=${api} session=${session} />`}
    ${session &&
    active &&
    html`<form class="composer" onSubmit=${submit} novalidate>
      ${error && html`<p class="error-message" role="alert" id="answer-error">${error}</p>`}
      <label for="answer">Your answer</label>
      <div class="composer-row">
        <input id="answer" ref=${inputRef} value=${input} onInput=${(e) => setInput(e.currentTarget.value)}
          autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="2000" enterkeyhint="send"
          aria-describedby=${error ? 'answer-error' : undefined} />
        <button type="submit" class="primary">Answer</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${command('/hint')}>Hint</button>
        <button type="button" onClick=${command('/skip')}>Skip</button>
        <button type="button" class="danger-outline" onClick=${end}>End session</button>
      </div>
    </form>`}
  </main>`;
}

/** History lists past sessions (GET /v1/sessions). */
export function HistoryPage({ api }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const [next, setNext] = useState(null); // the cursor of the next page, or null
  const [more, setMore] = useState(false); // a page is loading
  const titles = useRef({});
  const heading = useRef(null);
  useTitle('History');
  useFocusHeading(heading, 'history');
  const named = (ss) => ss.map((x) => ({ ...x, title: titles.current[x.topic_id] || 'A deleted topic' }));
  useEffect(() => {
    (async () => {
      try {
        const [s, t] = await Promise.all([api.sessions(), api.topics('summary')]);
        titles.current = Object.fromEntries(t.topics.map((x) => [x.id, x.title]));
        setRows(named(s.sessions));
        setNext(s.next_cursor || null);
      } catch (err) {
        setError(err.message);
      }
    })();
  }, []);
  const loadMore = async () => {
    setMore(true);
    try {
      const s = await api.sessions(next);
      setRows((r) => [...r, ...named(s.sessions)]);
      setNext(s.next_cursor || null);
      setError('');
    } catch (err) {
      setError(err.message);
    } finally {
      setMore(false);
    }
  };
  return html`<main id="main">
    <h1 tabindex="-1" ref=${heading}>History</h1>
    ${!rows && !error && html`<${Loading} label="Loading your sessions…" />`}
    ${rows &&
    (rows.length === 0
      ? html`<div class="empty"><p>No sessions yet. Open a topic from <${Link} href="/">your topics</${Link}> and press Study.</p></div>`
      : html`<ul class="sessions">
          ${rows.map(
            (s) => html`<li class="card session-row" key=${s.id}>
              <h2><${Link} href=${(s.state === 'active' ? '/study/' : '/history/') + encodeURIComponent(s.id)}>${s.title}</${Link}></h2>
              <p class="meta">${when(s.created_at)} · ${s.state === 'active' ? 'in progress' : s.state}</p>
              <${Progress} value=${s.progress.correct} max=${s.progress.total} label=${'Score of the session of ' + when(s.created_at)}
                text=${`${s.progress.correct} of ${plural(s.progress.total, 'question')} right`} />
            </li>`,
          )}
        </ul>`)}
    ${error && html`<p class="error-message" role="alert">${error}</p>`}
    ${rows &&
    next &&
    html`<p class="actions"><button type="button" class="button" onClick=${loadMore} disabled=${more} aria-busy=${more ? 'true' : undefined}>
      ${more ? 'Loading…' : 'More sessions'}
    </button></p>`}
    <${Conversations} api=${api} />
  </main>`;
}

/** TranscriptPage shows one past session's conversation. */
export function TranscriptPage({ api, id }) {
  const [session, setSession] = useState(null);
  const [messages, setMessages] = useState(null);
  const [error, setError] = useState('');
  const heading = useRef(null);
  useTitle('Transcript');
  useFocusHeading(heading, id);
  useEffect(() => {
    (async () => {
      try {
        const [s, t] = await Promise.all([api.session(id), api.turns(id)]);
        setMessages(await messagesOf(api, s.session, t.turns));
        setSession(s.session);
      } catch (err) {
        setError(err.status === 404 ? 'This session does not exist.' : err.message);
      }
    })();
  }, [id]);
  return html`<main id="main">
    <p class="crumbs"><${Link} href="/history">History</${Link}></p>
    <h1 tabindex="-1" ref=${heading}>Transcript</h1>
    ${error && html`<p class="error-message" role="alert">${error}</p>`}
    ${!session && !error && html`<${Loading} label="Loading the transcript…" />`}
    ${session &&
    html`<p class="meta">${when(session.created_at)} · ${session.progress.correct} of ${plural(session.progress.total, 'question')} right${session.progress.skipped ? `, ${session.progress.skipped} skipped` : ''}</p>
      ${messages.length ? html`<${Chat} messages=${messages} label="Transcript" />` : html`<p class="empty">Nothing was said in this session.</p>`}
      ${session.state === 'active' && html`<p><${Link} class="button primary" href=${'/study/' + encodeURIComponent(session.id)}>Continue this session</${Link}></p>`}`}
  </main>`;
}
