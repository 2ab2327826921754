// The operator's page, /ops (admin role): live figures of the whole
// cluster and of each instance, polled from GET /v1/ops every few seconds.
// The first screen answers the questions of an operator in trouble: is
// Redis up, are the caches hitting, is anyone being limited. Charts are
// small SVG sparklines drawn here (no chart library: a polyline is all a
// trend line needs), kept for the last few minutes in the tab's memory.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, Loading, useFocusHeading, useTitle } from './ui.js';

const POLL_MS = 2000;
const KEEP = 90; // points: three minutes at one per 2 s

/** fmt shows a rate or a duration with two significant decimals at most. */
function fmt(v, unit = '') {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
  return s + unit;
}
const pct = (r) => (r === null || r === undefined ? '–' : Math.round(r * 100) + ' %');
/** size shows a number of bytes in B, KiB, MiB or GiB: 699 B, 2.1 KiB, 64 MiB. */
function size(b) {
  if (b === null || b === undefined || Number.isNaN(b)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return (i === 0 || b >= 100 ? String(Math.round(b)) : b.toFixed(1).replace(/\.0$/, '')) + '\u00a0' + units[i]; // no break inside
}
/** count shows a whole number with thousands separators. */
const count = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
/** entries shows a number of near-cache entries in words. */
const entries = (n) => count(n) + (n === 1 ? ' entry' : ' entries');
/** nearText is the near-cache of a snapshot in a few words. */
const nearText = (nc) => (nc.enabled ? `${entries(nc.entries)}, ${size(nc.bytes)}` : 'Off');

/** quantile merges routes' latency buckets and estimates the q-quantile (ms). */
function quantile(q, bounds, routes) {
  const counts = new Array(bounds.length + 1).fill(0);
  for (const r of routes) r.latency_counts.forEach((c, i) => (counts[i] += c));
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c <= 0 || cum + c < rank) {
      cum += c;
      continue;
    }
    if (i >= bounds.length) return bounds[bounds.length - 1];
    const lower = i > 0 ? bounds[i - 1] : 0;
    return lower + ((bounds[i] - lower) * (rank - cum)) / c;
  }
  return bounds[bounds.length - 1];
}

/** summary is the headline figures of one snapshot. */
function summary(s) {
  const rps = s.routes.reduce((a, r) => a + r.per_second, 0);
  let hits = 0;
  let lookups = 0;
  for (const c of s.caches) {
    hits += c.hits;
    lookups += c.hits + c.misses + c.errors;
  }
  return {
    rps,
    p50: quantile(0.5, s.latency_bounds_ms, s.routes),
    p99: quantile(0.99, s.latency_bounds_ms, s.routes),
    hitRatio: lookups ? hits / lookups : null,
    avoided: s.db.reads_avoided,
    dbReads: s.db.reads,
    limited: s.rate_limit.limited,
    allowed: s.rate_limit.allowed,
    fallback: s.rate_limit.fallback,
    nearEntries: s.near_cache.enabled ? s.near_cache.entries : null,
  };
}

/**
 * Spark is a trend line of values (nulls are gaps), scaled to its own
 * range from 0; label says what it shows for screen readers.
 */
export function Spark({ values, label, max }) {
  const w = 120;
  const h = 32;
  const top = Math.max(max || 0, ...values.filter((v) => v !== null), 1e-9);
  const n = Math.max(values.length, 2);
  let d = '';
  values.forEach((v, i) => {
    if (v === null) return;
    const x = ((i + (n - values.length)) / (n - 1)) * w;
    const y = h - 2 - (v / top) * (h - 4);
    d += `${d && values[i - 1] !== null ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return html`<svg class="spark" viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label=${label}>
    <path class="spark-base" d=${`M0,${h - 1}H${w}`} />
    ${d && html`<path class="spark-line" d=${d} />`}
  </svg>`;
}

/** Stat is a big number with its trend beneath (Grafana's single stat). */
function Stat({ title, value, hint, values, state }) {
  return html`<section class=${'stat' + (state ? ' stat-' + state : '')}>
    <h2>${title}</h2>
    <p class="stat-value">${value}</p>
    ${hint && html`<p class="meta">${hint}</p>`}
    ${values && html`<${Spark} values=${values} label=${title + ', last minutes'} max=${title.includes('ratio') ? 1 : 0} />`}
  </section>`;
}

const REDIS_WORDS = { ok: 'Up', degraded: 'Down: serving from the database', disabled: 'Not used (in-process caches)' };

/** OpsPage is /ops. */
export function OpsPage({ api }) {
  const [points, setPoints] = useState([]); // [{at, view}]
  const [error, setError] = useState(null); // ApiError
  const [scope, setScope] = useState('cluster');
  const heading = useRef(null);
  useTitle('Operations');
  useFocusHeading(heading, 'ops');

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      try {
        const view = await api.ops();
        if (stopped) return;
        setError(null);
        setPoints((p) => [...p, { at: Date.now(), view }].slice(-KEEP));
      } catch (err) {
        if (stopped) return;
        setError(err);
        if (err.status === 403 || err.status === 401) return; // no point asking again
      }
      timer = setTimeout(poll, POLL_MS);
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const head = html`<h1 tabindex="-1" ref=${heading}>Operations</h1>`;
  if (error && error.status === 403)
    return html`<main id="main">${head}
      <div class="notice" role="alert">
        <p><strong>This page is for admins.</strong> Your account does not have the admin role.</p>
        <p>An operator can grant it on the server with <code>recall admin grant USERNAME</code>.</p>
      </div>
    </main>`;
  if (!points.length)
    return html`<main id="main">${head}
      ${error ? html`<p class="error-message" role="alert">${error.message}</p>` : html`<${Loading} label="Loading the figures…" />`}
    </main>`;

  const latest = points[points.length - 1].view;
  const pick = (view) =>
    scope === 'cluster' ? view.cluster : view.instances.find((s) => s.instance === scope) || null;
  const cur = pick(latest) || latest.cluster;
  const sum = summary(cur);
  const series = (f) =>
    points.map((p) => {
      const s = pick(p.view);
      return s && s.seconds > 0 ? f(summary(s)) : null;
    });
  const redisState = cur.redis === 'degraded' ? 'bad' : cur.redis === 'ok' ? 'good' : '';
  const scopeName = scope === 'cluster' ? `all ${latest.instances.length} instance${latest.instances.length === 1 ? '' : 's'}` : scope;
  const source = {
    redis: 'Figures of every instance, shared through Redis.',
    local: 'No Redis: the figures of this instance alone.',
    local_only: 'Redis cannot be read: the figures of this instance alone.',
  }[latest.source];

  return html`<main id="main" class="ops">
    ${head}
    ${error && html`<p class="error-message" role="alert">Could not refresh: ${error.message} Showing the last figures.</p>`}
    <div class="ops-bar">
      <p class="meta">${source} Refreshed every ${POLL_MS / 1000} s; answered by ${latest.instance}.</p>
      <div class="field ops-scope">
        <label for="ops-scope">Show</label>
        <select id="ops-scope" value=${scope} onChange=${(e) => setScope(e.currentTarget.value)}>
          <option value="cluster">Whole cluster</option>
          ${latest.instances.map((s) => html`<option value=${s.instance}>${s.instance}${s.instance === latest.instance ? ' (this one)' : ''}</option>`)}
        </select>
      </div>
    </div>
    <h2 class="visually-hidden">Now, ${scopeName}</h2>
    <div class="stats">
      <${Stat} title="Redis" value=${REDIS_WORDS[cur.redis] || cur.redis} state=${redisState} />
      <${Stat} title="Requests" value=${fmt(sum.rps, ' /s')} values=${series((s) => s.rps)} />
      <${Stat} title="Latency p99" value=${fmt(sum.p99, ' ms')} hint=${'p50 ' + fmt(sum.p50, ' ms')} values=${series((s) => s.p99)} />
      <${Stat} title="Cache hit ratio" value=${pct(sum.hitRatio)} values=${series((s) => s.hitRatio)} />
      <${Stat} title="Database reads avoided" value=${fmt(sum.avoided, ' /s')} hint=${fmt(sum.dbReads, ' /s') + ' reads served by the database'}
        values=${series((s) => s.avoided)} />
      <${Stat} title="Rate limited" value=${fmt(sum.limited, ' /s')} state=${sum.limited > 0 ? 'warn' : ''}
        hint=${`${fmt(sum.allowed, ' /s')} allowed, ${fmt(sum.fallback, ' /s')} by the local fallback`} values=${series((s) => s.limited)} />
      ${cur.near_cache.enabled
        ? html`<${Stat} title="Near-cache" value=${entries(cur.near_cache.entries)}
            hint=${scope === 'cluster' && latest.instances.length > 1
              ? `${size(cur.near_cache.bytes)} held in the instances' memory`
              : `${size(cur.near_cache.bytes)} held in memory, at most ${size(cur.near_cache.capacity_bytes)} per Redis connection`}
            values=${series((s) => s.nearEntries)} />`
        : html`<${Stat} title="Near-cache" value="Off" hint=${cur.redis === 'disabled' ? 'No Redis: the caches live in process' : 'Every cached read goes to Redis'} />`}
    </div>

    <h2>Instances</h2>
    <div class="table-wrap">
      <table>
        <thead><tr><th scope="col">Instance</th><th scope="col">Requests</th><th scope="col">p99</th><th scope="col">Cache hits</th><th scope="col">Near-cache</th><th scope="col">Redis</th></tr></thead>
        <tbody>
          ${latest.instances.map((s) => {
            const m = summary(s);
            return html`<tr key=${s.instance}>
              <th scope="row">${s.instance}${s.instance === latest.instance ? ' (this one)' : ''}</th>
              <td>${fmt(m.rps, ' /s')}</td><td>${fmt(m.p99, ' ms')}</td><td>${pct(m.hitRatio)}</td><td>${nearText(s.near_cache)}</td><td>${REDIS_WORDS[s.redis] || s.redis}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>

    <h2>Routes</h2>
    ${cur.routes.length === 0
      ? html`<p class="empty">No requests in the last interval.</p>`
      : html`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Route</th><th scope="col">Requests</th><th scope="col">p50</th><th scope="col">p99</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${cur.routes.map((r) => {
                const key = r.method + ' ' + r.route;
                const trend = points.map((p) => {
                  const s = pick(p.view);
                  const x = s && s.routes.find((y) => y.method === r.method && y.route === r.route);
                  return s && s.seconds > 0 ? (x ? x.per_second : 0) : null;
                });
                return html`<tr key=${key}>
                  <th scope="row"><code>${key}</code></th>
                  <td>${fmt(r.per_second, ' /s')}</td><td>${fmt(r.p50_ms, ' ms')}</td><td>${fmt(r.p99_ms, ' ms')}</td>
                  <td><${Spark} values=${trend} label=${'Requests per second of ' + key} /></td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>`}

    <h2>Caches</h2>
    ${cur.caches.length === 0
      ? html`<p class="empty">No cache lookups yet.</p>`
      : html`<div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Cache</th><th scope="col">Hit ratio</th><th scope="col">Hits</th><th scope="col">Misses</th><th scope="col">Errors</th><th scope="col">Trend</th></tr></thead>
            <tbody>
              ${cur.caches.map((c) => {
                const trend = points.map((p) => {
                  const s = pick(p.view);
                  const x = s && s.caches.find((y) => y.cache === c.cache);
                  return x && x.hit_ratio !== null ? x.hit_ratio : null;
                });
                return html`<tr key=${c.cache}>
                  <th scope="row">${c.cache}</th><td>${pct(c.hit_ratio)}</td>
                  <td>${fmt(c.hits, ' /s')}</td><td>${fmt(c.misses, ' /s')}</td><td>${fmt(c.errors, ' /s')}</td>
                  <td><${Spark} values=${trend} max=${1} label=${'Hit ratio of the ' + c.cache + ' cache'} /></td>
                </tr>`;
              })}
            </tbody>
          </table>
        </div>`}
  </main>`;
}
