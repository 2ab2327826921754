// Shared pieces of the pages: the html tag, links, form fields with their
// errors, the GOV.UK-style error summary, progress bars and times.
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import htm from 'htm';

/** html is htm bound to preact: text in ${} is always rendered as text. */
export const html = htm.bind(h);

/** navigate moves the app to path (history API) without a page load. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** Link is an <a> that routes inside the app. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}

/**
 * ErrorSummary lists the errors of a form at its top, each a link to its
 * field, and takes the focus when it appears (GOV.UK pattern).
 * errors: [{field?: id, message}].
 */
export function ErrorSummary({ errors, title = 'There is a problem' }) {
  const ref = useRef(null);
  useEffect(() => {
    if (errors.length && ref.current) ref.current.focus();
  }, [errors]);
  if (!errors.length) return null;
  const jump = (id) => (e) => {
    const el = document.getElementById(id);
    if (el) {
      e.preventDefault();
      el.focus();
    }
  };
  return html`<div class="error-summary" role="alert" tabindex="-1" ref=${ref} aria-labelledby="error-summary-title">
    <h2 id="error-summary-title">${title}</h2>
    <ul>
      ${errors.map(
        (e) => html`<li>${e.field ? html`<a href=${'#' + e.field} onClick=${jump(e.field)}>${e.message}</a>` : e.message}</li>`,
      )}
    </ul>
  </div>`;
}

/**
 * Field is a labelled input (label above, hint and error between label and
 * control). as: 'input' | 'textarea'.
 */
export function Field({ id, label, hint, error, as = 'input', value, onInput, ...rest }) {
  const describedBy = [hint ? id + '-hint' : '', error ? id + '-error' : ''].filter(Boolean).join(' ') || undefined;
  const control =
    as === 'textarea'
      ? html`<textarea id=${id} name=${id} value=${value} onInput=${(e) => onInput(e.currentTarget.value)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy} ...${rest}></textarea>`
      : html`<input id=${id} name=${id} value=${value} onInput=${(e) => onInput(e.currentTarget.value)}
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${describedBy} ...${rest} />`;
  return html`<div class=${'field' + (error ? ' field-error' : '')}>
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${id + '-hint'}>${hint}</p>`}
    ${error && html`<p class="error-message" id=${id + '-error'}><span class="visually-hidden">Error: </span>${error}</p>`}
    ${control}
  </div>`;
}

/**
 * sendFailed handles an ApiError of a message sent in a chat: 409 (the
 * chat is over) calls over(); any other refusal (4xx but 429) puts the
 * text back in the box with the error; anything else (no answer, 429, 5xx)
 * keeps the message to be sent again with the same key.
 */
export function sendFailed(err, { text, key, setPending, setInput, setError, over }) {
  if (err.status === 409) {
    setPending(null);
    over();
  } else if (err.status >= 400 && err.status < 500 && err.status !== 429) {
    setPending(null);
    setInput(text);
    setError(err.message);
  } else {
    setPending({ text, key, failed: err.message });
  }
}

/** fieldErrors maps an ApiError's fields to {formField: message} with names. */
export function fieldErrors(err, names = {}) {
  const out = {};
  for (const [k, v] of Object.entries((err && err.fields) || {})) {
    const base = k.replace(/\[\d+\]/g, '').replace(/^questions\.?/, '');
    const name = names[k] || names[base] || k;
    out[name] = v.charAt(0).toUpperCase() + v.slice(1) + (/[.!?]$/.test(v) ? '' : '.');
  }
  return out;
}

/**
 * Progress is a labelled bar; value/max; the text says what the bar shows.
 * Its width is set through the CSSOM (an object style), which the
 * Content-Security-Policy allows, unlike a style attribute.
 */
export function Progress({ value, max = 1, label, text }) {
  const pct = max > 0 ? Math.round((100 * value) / max) : 0;
  return html`<div class="progress">
    <div class="progress-text">${text}</div>
    <div class="bar" role="progressbar" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${pct}
      aria-valuetext=${text}>
      <span class="bar-fill" style=${{ width: pct + '%' }}></span>
    </div>
  </div>`;
}

/** ago says how long ago an RFC 3339 time was, in words. */
export function ago(ts) {
  if (!ts) return '';
  const s = Math.max(0, (Date.now() - Date.parse(ts)) / 1000);
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return m === 1 ? '1 minute ago' : `${m} minutes ago`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return hrs === 1 ? '1 hour ago' : `${hrs} hours ago`;
  const d = Math.floor(hrs / 24);
  if (d < 30) return d === 1 ? 'yesterday' : `${d} days ago`;
  return new Date(ts).toLocaleDateString();
}

/**
 * until says when a future RFC 3339 time comes, in words: "in 5 minutes",
 * "in 3 hours", "tomorrow", "in 4 days", then a date; "in a moment" for
 * less than a minute (or a time just past: the server's clock decides).
 */
export function until(ts) {
  if (!ts) return '';
  const s = (Date.parse(ts) - Date.now()) / 1000;
  // The server's clock decides what is due: a time just past is still to come.
  if (s < 60) return 'in a moment';
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'in 1 minute' : `in ${m} minutes`;
  const hrs = Math.round(m / 60);
  if (hrs < 24) return hrs === 1 ? 'in 1 hour' : `in ${hrs} hours`;
  const d = Math.round(hrs / 24);
  if (d < 30) return d === 1 ? 'tomorrow' : `in ${d} days`;
  return 'on ' + new Date(ts).toLocaleDateString();
}

/**
 * nothingDue says, of an ApiError nothing_due, when the next review is.
 */
export function nothingDue(err) {
  return err.nextDueAt ? `Nothing due — next review ${until(err.nextDueAt)} (${when(err.nextDueAt)}).` : 'Nothing due — and no new questions left for today.';
}

/** when formats a time as date and time in the reader's locale. */
export function when(ts) {
  if (!ts) return '';
  return new Date(ts).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** plural says "1 question" or "3 questions". */
export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

/** Loading is a placeholder of fixed height while a page loads. */
export function Loading({ label = 'Loading…', lines = 3 }) {
  return html`<div class="loading" role="status" aria-live="polite">
    <span class="visually-hidden">${label}</span>
    ${Array.from({ length: lines }, () => html`<div class="skeleton" aria-hidden="true"></div>`)}
  </div>`;
}

/** useTitle sets the document title while a page shows. */
export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} – Recall` : 'Recall';
  }, [title]);
}

/** focusMain moves the focus to the page's heading after a navigation. */
export function useFocusHeading(ref, key) {
  useEffect(() => {
    if (ref.current) ref.current.focus({ preventScroll: false });
  }, [key]);
}
