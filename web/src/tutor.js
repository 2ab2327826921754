// Conversations with the tutor: a chat about one topic's question bank,
// the tutor's reply streamed as it is written. Ended conversations show
// their transcript.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, Link, Loading, plural, when, navigate, sendFailed, useTitle, useFocusHeading } from './ui.js';
import { newKey } from './api.js';
import { Chat } from './study.js';

// MAX_PAGES bounds the pages of messages a transcript loads.
const MAX_PAGES = 50;

/** bubble turns an API Message into a chat message. */
const bubble = (m) => ({ from: m.role === 'tutor' ? 'tutor' : 'learner', text: m.content, correct: m.correct });

/** TutorPage is the conversation id with the tutor. */
export function TutorPage({ api, id }) {
  const [conv, setConv] = useState(null);
  const [messages, setMessages] = useState([]);
  const [loadError, setLoadError] = useState('');
  const [input, setInput] = useState('');
  // pending is the message in flight or failed: {text, key, failed?}; its
  // key is reused when it is sent again, so the tutor answers it once.
  const [pending, setPending] = useState(null);
  const [streamed, setStreamed] = useState(''); // the reply so far
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState(false);
  const inputRef = useRef(null);
  const heading = useRef(null);
  useTitle(conv ? conv.title : 'Tutor');
  useFocusHeading(heading, id);

  useEffect(() => {
    (async () => {
      try {
        let r = await api.conversation(id);
        const all = [...r.messages];
        for (let i = 0; r.next_cursor && i < MAX_PAGES; i++) {
          r = await api.conversation(id, r.next_cursor);
          all.push(...r.messages);
        }
        setMessages(all.map(bubble));
        setConv(r.conversation);
      } catch (err) {
        setLoadError(err.status === 404 ? 'This conversation does not exist, or it has been deleted.' : err.message);
      }
    })();
  }, [id]);
  const active = conv && conv.state === 'active';
  useEffect(() => {
    if (active && inputRef.current) inputRef.current.focus();
  }, [active]);

  const send = async (text, key) => {
    setError('');
    setStreamed('');
    setPending({ text, key });
    try {
      const r = await api.say(id, text, key, setStreamed);
      setPending(null);
      setStreamed('');
      setMessages((ms) => [...ms, ...(r.learner_message ? [bubble(r.learner_message)] : []), bubble(r.message)]);
      setConv(r.conversation);
      if (inputRef.current) inputRef.current.focus();
    } catch (err) {
      setStreamed('');
      sendFailed(err, { text, key, setPending, setInput, setError, over: async () => {
        const c = await api.conversation(id).catch(() => null);
        if (c) setConv(c.conversation);
        setError('This conversation is over.');
      } });
    }
  };
  const busy = pending && !pending.failed;
  const submit = (e) => {
    e.preventDefault();
    const text = input.trim();
    if (busy || !active) return;
    if (!text) {
      setError('Write a message first: a question, or “quiz me”.');
      return;
    }
    if (pending && pending.failed) {
      setError('Send your last message again first, or reload the page.');
      return;
    }
    setInput('');
    send(text, newKey());
  };
  const quiz = () => {
    if (!busy && active && !(pending && pending.failed)) send('quiz me', newKey());
  };
  const end = async () => {
    if (busy || !active) return;
    try {
      const r = await api.endConversation(id);
      setConv(r.conversation);
      setPending(null);
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = async () => {
    try {
      await api.deleteConversation(id);
      navigate('/history', { replace: true });
    } catch (err) {
      setError(err.message);
      setConfirm(false);
    }
  };

  if (loadError)
    return html`<main id="main"><h1 tabindex="-1" ref=${heading}>Tutor</h1>
      <p class="error-message" role="alert">${loadError}</p><p><${Link} href="/history">Back to the history</${Link}></p></main>`;

  let shown = messages;
  if (pending) {
    shown = [...messages, { from: 'learner', text: pending.text, pending: busy, failed: pending.failed }];
    if (busy) shown.push({ from: 'tutor', text: streamed || 'The tutor is writing…', pending: !streamed, streaming: true });
  }
  return html`<main id="main" class="study tutor">
    <div class="study-head">
      <p class="crumbs">${conv && html`<${Link} href=${'/topics/' + encodeURIComponent(conv.topic_id)}>The topic</${Link}>`}</p>
      <h1 tabindex="-1" ref=${heading}>${conv ? conv.title : 'Tutor'}</h1>
      ${conv && html`<p class="meta">${when(conv.created_at)} · ${plural(conv.message_count, 'message')} · ${conv.state === 'active' ? 'open' : conv.state}</p>`}
    </div>
    ${!conv && html`<${Loading} label="Loading the conversation…" />`}
    ${conv && shown.length === 0 &&
    html`<div class="empty"><p>Ask the tutor anything about this topic, or press “Quiz me” for a question from your notes.</p></div>`}
    ${conv && shown.length > 0 && html`<${Chat} messages=${shown} label="Conversation with the tutor" onRetry=${() => send(pending.text, pending.key)} />`}
    ${conv && !active && html`<p class="notice">This conversation has ended${conv.state === 'expired' ? ' (it was idle too long)' : ''}.</p>`}
    ${conv && active &&
    html`<form class="composer" onSubmit=${submit} novalidate>
      ${error && html`<p class="error-message" role="alert" id="message-error">${error}</p>`}
      <label for="message">Your message</label>
      ${conv.quizzing && html`<p class="hint" id="message-hint">The tutor asked you a question: your next message is your answer.</p>`}
      <div class="composer-row">
        <input id="message" ref=${inputRef} value=${input} onInput=${(e) => setInput(e.currentTarget.value)}
          autocomplete="off" maxlength="2000" enterkeyhint="send"
          aria-describedby=${[error ? 'message-error' : '', conv.quizzing ? 'message-hint' : ''].filter(Boolean).join(' ') || undefined} />
        <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>Send</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${quiz}>Quiz me</button>
        <button type="button" onClick=${end}>End conversation</button>
        <button type="button" class="danger-outline" onClick=${() => setConfirm(true)}>Delete</button>
      </div>
    </form>`}
    ${conv && !active && !confirm &&
    html`<div class="actions">
      ${error && html`<p class="error-message" role="alert">${error}</p>`}
      <button type="button" class="danger-outline" onClick=${() => setConfirm(true)}>Delete this conversation</button>
    </div>`}
    ${confirm &&
    html`<div class="confirm card" role="alertdialog" aria-labelledby="delete-conv">
      <p id="delete-conv">Delete this conversation and its ${plural(conv.message_count, 'message')}? This cannot be undone.</p>
      <div class="actions">
        <button type="button" class="danger" onClick=${remove} autofocus>Yes, delete it</button>
        <button type="button" onClick=${() => setConfirm(false)}>Keep it</button>
      </div>
    </div>`}
  </main>`;
}

/** AskTutor starts a conversation with the tutor about topic. */
export function AskTutor({ api, topic }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const start = async () => {
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      const r = await api.startConversation(topic.id);
      navigate('/tutor/' + encodeURIComponent(r.conversation.id));
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  return html`<button type="button" class="ask-tutor" onClick=${start} aria-busy=${busy ? 'true' : undefined}>Ask the tutor</button>
    ${error && html`<p class="error-message" role="alert">${error}</p>`}`;
}

/** Conversations lists the past conversations with the tutor (History). */
export function Conversations({ api }) {
  const [rows, setRows] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState('');
  const load = async (cursor = '') => {
    try {
      const r = await api.conversations(cursor);
      setRows((x) => [...(cursor ? x : []), ...r.conversations]);
      setNext(r.next_cursor || null);
      setError('');
    } catch (err) {
      setError(err.message);
    }
  };
  useEffect(() => {
    load();
  }, []);
  return html`<section aria-labelledby="conversations-heading" class="conversations">
    <h2 id="conversations-heading">Conversations with the tutor</h2>
    ${!rows && !error && html`<${Loading} label="Loading your conversations…" lines=${1} />`}
    ${rows && rows.length === 0 && html`<p class="empty">No conversations yet. Open a topic and press “Ask the tutor”.</p>`}
    ${rows && rows.length > 0 &&
    html`<ul class="sessions">
      ${rows.map(
        (c) => html`<li class="card conversation-row" key=${c.id}>
          <h3><${Link} href=${'/tutor/' + encodeURIComponent(c.id)}>${c.title}</${Link}></h3>
          <p class="meta">${when(c.created_at)} · ${plural(c.message_count, 'message')} · ${c.state === 'active' ? 'open' : c.state}</p>
        </li>`,
      )}
    </ul>`}
    ${error && html`<p class="error-message" role="alert">${error}</p>`}
    ${next && html`<p class="actions"><button type="button" onClick=${() => load(next)}>More conversations</button></p>`}
  </section>`;
}
