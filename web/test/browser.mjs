// Browser tests of Recall's web app, driving Debian's chromium headless
// with playwright-core. Run by webapp's TestBrowser against a real server:
//
//   node web/test/browser.mjs http://127.0.0.1:PORT [ARTIFACTS_DIR]
//
// It walks a new learner's whole journey, checks that user text is rendered
// as text, does a keyboard-only pass and a 375 px pass, and screenshots every
// page at 375 and 1280 px, light and dark, into ARTIFACTS_DIR (default
// web/test/artifacts). Any failed check, page error, dialog or
// Content-Security-Policy violation fails the run (exit status 1).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const base = (process.argv[2] || process.env.RECALL_URL || '').replace(/\/$/, '');
if (!base) {
  console.error('usage: node browser.mjs BASE_URL [ARTIFACTS_DIR]');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = resolve(process.argv[3] || join(here, 'artifacts'));
mkdirSync(artifacts, { recursive: true });

const XSS = '<img src=x onerror=alert(1)>';
const BANK = [
  ['Capital of France', 'Paris'],
  ['Capital of Spain', 'Madrid'],
  ['Capital of Italy', 'Rome'],
  [XSS, 'safe'],
];

let failures = 0;
function check(ok, what) {
  if (ok) console.log('ok   ' + what);
  else {
    failures++;
    console.log('FAIL ' + what);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

// newPage opens a page in a fresh context that fails the run on page
// errors, dialogs (an injected alert) and CSP violations.
async function newPage({ width = 1280, height = 800, scheme = 'light' } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => check(false, `no page error (${e.message})`));
  page.on('dialog', async (d) => {
    check(false, `no dialog (${d.message()})`);
    await d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) check(false, `no CSP violation (${m.text()})`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:' + base)) check(false, `no request off the origin (${r.url()})`);
  });
  return { ctx, page };
}

// shows waits (up to 5 s) for locator to be visible and reports whether it was.
const shows = (locator) =>
  locator.waitFor({ state: 'visible', timeout: 5000 }).then(
    () => true,
    () => false,
  );

const shot = (page, name) => page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true });

async function signUp(page, username, password) {
  await page.goto(base + '/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
}

// lastTutor returns the text of the newest tutor bubble.
const lastTutor = (page) => page.locator('.bubble.tutor').last().innerText();

// answerFor finds the answer of the question the tutor asks in text.
function answerFor(text) {
  const q = text.slice(text.lastIndexOf('Question '));
  for (const [p, a] of BANK) if (q.includes(p)) return a;
  return null;
}

// sendAnswer types message into the answer box and presses Enter, then
// waits for the server's reply.
async function sendAnswer(page, message) {
  const before = await page.locator('.bubble.tutor').count();
  await page.getByLabel('Your answer').fill(message);
  await page.getByLabel('Your answer').press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.bubble.tutor').length > n, before);
}

const stamp = Date.now().toString(36);
const password = 'correct horse battery';
let studyURL = '';
let doneURL = '';
let topicURL = '';
let transcriptURL = '';
let tutorURL = '';
let riversURL = '';
const user = 'learner_' + stamp;

// 1. The whole journey of a new user, at 1280 px.
{
  const { ctx, page } = await newPage();
  await page.goto(base + '/');
  await page.waitForURL(base + '/signin');
  check(true, 'a signed-out visit to / goes to /signin');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('button', { name: 'Create account' }).click();
  const summary = page.locator('.error-summary');
  check(await shows(summary), 'an empty sign-up shows the error summary');
  check(await page.evaluate(() => document.activeElement.classList.contains('error-summary')), 'the error summary takes the focus');
  await summary.getByRole('link', { name: 'Enter your username.' }).click();
  check(await page.evaluate(() => document.activeElement.id === 'username'), 'a summary link focuses its field');
  await shot(page, 'signup-errors-1280-light');

  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
  check(await shows(page.getByText('No topics yet')), 'a new user sees the empty state');
  const tok = await page.evaluate(() => sessionStorage.getItem('recall.token'));
  check(!!tok, 'the token is in sessionStorage');
  check((await ctx.cookies()).length === 0, 'no cookie is set');

  await page.getByLabel('Title').fill('Capitals');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await page.getByRole('heading', { name: 'Capitals' }).waitFor();
  topicURL = page.url();
  check(await shows(page.getByText('No questions yet')), 'a new topic says how to add questions');

  const paste = BANK.map(([p, a], i) => (i === 2 ? `${p}\t${a}` : `${p} :: ${a}`)).join('\n');
  await page.getByLabel('Questions, one a line').fill(paste);
  await page.getByRole('button', { name: 'Add 4 questions' }).click();
  await page.locator('table.bank tbody tr').nth(3).waitFor();
  check((await page.locator('table.bank tbody tr').count()) === 4, 'pasting four lines adds four questions');
  const xssCell = page.locator('table.bank .prompt', { hasText: 'onerror' });
  check((await xssCell.innerText()) === XSS, 'the injection prompt shows as its characters');
  check((await page.locator('table.bank img').count()) === 0, 'no img element comes from user text');

  // Edit the first question: a hint and an explanation.
  await page.getByRole('button', { name: 'Edit question 1' }).click();
  await page.locator('#q0-hint').fill('It starts with P');
  await page.locator('#q0-explanation').fill('Paris has been the capital since 987.');
  await page.getByRole('button', { name: 'Save question' }).click();
  await page.getByText('It starts with P').waitFor();
  check(true, 'a question edit shows in the table');
  await shot(page, 'topic-1280-light');

  // Study: a hint, a right and a wrong answer; check the optimistic bubble
  // and that a lost response is retried with the same Idempotency-Key.
  await page.getByRole('button', { name: /^Study/ }).click();
  await page.waitForURL(/\/study\//);
  studyURL = page.url();
  await page.locator('.bubble.tutor').first().waitFor();
  check(await page.evaluate(() => document.activeElement.id === 'answer'), 'the answer box has the focus');

  const keys = [];
  let lose = true;
  await page.route('**/v1/sessions/*/turns', async (route) => {
    const req = route.request();
    if (req.method() !== 'POST') return route.continue();
    keys.push(req.headers()['idempotency-key']);
    await new Promise((r) => setTimeout(r, 400));
    if (lose) {
      // The server gets the first answer but its response is lost.
      lose = false;
      await route.fetch();
      return route.abort('connectionreset');
    }
    return route.continue();
  });

  let text = await lastTutor(page);
  let answer = answerFor(text);
  const before = await page.locator('.bubble.tutor').count();
  await page.getByLabel('Your answer').fill(answer);
  await page.getByLabel('Your answer').press('Enter');
  await page.getByRole('button', { name: 'Answer' }).click(); // a double submit
  check(await page.locator('.bubble.learner.pending').isVisible(), 'the answer shows at once, greyed, until the server answers');
  await page.waitForFunction((n) => document.querySelectorAll('.bubble.tutor').length > n, before);
  check(keys.length === 2 && keys[0] && keys[0] === keys[1], `the retry after a lost response reuses the Idempotency-Key (${keys.join(', ')})`);
  check((await page.locator('.bubble.learner').count()) === 1, 'a double submit sends one answer');
  check((await lastTutor(page)).includes('Correct! The answer is'), 'the right answer is graded right');
  await page.unroute('**/v1/sessions/*/turns');

  await page.getByRole('button', { name: 'Hint' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('.bubble.tutor')].pop().innerText.includes('int'));
  check(/Hint:|no hint/.test(await lastTutor(page)), 'the hint button asks for a hint');
  await sendAnswer(page, 'Atlantis');
  check((await lastTutor(page)).includes('Not quite. The correct answer is'), 'a wrong answer is graded wrong with the right answer');
  check((await page.locator('.bubble.wrong .verdict').count()) === 1, 'a wrong answer is marked by a sign, not colour alone');
  await shot(page, 'study-1280-light');
  for (let i = 0; i < 5 && (await page.getByLabel('Your answer').count()); i++) {
    text = await lastTutor(page);
    await sendAnswer(page, answerFor(text) || 'no idea');
  }
  await page.getByRole('heading', { name: 'Session complete' }).waitFor();
  const bubbles = await page.locator('.chat').innerText();
  check(bubbles.includes(XSS) || !bubbles.includes('onerror'), 'the injection prompt shows as text in the chat');
  check((await page.locator('.chat img').count()) === 0, 'no img element in the chat');
  check((await page.locator('.bubble.learner').count()) === 5, 'the transcript holds five learner messages (no answer twice)');
  doneURL = page.url();
  await shot(page, 'study-done-1280-light');

  await page.getByRole('link', { name: 'Your topics' }).click();
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
  const card = await page.locator('li.topic').first().innerText();
  check(/75% right \(3 of 4\)/.test(card), `the dashboard shows the new accuracy (${card.replace(/\n/g, ' | ')})`);
  check(/last studied/.test(card), 'the dashboard shows when it was last studied');

  await page.getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  await page.locator('.session-row a').first().click();
  await page.getByRole('heading', { name: 'Transcript' }).waitFor();
  transcriptURL = page.url();
  const transcript = await page.locator('.chat').innerText();
  check(transcript.includes('Atlantis') && /Hint:|no hint/.test(transcript), 'the transcript shows the answers and the hint');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(base + '/signin');
  check(!(await page.evaluate(() => sessionStorage.getItem('recall.token'))), 'signing out forgets the token');
  const res = await page.request.get(base + '/v1/me', { headers: { Authorization: 'Bearer ' + tok } });
  check(res.status() === 401, 'signing out revokes the token on the server');
  await ctx.close();
}

// 2. Keyboard alone: sign in, create a topic, paste, study.
{
  const { ctx, page } = await newPage();
  await page.goto(base + '/signin');
  // tabTo presses Tab until the focused element matches sel (at most 80).
  const tabTo = async (sel) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), sel)) {
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        check(outline !== 'none', `the focus on ${sel} is visible`);
        return;
      }
    }
    throw new Error('Tab never reached ' + sel);
  };
  await tabTo('#username');
  await page.keyboard.type(user);
  await tabTo('#password');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
  await tabTo('#new-topic-title');
  await page.keyboard.type('Keyboard topic');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Keyboard topic' }).waitFor();
  await tabTo('#paste');
  await page.keyboard.type('One plus one :: 2');
  await tabTo('button.primary[type=submit]:not(.big)');
  await page.keyboard.press('Enter');
  await page.locator('table.bank tbody tr').first().waitFor();
  await tabTo('button.big');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/study\//);
  await page.locator('.bubble.tutor').first().waitFor();
  await page.keyboard.type('2');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Session complete' }).waitFor();
  check(true, 'a whole session works by keyboard alone');
  await tabTo('a.button.primary');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Keyboard topic' }).waitFor();
  check(true, 'the summary links work by keyboard');
  await tabTo('button.ask-tutor');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/tutor\//);
  await page.getByLabel('Your message').waitFor();
  check(await page.evaluate(() => document.activeElement.id === 'message'), 'a new conversation has the focus in the message box');
  await page.keyboard.type('quiz me');
  await page.keyboard.press('Enter');
  await page.locator('.bubble.tutor:not(.streaming)').first().waitFor();
  check((await lastTutor(page)).includes('One plus one'), 'a conversation works by keyboard alone');
  await ctx.close();
}

// signIn signs the journey's learner in on page.
async function signIn(page) {
  await page.goto(base + '/signin');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
}

// card returns the dashboard's card of the topic title.
const topicCard = (page, title) => page.locator('li.topic', { has: page.getByRole('heading', { name: title }) });

// 2b. Spaced repetition, the tutor, import, export and generate, on a new
// topic of the journey's learner.
{
  const { page } = await newPage();
  await signIn(page);
  await page.getByLabel('Title').fill('Rivers');
  await page.getByRole('button', { name: 'Create topic' }).click();
  await page.getByRole('heading', { name: 'Rivers' }).waitFor();
  riversURL = page.url();
  await page.getByLabel('Questions, one a line').fill('Longest river of Egypt :: Nile\nRiver through Paris :: Seine');
  await page.getByRole('button', { name: 'Add 2 questions' }).click();
  await page.locator('table.bank tbody tr').nth(1).waitFor();

  // A due review from the dashboard: the new questions first.
  await page.getByRole('link', { name: 'Your topics' }).click();
  const rivers = topicCard(page, 'Rivers');
  await rivers.waitFor();
  const before = await rivers.innerText();
  check(/2 new/.test(before) && /0 mastered/.test(before), `the card says how many questions are new and mastered (${before.replace(/\n/g, ' | ')})`);
  await rivers.getByRole('button', { name: 'Learn 2 new' }).click();
  await page.waitForURL(/\/study\//);
  await page.locator('.bubble.tutor').first().waitFor();
  for (let i = 0; i < 2; i++) {
    const q = await lastTutor(page);
    await sendAnswer(page, q.includes('Egypt') ? 'Nile' : 'Seine');
  }
  await page.getByRole('heading', { name: 'Session complete' }).waitFor();
  check((await page.locator('.bubble.right').count()) === 2, 'the due session graded both answers right');
  await page.getByRole('button', { name: 'Review what is due' }).click();
  const nothing = page.locator('.summary .due-note');
  check(await shows(nothing), 'asking for a review with nothing due says so');
  const said = await nothing.innerText();
  check(/^Nothing due — next review (in \d+ (minute|hour|day)s?|tomorrow|in a moment)/.test(said), `nothing due says when the next review is, in words (${said})`);
  await page.getByRole('link', { name: 'Your topics' }).click();
  await rivers.waitFor();
  const after = await rivers.innerText();
  check(/0 new/.test(after) && /Nothing due — next review/.test(after), `the card says nothing is due and when (${after.replace(/\n/g, ' | ')})`);
  check((await rivers.getByRole('button', { name: /^Review|^Learn/ }).count()) === 0, 'no review button when nothing is due');
  // A dashboard that still shows questions due when none are: the review
  // is refused (409 nothing_due) and the card says when the next one is.
  const dashboardList = (u) => u.pathname === '/v1/topics' && u.searchParams.get('view') === 'dashboard';
  await page.route(dashboardList, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    for (const t of body.topics) if (t.title === 'Rivers') t.stats.due_now = 2;
    await route.fulfill({ response: res, json: body });
  });
  await page.reload();
  await rivers.getByRole('button', { name: 'Review 2 due' }).click();
  const refused = rivers.locator('.due-note[role=status]');
  check(await shows(refused), 'a review refused as nothing due says so on the card');
  const refusedText = await refused.innerText();
  check(/^Nothing due — next review (in \d+ (minute|hour|day)s?|tomorrow|in a moment) \(/.test(refusedText), `the card says when the next review is (${refusedText})`);
  check(page.url() === base + '/', 'a refused review stays on the dashboard');
  await page.unroute(dashboardList);
  const streak = await page.locator('.streak').innerText();
  check(/1 day in a row/.test(streak) && /longest 1 day/.test(streak), `the dashboard shows the streak (${streak.replace(/\n/g, ' ')})`);

  // The tutor: a streamed reply, one Idempotency-Key per message.
  await page.goto(riversURL);
  await page.getByRole('button', { name: 'Ask the tutor' }).click();
  await page.waitForURL(/\/tutor\//);
  tutorURL = page.url();
  check(await shows(page.getByText('Ask the tutor anything')), 'a new conversation says what to do');
  check(await page.evaluate(() => document.activeElement.id === 'message'), 'the message box has the focus');
  const sent = [];
  let lose = true;
  await page.route('**/v1/conversations/*/messages', async (route) => {
    const req = route.request();
    sent.push({ key: req.headers()['idempotency-key'], accept: req.headers()['accept'] });
    if (lose) {
      // The server answers the first message but the response is lost.
      lose = false;
      await route.fetch();
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.getByLabel('Your message').fill('What is the longest river of Egypt?');
  await page.getByLabel('Your message').press('Enter');
  await page.locator('.bubble.tutor:not(.streaming)').first().waitFor();
  const reply = await lastTutor(page);
  check(reply.includes('Nile'), `the tutor's reply names the answer from the bank (${reply.replace(/\n/g, ' ')})`);
  check(sent.length === 2 && sent[0].key && sent[0].key === sent[1].key, `a retry after a lost response reuses the Idempotency-Key (${sent.map((x) => x.key).join(', ')})`);
  check(sent.every((x) => x.accept === 'text/event-stream'), 'the reply is asked for as a stream of events');
  await page.unroute('**/v1/conversations/*/messages');

  // A reply that streams: the page's fetch of the next message answers a
  // stream this test holds open — two chunks, a reset, two more — so what
  // shows before the final message event is checked, then replaced by it.
  await page.evaluate(() => {
    const real = window.fetch;
    window.fetch = (url, opts) => {
      if (!String(url).endsWith('/messages') || !opts || opts.method !== 'POST') return real(url, opts);
      window.fetch = real;
      const enc = new TextEncoder();
      const ev = (name, data) => enc.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      const now = new Date().toISOString();
      const msg = (index, role, content) => ({ index, role, content, question_ids: [], correct: null, tutor: role === 'tutor' ? 'rules' : null, created_at: now });
      const conv = { id: 'x', topic_id: 'x', title: 'Rivers', state: 'active', message_count: 4, quizzing: false, created_at: now, updated_at: now, expires_at: now };
      let ctl;
      const body = new ReadableStream({ start: (c) => (ctl = c) });
      for (const [name, data] of [['chunk', { text: 'Withdrawn ' }], ['chunk', { text: 'words' }], ['reset', {}], ['chunk', { text: 'Streaming ' }], ['chunk', { text: 'so far' }]])
        ctl.enqueue(ev(name, data));
      window.releaseStream = () => {
        ctl.enqueue(ev('message', { message: msg(3, 'tutor', 'The final reply'), learner_message: msg(2, 'learner', 'Tell me more'), conversation: conv }));
        ctl.close();
      };
      return Promise.resolve(new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream; charset=utf-8' } }));
    };
  });
  await page.getByLabel('Your message').fill('Tell me more');
  await page.getByLabel('Your message').press('Enter');
  const streaming = page.locator('.bubble.tutor.streaming');
  check(await shows(streaming.filter({ hasText: 'Streaming so far' })), 'the reply shows as it streams in');
  check(!(await streaming.innerText()).includes('Withdrawn'), 'a reset withdraws what was streamed');
  await page.evaluate(() => window.releaseStream());
  await page.getByText('The final reply').waitFor();
  check((await streaming.count()) === 0 && !(await page.locator('.chat').innerText()).includes('Streaming so far'), 'the final message replaces the streamed text');
  await page.reload();
  await page.locator('.bubble.tutor').first().waitFor();
  check((await page.locator('.bubble.learner').count()) === 1, 'the server holds one learner message: the retry was not sent twice');

  await page.getByRole('button', { name: 'Quiz me' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.bubble.tutor:not(.streaming)').length === 2);
  const question = await lastTutor(page);
  check(/Egypt|Paris/.test(question), `"quiz me" asks a question of the bank (${question.replace(/\n/g, ' ')})`);
  check(await shows(page.locator('#message-hint')), 'the page says the next message is the answer');
  await page.getByLabel('Your message').fill(question.includes('Egypt') ? 'Nile' : 'Seine');
  await page.getByLabel('Your message').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.bubble.tutor:not(.streaming)').length === 3);
  check((await page.locator('.bubble.right').count()) === 1, 'the quiz answer is graded right, with a sign');
  const xss = '<img src=x onerror=alert(1)>';
  await page.getByLabel('Your message').fill(xss);
  await page.getByLabel('Your message').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.bubble.tutor:not(.streaming)').length === 4);
  check((await page.locator('.bubble.learner').last().innerText()).includes(xss) && (await page.locator('.chat img').count()) === 0, 'user text in the chat is text');
  await shot(page, 'tutor-1280-light');
  await page.getByRole('button', { name: 'End conversation' }).click();
  check(await shows(page.getByText('This conversation has ended')), 'End ends the conversation');
  check((await page.getByLabel('Your message').count()) === 0, 'an ended conversation takes no more messages');

  // Past conversations are on the history page.
  await page.getByRole('link', { name: 'History' }).click();
  await page.locator('.conversation-row').first().waitFor();
  await page.locator('.conversation-row a', { hasText: 'Rivers' }).first().click();
  await page.waitForURL(tutorURL);
  await page.locator('.bubble.tutor').first().waitFor();
  check((await page.locator('.chat').innerText()).includes('Nile'), 'the history opens the transcript of a conversation');

  // Delete: a second conversation, gone from the history after.
  await page.goto(riversURL);
  await page.getByRole('button', { name: 'Ask the tutor' }).click();
  await page.waitForURL((u) => /\/tutor\//.test(u.pathname) && u.href !== tutorURL);
  const doomed = page.url();
  await page.getByLabel('Your message').fill('Hello');
  await page.getByLabel('Your message').press('Enter');
  await page.locator('.bubble.tutor:not(.streaming)').first().waitFor();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, delete it' }).click();
  await page.waitForURL(base + '/history');
  await page.locator('.conversation-row').first().waitFor();
  const hrefs = await page.locator('.conversation-row a').evaluateAll((as) => as.map((a) => a.href));
  check(!hrefs.includes(doomed) && hrefs.includes(tutorURL), 'Delete removes the conversation from the history');

  // Import a CSV with one bad row, then a good one.
  await page.goto(riversURL);
  await page.getByText('Import a card file').click();
  const upload = (name, text) =>
    page.getByLabel('Card file (CSV or tab-separated)').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await upload('bad.csv', 'River through Rome,Tiber\nRiver through London,Thames\nno separator on this line\n');
  await page.getByRole('button', { name: 'Import' }).click();
  const lineError = page.locator('#import-file-error');
  check(await shows(lineError), 'a bad row stops the import');
  const lineText = await lineError.innerText();
  check(/Line 3:/.test(lineText), `the error names the bad row's line (${lineText})`);
  check((await page.locator('table.bank tbody tr').count()) === 2, 'a file with a bad row adds nothing');
  await upload('good.csv', 'River through Rome,Tiber\nRiver through London,Thames\nLongest river of Egypt,Nile\n');
  await page.getByRole('button', { name: 'Import' }).click();
  const result = page.locator('.import-result');
  check(await shows(result), 'the import says what it did');
  const resultText = await result.innerText();
  check(/Added 2 questions; 1 already in the bank/.test(resultText) && /Line 3: already in the bank/.test(resultText), `the import lists each row (${resultText.replace(/\n/g, ' | ')})`);
  await page.locator('table.bank tbody tr').nth(3).waitFor();
  check((await page.locator('table.bank tbody tr').count()) === 4, 'the imported rows are in the bank');
  await shot(page, 'topic-import-1280-light');

  // Export: the file comes as a download, the token in no URL.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download TSV' }).click()]);
  const { readFileSync } = await import('node:fs');
  const exported = readFileSync(await download.path(), 'utf8');
  check(download.suggestedFilename() === 'Rivers.tsv' && exported.includes('#separator:tab') && exported.includes('Thames'), `the export downloads the bank (${download.suggestedFilename()})`);

  // Generate from notes: a preview, then the questions.
  await page.getByText('Generate from notes').click();
  await page.getByLabel('Notes').fill('The ==Danube== flows through Vienna.\nRiver through Florence :: Arno\nRiver through Rome :: Tiber');
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.locator('.preview');
  check(await shows(preview), 'a dry run shows a preview');
  const previewText = await preview.innerText();
  check(/2 questions would be made \(1 already in the bank\)/.test(previewText) && previewText.includes('The [...] flows through Vienna.') && /\(line 2\)/.test(previewText),
    `the preview lists what would be made (${previewText.replace(/\n/g, ' | ')})`);
  check((await page.locator('table.bank tbody tr').count()) === 4, 'a preview adds nothing');
  await shot(page, 'topic-generate-1280-light');
  await page.getByRole('button', { name: 'Add 2 questions' }).click();
  await page.locator('table.bank tbody tr').nth(5).waitFor();
  check((await page.locator('table.bank tbody tr').count()) === 6 && (await shows(page.getByText('Added 2 questions; 1 already in the bank.'))), 'generating adds the questions');
  await page.getByLabel('Notes').fill('A broken {{c1::cloze');
  await page.getByRole('button', { name: 'Preview' }).click();
  const notesError = page.locator('#notes-error');
  check(await shows(notesError), 'a mistake in the notes is shown at the notes');
  check(/Line 1:/.test(await notesError.innerText()), `the notes error names the line (${await notesError.innerText()})`);

  // The time zone, on the account page.
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await page.getByLabel('Time zone').selectOption('Europe/Paris');
  await page.getByRole('button', { name: 'Save time zone' }).click();
  await page.getByText('Saved.').waitFor();
  const me = await page.evaluate(async () => (await fetch('/v1/me', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('recall.token') } })).json());
  check(me.user.time_zone === 'Europe/Paris', `the time zone is saved (${me.user.time_zone})`);
  await page.reload();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  check((await page.getByLabel('Time zone').inputValue()) === 'Europe/Paris', 'the account page shows the saved time zone');
  await page.context().close();
}

// 3. Every page at 375 and 1280 px, light and dark, signed in as the
// journey's learner; at 375 px nothing may scroll sideways.
for (const scheme of ['light', 'dark']) {
  for (const width of [375, 1280]) {
    const { ctx, page } = await newPage({ width, height: width === 375 ? 740 : 800, scheme });
    const tag = `${width}-${scheme}`;
    const visit = async (name, url, ready) => {
      await page.goto(url);
      await ready();
      await page.waitForTimeout(100);
      if (width === 375) {
        const sw = await page.evaluate(() => document.documentElement.scrollWidth);
        check(sw <= 375, `${name} fits 375 px (scrollWidth ${sw})`);
      }
      await shot(page, `${name}-${tag}`);
    };
    await visit('signin', base + '/signin', () => page.getByRole('heading', { name: 'Sign in' }).waitFor());
    await visit('signup', base + '/signup', () => page.getByRole('heading', { name: 'Create your account' }).waitFor());
    await page.goto(base + '/signin');
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your topics' }).waitFor();
    await visit('dashboard', base + '/', () => page.locator('li.topic').first().waitFor());
    await visit('topic', topicURL, () => page.locator('table.bank').waitFor());
    await visit('study-done', doneURL, () => page.getByRole('heading', { name: 'Session complete' }).waitFor());
    await visit('history', base + '/history', () => page.locator('.session-row').first().waitFor());
    await visit('transcript', transcriptURL, () => page.locator('.chat').waitFor());
    // An active session: start one from the topic page.
    await page.goto(topicURL);
    await page.getByRole('button', { name: /^Study/ }).click();
    await page.waitForURL(/\/study\//);
    await page.locator('.bubble.tutor').first().waitFor();
    await sendAnswer(page, 'not sure');
    await visit('study', page.url(), () => page.locator('.bubble.tutor').nth(1).waitFor());
    if (width === 375) {
      const box = await page.getByLabel('Your answer').boundingBox();
      check(box && box.y + box.height <= 740, 'the answer box is in view at 375 px');
    }
    await visit('account', base + '/account', () => page.getByLabel('Time zone').waitFor());
    await visit('tutor-ended', tutorURL, () => page.getByText('This conversation has ended').waitFor());
    await visit('topic-tools', riversURL, async () => {
      await page.locator('table.bank').waitFor();
      await page.getByText('Generate from notes').click();
      await page.getByText('Import a card file').click();
    });
    // An open conversation, with a quiz question.
    await page.goto(riversURL);
    await page.getByRole('button', { name: 'Ask the tutor' }).click();
    await page.waitForURL(/\/tutor\//);
    await page.getByRole('button', { name: 'Quiz me' }).click();
    await page.locator('.bubble.tutor:not(.streaming)').first().waitFor();
    await visit('tutor', page.url(), () => page.locator('.bubble.tutor').first().waitFor());
    if (width === 375) {
      const box = await page.getByLabel('Your message').boundingBox();
      check(box && box.y + box.height <= 740, 'the message box is in view at 375 px');
    }
    await visit('notfound', base + '/topics/nope', () => page.getByText('does not exist').waitFor());
    await ctx.close();
  }
}

await browser.close();
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
