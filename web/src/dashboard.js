// The dashboard: the learner's topics with their progress; create, rename
// and delete topics; start studying.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  html,
  Link,
  ErrorSummary,
  Field,
  fieldErrors,
  Progress,
  Loading,
  ago,
  until,
  nothingDue,
  plural,
  navigate,
  useTitle,
  useFocusHeading,
} from './ui.js';

/** Dashboard lists the topics (GET /v1/topics?view=dashboard). */
export function Dashboard({ api }) {
  const [topics, setTopics] = useState(null);
  const [streak, setStreak] = useState(null);
  const [loadError, setLoadError] = useState('');
  const heading = useRef(null);
  useTitle('Your topics');
  useFocusHeading(heading, 'dash');

  const load = async () => {
    try {
      const r = await api.topics('dashboard');
      setTopics(r.topics);
      setLoadError('');
    } catch (err) {
      setLoadError(err.message);
    }
  };
  useEffect(() => {
    load();
    api.me().then(
      (r) => setStreak(r.streak || null),
      () => setStreak(null),
    );
  }, []);

  return html`<main id="main">
    <h1 tabindex="-1" ref=${heading}>Your topics</h1>
    ${streak && html`<${Streak} streak=${streak} />`}
    <${NewTopic} api=${api} onCreated=${(t) => navigate('/topics/' + encodeURIComponent(t.id))} />
    ${loadError && html`<p class="error-message" role="alert">${loadError} <button type="button" onClick=${load}>Try again</button></p>`}
    ${topics === null && !loadError && html`<${Loading} label="Loading your topics…" />`}
    ${topics !== null &&
    (topics.length === 0
      ? html`<div class="empty">
          <h2>No topics yet</h2>
          <p>Create one above — give it a title like “Capitals of Europe” — then paste your questions into it.</p>
        </div>`
      : html`<ul class="topics" aria-label="Topics">
          ${topics.map((t) => html`<${TopicCard} key=${t.id} api=${api} topic=${t} onChange=${load} />`)}
        </ul>`)}
  </main>`;
}

/** Streak says how many days in a row the learner has studied. */
function Streak({ streak }) {
  return html`<p class="streak">
    <span class="streak-now">Study streak: <strong>${plural(streak.current, 'day')}</strong> in a row</span>
    <span class="meta">· longest ${plural(streak.longest, 'day')}</span>
    ${streak.current === 0 && html`<span class="meta">· study today to start one</span>`}
  </p>`;
}

/**
 * learning says where the topic's questions stand in spaced repetition
 * (present when the server keeps memory states).
 */
function learning(stats) {
  if (stats.new == null) return '';
  return [
    stats.due_now ? `${stats.due_now} due` : '',
    `${stats.new} new`,
    stats.learning ? `${stats.learning} learning` : '',
    `${stats.mastered} mastered`,
  ]
    .filter(Boolean)
    .join(' · ');
}

function NewTopic({ api, onCreated }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (!title.trim()) {
      setError('Enter a title for the topic.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const r = await api.createTopic({ title: title.trim() });
      setTitle('');
      onCreated(r.topic);
    } catch (err) {
      setError(fieldErrors(err).title || err.message);
    } finally {
      setBusy(false);
    }
  };
  const summary = error ? [{ field: 'new-topic-title', message: error }] : [];
  return html`<section class="card new-topic" aria-labelledby="new-topic-heading">
    <h2 id="new-topic-heading">New topic</h2>
    <${ErrorSummary} errors=${summary} />
    <form onSubmit=${submit} class="inline-form" novalidate>
      <${Field} id="new-topic-title" label="Title" value=${title} onInput=${setTitle} error=${error} maxlength="200"
        placeholder="e.g. Spanish verbs" />
      <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>${busy ? 'Creating…' : 'Create topic'}</button>
    </form>
  </section>`;
}

function TopicCard({ api, topic, onChange }) {
  const [mode, setMode] = useState('view'); // view | rename | confirm-delete
  const [title, setTitle] = useState(topic.title);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const stats = topic.stats || {};
  const href = '/topics/' + encodeURIComponent(topic.id);
  const idp = 'topic-' + topic.id;

  const rename = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (!title.trim()) {
      setError('Enter a title for the topic.');
      return;
    }
    setBusy(true);
    try {
      await api.updateTopic(topic.id, { title: title.trim() });
      setMode('view');
      setError('');
      onChange();
    } catch (err) {
      setError(fieldErrors(err).title || err.message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await api.deleteTopic(topic.id);
      onChange();
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  const [due, setDue] = useState('');
  const start = (how) => async () => {
    if (busy) return;
    setBusy(true);
    setError('');
    setDue('');
    try {
      const r = await (how === 'due' ? api.reviewDue(topic.id) : api.startSession(topic.id));
      navigate('/study/' + encodeURIComponent(r.session.id));
    } catch (err) {
      if (err.code === 'nothing_due') setDue(nothingDue(err));
      else setError(err.message);
      setBusy(false);
    }
  };
  const study = start('bank');
  const review = start('due');
  const srs = stats.new != null && topic.question_count > 0;
  const reviewLabel = stats.due_now ? `Review ${stats.due_now} due` : stats.new ? `Learn ${Math.min(stats.new, 20)} new` : '';

  const acc = stats.accuracy;
  return html`<li class="card topic">
    ${mode === 'rename'
      ? html`<form onSubmit=${rename} class="inline-form" novalidate>
          <${Field} id=${idp + '-title'} label="New title" value=${title} onInput=${setTitle} error=${error}
            maxlength="200" autofocus />
          <div class="actions">
            <button type="submit" class="primary">Save title</button>
            <button type="button" onClick=${() => { setMode('view'); setTitle(topic.title); setError(''); }}>Cancel</button>
          </div>
        </form>`
      : html`<h2><${Link} href=${href}>${topic.title}</${Link}></h2>`}
    <p class="meta">
      ${[
        plural(topic.question_count, 'question'),
        stats.last_studied_at ? 'last studied ' + ago(stats.last_studied_at) : 'not studied yet',
        stats.sessions_completed ? plural(stats.sessions_completed, 'session') + ' done' : '',
      ]
        .filter(Boolean)
        .join(' · ')}
    </p>
    ${srs && html`<p class="learning">${learning(stats)}</p>`}
    ${srs && !reviewLabel && !due &&
    html`<p class="due-note">Nothing due${stats.next_due_at ? ` — next review ${until(stats.next_due_at)}` : ''}.</p>`}
    ${due && html`<p class="due-note" role="status">${due}</p>`}
    <${Progress} value=${acc == null ? 0 : acc} max=${1} label=${'Accuracy in ' + topic.title}
      text=${acc == null ? 'No answers yet' : `${Math.round(acc * 100)}% right (${stats.correct} of ${stats.answers})`} />
    ${mode === 'confirm-delete'
      ? html`<div class="confirm" role="alertdialog" aria-labelledby=${idp + '-confirm'}>
          <p id=${idp + '-confirm'}>Delete “${topic.title}” and its ${plural(topic.question_count, 'question')}? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" onClick=${remove} autofocus>Yes, delete it</button>
            <button type="button" onClick=${() => setMode('view')}>Keep it</button>
          </div>
        </div>`
      : mode === 'view' &&
        html`<div class="actions">
          ${topic.question_count > 0 && srs && reviewLabel &&
          html`<button type="button" class="primary" onClick=${review} aria-busy=${busy ? 'true' : undefined}>${reviewLabel}</button>`}
          ${topic.question_count > 0
            ? html`<button type="button" class=${srs && reviewLabel ? '' : 'primary'} onClick=${study}
                aria-label=${'Study all of ' + topic.title}>Study</button>`
            : html`<${Link} class="button primary" href=${href}>Add questions</${Link}>`}
          <button type="button" onClick=${() => setMode('rename')} aria-label=${'Rename ' + topic.title}>Rename</button>
          <button type="button" class="danger-outline" onClick=${() => setMode('confirm-delete')}
            aria-label=${'Delete ' + topic.title}>Delete</button>
        </div>`}
    ${error && mode !== 'rename' && html`<p class="error-message" role="alert">${error}</p>`}
  </li>`;
}
