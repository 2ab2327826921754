// The account page: who is signed in, the study streak and the time zone
// in which days of study (the streak, the daily caps of reviews) count.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, Loading, plural, useTitle, useFocusHeading } from './ui.js';

/** zones lists the IANA time zones the browser knows (UTC first). */
function zones(current) {
  let all = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    all = [];
  }
  const set = new Set(['UTC', ...all]);
  if (current) set.add(current);
  return [...set];
}

/** AccountPage shows the user and lets them set their time zone (PATCH /v1/me). */
export function AccountPage({ api }) {
  const [me, setMe] = useState(null);
  const [zone, setZone] = useState('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  useTitle('Your account');
  useFocusHeading(heading, 'account');
  useEffect(() => {
    api.me().then(
      (r) => {
        setMe(r);
        setZone(r.user.time_zone || 'UTC');
      },
      (err) => setError(err.message),
    );
  }, []);
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError('');
    setStatus('');
    try {
      const r = await api.setTimeZone(zone);
      setMe({ ...me, user: r.user });
      setStatus('Saved.');
    } catch (err) {
      setError((err.fields && err.fields.time_zone) || err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${heading}>Your account</h1>
    ${!me && !error && html`<${Loading} label="Loading your account…" />`}
    ${!me && error && html`<p class="error-message" role="alert">${error}</p>`}
    ${me &&
    html`<p>Signed in as <strong>${me.user.username}</strong>.</p>
      ${me.streak &&
      html`<p>Study streak: ${plural(me.streak.current, 'day')} in a row (longest ${plural(me.streak.longest, 'day')}).</p>`}
      <form class="card" onSubmit=${submit} novalidate>
        <div class=${'field' + (error ? ' field-error' : '')}>
          <label for="time-zone">Time zone</label>
          <p class="hint" id="time-zone-hint">Days of study, your streak and the daily number of reviews count in it.</p>
          ${error && html`<p class="error-message" id="time-zone-error"><span class="visually-hidden">Error: </span>${error}</p>`}
          <select id="time-zone" value=${zone} onChange=${(e) => setZone(e.currentTarget.value)}
            aria-describedby=${'time-zone-hint' + (error ? ' time-zone-error' : '')}>
            ${zones(zone).map((z) => html`<option value=${z} key=${z}>${z.replace(/_/g, ' ')}</option>`)}
          </select>
        </div>
        <div class="actions">
          <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>Save time zone</button>
          ${here && here !== zone && html`<button type="button" onClick=${() => setZone(here)}>Use this device’s (${here.replace(/_/g, ' ')})</button>`}
          <span role="status" class="saved">${status}</span>
        </div>
      </form>`}
  </main>`;
}
