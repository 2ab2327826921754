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
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) check(false, `no request off the origin (${r.url()})`);
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
  await ctx.close();
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
    await visit('notfound', base + '/topics/nope', () => page.getByText('does not exist').waitFor());
    await ctx.close();
  }
}

await browser.close();
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
