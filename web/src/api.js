// The one API client: every request of the app goes through request().
// It adds the bearer token (kept in sessionStorage only), sends the
// Idempotency-Key of a turn, maps the error body to an ApiError whose
// message a person can read, turns 401 into "signed out" and 429 into "try
// again in N s", and retries idempotent requests when the connection is lost.

const TOKEN_KEY = 'recall.token';

/** ApiError is a failed request: status 0 means the server was not reached. */
export class ApiError extends Error {
  constructor(status, code, message, fields, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.retryAfter = retryAfter || 0;
  }
}

/** token returns the session's bearer token, or '' when signed out. */
export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

function setToken(t) {
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the app works until the tab closes.
  }
}

/** newKey returns a random Idempotency-Key (one per attempted message). */
export function newKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Backoff between attempts of an idempotent request whose connection was
// lost (or that met 503): four tries in about 3.5 s.
const BACKOFF_MS = [500, 1000, 2000];

/**
 * Client talks to the Recall API. onSignedOut is called when the server no
 * longer accepts the token; onConnection(state) with 'retrying' or 'ok'
 * while a lost connection is being retried.
 */
export class Client {
  constructor({ onSignedOut = () => {}, onConnection = () => {} } = {}) {
    this.onSignedOut = onSignedOut;
    this.onConnection = onConnection;
  }

  signedIn() {
    return token() !== '';
  }

  /**
   * request sends one request and answers its JSON body. raw sends body as
   * it is with that Content-Type instead of JSON; accept asks for another
   * type than JSON; stream, given, receives the Response of a 2xx with a
   * body to read (request then answers what stream returns).
   */
  async request(method, path, { body, idempotencyKey, raw, accept, stream } = {}) {
    const idempotent = method === 'GET' || method === 'PUT' || method === 'DELETE' || !!idempotencyKey;
    const headers = { Accept: accept || 'application/json' };
    const tok = token();
    if (tok) headers.Authorization = 'Bearer ' + tok;
    if (body !== undefined) headers['Content-Type'] = raw || 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
          cache: 'no-store',
          credentials: 'omit',
        });
      } catch {
        if (idempotent && attempt < BACKOFF_MS.length) {
          this.onConnection('retrying');
          await sleep(BACKOFF_MS[attempt]);
          continue;
        }
        this.onConnection('ok');
        throw new ApiError(0, 'network', 'Recall cannot be reached. Check your connection and try again.');
      }
      if (res.status === 503 && idempotent && attempt < BACKOFF_MS.length) {
        this.onConnection('retrying');
        await sleep(BACKOFF_MS[attempt]);
        continue;
      }
      if (attempt > 0) this.onConnection('ok');
      if (stream && res.ok && res.status !== 204) return stream(res);
      return this.#answer(res, tok);
    }
  }

  async #answer(res, sentToken) {
    if (res.status === 204) return null;
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.ok) return data;
    const e = (data && data.error) || {};
    let message = e.message || `Something went wrong (HTTP ${res.status}). Try again.`;
    let retryAfter = 0;
    if (res.status === 401 && sentToken) {
      setToken('');
      message = 'You have been signed out. Sign in again to go on.';
      this.onSignedOut();
    } else if (res.status === 429) {
      retryAfter = parseInt(res.headers.get('Retry-After') || '1', 10) || 1;
      message = `Too many requests. Try again in ${retryAfter} s.`;
    } else if (res.status >= 500) {
      message = e.message || 'Recall is having trouble. Try again in a moment.';
    }
    const err = new ApiError(res.status, e.code || 'http_' + res.status, message, e.fields, retryAfter);
    err.lines = e.lines || [];
    err.nextDueAt = e.next_due_at || null;
    throw err;
  }

  // Accounts.
  async signIn(username, password) {
    const r = await this.request('POST', '/v1/tokens', { body: { username, password } });
    setToken(r.token);
    return r;
  }
  signUp(username, password) {
    return this.request('POST', '/v1/users', { body: { username, password } });
  }
  async signOut() {
    try {
      await this.request('DELETE', '/v1/tokens/current');
    } finally {
      setToken('');
    }
  }
  /** me returns {user, streak?}: streak is {current, longest} in days. */
  me() {
    return this.request('GET', '/v1/me');
  }
  /** setTimeZone changes the user's IANA time zone. */
  setTimeZone(timeZone) {
    return this.request('PATCH', '/v1/me', { body: { time_zone: timeZone } });
  }
  /** ops returns the operations figures (admins only: 403 for others). */
  ops() {
    return this.request('GET', '/v1/ops');
  }

  // Topics.
  topics(view = 'dashboard') {
    return this.request('GET', '/v1/topics?view=' + view);
  }
  topic(id) {
    return this.request('GET', `/v1/topics/${encodeURIComponent(id)}?view=full`);
  }
  createTopic(fields) {
    return this.request('POST', '/v1/topics', { body: fields });
  }
  updateTopic(id, fields) {
    return this.request('PATCH', `/v1/topics/${encodeURIComponent(id)}`, { body: fields });
  }
  deleteTopic(id) {
    return this.request('DELETE', `/v1/topics/${encodeURIComponent(id)}`);
  }

  // Questions.
  questions(topicID) {
    return this.request('GET', `/v1/topics/${encodeURIComponent(topicID)}/questions`);
  }
  question(topicID, id) {
    return this.request('GET', `/v1/topics/${encodeURIComponent(topicID)}/questions/${encodeURIComponent(id)}`);
  }
  addQuestions(topicID, questions) {
    return this.request('POST', `/v1/topics/${encodeURIComponent(topicID)}/questions`, { body: { questions } });
  }
  updateQuestion(topicID, id, fields) {
    return this.request('PATCH', `/v1/topics/${encodeURIComponent(topicID)}/questions/${encodeURIComponent(id)}`, {
      body: fields,
    });
  }
  deleteQuestion(topicID, id) {
    return this.request('DELETE', `/v1/topics/${encodeURIComponent(topicID)}/questions/${encodeURIComponent(id)}`);
  }
  /**
   * importCards posts a card file (Anki's text format); type is text/csv or
   * text/tab-separated-values. A bad file throws an ApiError whose lines
   * name the bad lines.
   */
  importCards(topicID, text, type) {
    return this.request('POST', `/v1/topics/${encodeURIComponent(topicID)}/questions/import`, { body: text, raw: type });
  }
  /** exportCards returns {blob, filename} of the bank as a card file (tsv or csv). */
  exportCards(topicID, format) {
    return this.request('GET', `/v1/topics/${encodeURIComponent(topicID)}/questions/export?format=${format}`, {
      accept: format === 'csv' ? 'text/csv' : 'text/tab-separated-values',
      stream: async (res) => {
        const m = /filename="([^"]*)"/.exec(res.headers.get('Content-Disposition') || '');
        return { blob: await res.blob(), filename: m ? m[1] : 'questions.' + format };
      },
    });
  }
  /** generate makes questions of Markdown notes; dryRun only says what it would make. */
  generate(topicID, notes, { dryRun = false, boldAsCloze = false } = {}) {
    return this.request('POST', `/v1/topics/${encodeURIComponent(topicID)}/questions/generate`, {
      body: { notes, dry_run: dryRun, bold_as_cloze: boldAsCloze },
    });
  }

  // Sessions.
  startSession(topicID) {
    return this.request('POST', '/v1/sessions', { body: { topic_id: topicID } });
  }
  /**
   * reviewDue starts a session of the questions due now, then new ones; an
   * ApiError of code nothing_due carries nextDueAt when there is none.
   */
  reviewDue(topicID) {
    return this.request('POST', '/v1/sessions', { body: { topic_id: topicID, mode: 'due' } });
  }
  /** sessions returns one page of the sessions, newest first; cursor continues a page. */
  sessions(cursor = '') {
    return this.request('GET', '/v1/sessions' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
  }
  session(id) {
    return this.request('GET', `/v1/sessions/${encodeURIComponent(id)}`);
  }
  /** turn sends one message; key is the message's Idempotency-Key, reused on retry. */
  turn(id, message, key) {
    return this.request('POST', `/v1/sessions/${encodeURIComponent(id)}/turns`, {
      body: { message },
      idempotencyKey: key,
    });
  }
  turns(id) {
    return this.request('GET', `/v1/sessions/${encodeURIComponent(id)}/turns`);
  }
  /** endSession ends the session; key makes a retry safe. */
  endSession(id, key) {
    return this.request('POST', `/v1/sessions/${encodeURIComponent(id)}/end`, { idempotencyKey: key });
  }

  // Conversations with the tutor.
  startConversation(topicID) {
    return this.request('POST', '/v1/conversations', { body: { topic_id: topicID } });
  }
  /** conversations returns one page of them, newest first; cursor continues. */
  conversations(cursor = '') {
    return this.request('GET', '/v1/conversations' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''));
  }
  /** conversation returns {conversation, messages, next_cursor}: one page of messages. */
  conversation(id, cursor = '') {
    return this.request(
      'GET',
      `/v1/conversations/${encodeURIComponent(id)}` + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''),
    );
  }
  deleteConversation(id) {
    return this.request('DELETE', `/v1/conversations/${encodeURIComponent(id)}`);
  }
  endConversation(id) {
    return this.request('POST', `/v1/conversations/${encodeURIComponent(id)}/end`, { idempotencyKey: newKey() });
  }
  /**
   * say sends a message to the tutor with its Idempotency-Key (reused on a
   * retry, so the tutor answers it once) and streams the reply: onChunk(text
   * so far) as pieces arrive, onChunk('') on a reset. It answers the final
   * MessageResult.
   */
  say(id, content, key, onChunk) {
    return this.request('POST', `/v1/conversations/${encodeURIComponent(id)}/messages`, {
      body: { content },
      idempotencyKey: key,
      accept: 'text/event-stream',
      stream: (res) => readEvents(res, onChunk),
    });
  }
}

/**
 * readEvents reads a reply streamed as Server-Sent Events (chunk, reset,
 * message, error; every data line one JSON value). A JSON answer (a replay
 * may come as one) is taken as the result.
 */
async function readEvents(res, onChunk) {
  if (!(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) return res.json();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += value.replace(/\r\n?/g, '\n');
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
      }
      if (!data) continue;
      const v = JSON.parse(data);
      if (name === 'chunk') {
        text += v.text || '';
        onChunk(text);
      } else if (name === 'reset') {
        text = '';
        onChunk('');
      } else if (name === 'message') {
        reader.cancel().catch(() => {});
        return v;
      } else if (name === 'error') {
        const e = v.error || {};
        const status = { invalid: 400, not_found: 404, conflict: 409, rate_limited: 429, unavailable: 503 }[e.code] || 500;
        throw new ApiError(status, e.code || 'internal', e.message || 'The tutor could not answer. Try again.');
      }
    }
    if (done) throw new ApiError(0, 'network', 'The reply was cut off. Send it again.');
  }
}
