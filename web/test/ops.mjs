// Browser test of the operations page (/ops), driving Debian's chromium
// headless with playwright-core. Run by cmd/recall's TestBrowserOps against
// two instances sharing Redis, with traffic running against both:
//
//   node web/test/ops.mjs URL_A URL_B ADMIN_USER NON_ADMIN_USER PASSWORD [ARTIFACTS_DIR]
//
// An admin signed in on instance A sees both instances and the charts move;
// a non-admin is refused in words; the page is walked with the keyboard
// alone and at 375 px. Screenshots go to ARTIFACTS_DIR. Any failed check,
// page error or CSP violation fails the run (exit status 1).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [a, b, admin, other, password, dir] = process.argv.slice(2);
if (!a || !b || !admin || !other || !password) {
  console.error('usage: node ops.mjs URL_A URL_B ADMIN NON_ADMIN PASSWORD [ARTIFACTS_DIR]');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = resolve(dir || join(here, 'artifacts'));
mkdirSync(artifacts, { recursive: true });
const hostOf = (u) => new URL(u).host;

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function newPage({ width = 1280, height = 900, scheme = 'light' } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => check(false, `no page error (${e.message})`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) check(false, `no CSP violation (${m.text()})`);
  });
  return { ctx, page };
}
const shot = (page, name) => page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true });

// signIn signs in on base with the keyboard alone.
async function signIn(page, base, username) {
  await page.goto(base + '/signin');
  await page.getByLabel('Username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your topics' }).waitFor();
}

// routeRate reads the requests per second of the GET /v1/topics row.
async function routeRate(page) {
  const row = page.getByRole('row', { name: /GET \/v1\/topics/ });
  if (!(await row.count())) return null;
  return (await row.locator('td').first().innerText()).trim();
}

// 1. The admin on instance A, keyboard only, 1280 px, light then dark.
for (const scheme of ['light', 'dark']) {
  const { ctx, page } = await newPage({ scheme });
  await signIn(page, a, admin);
  // The Operations link (shown once /v1/me says admin) is reached with Tab
  // from the top of the page and followed with Enter.
  await page.getByRole('link', { name: 'Operations' }).waitFor();
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let found = false;
  for (let i = 0; i < 12 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement && document.activeElement.textContent === 'Operations');
  }
  check(found, `${scheme}: the Operations link is reachable with Tab`);
  await page.keyboard.press('Enter');
  await page.waitForURL(a + '/ops');
  await page.getByRole('heading', { name: 'Operations', level: 1 }).waitFor();
  // Both instances, listed in the instances table.
  const rowA = page.getByRole('rowheader', { name: new RegExp(hostOf(a).replace(/\./g, '\\.')) });
  const rowB = page.getByRole('rowheader', { name: new RegExp(hostOf(b).replace(/\./g, '\\.')) });
  await rowA.waitFor();
  await rowB.waitFor();
  check(true, `${scheme}: the admin sees both instances (${hostOf(a)}, ${hostOf(b)})`);
  check(/Up/.test(await page.locator('.stat').first().innerText()), `${scheme}: Redis is shown up`);
  // The charts move: the traffic's route appears and its trend line gets
  // points as the page refreshes.
  await page.getByRole('row', { name: /GET \/v1\/topics/ }).waitFor({ timeout: 30000 });
  const first = await page.locator('.spark-line').count();
  const d0 = await page.locator('.stat .spark-line').first().getAttribute('d');
  await page.waitForFunction(
    (d) => {
      const el = document.querySelector('.stat .spark-line');
      return el && el.getAttribute('d') !== d;
    },
    d0,
    { timeout: 20000 },
  );
  check(first > 0, `${scheme}: charts are drawn (${first} trend lines)`);
  check(true, `${scheme}: the requests chart moved between refreshes`);
  check((await routeRate(page)) !== null, `${scheme}: GET /v1/topics shows a rate (${await routeRate(page)})`);
  // The near-cache figure: the traffic's reads fill it, on both instances
  // (an instance's first snapshot may predate its traffic: wait a while).
  const near = page.locator('.stat', { has: page.getByRole('heading', { name: 'Near-cache' }) });
  const nearCell = (row) => row.locator('xpath=..').locator('td').nth(3); // Requests, p99, Cache hits, Near-cache
  const entriesOf = (text) => parseInt(text.replace(/,/g, ''), 10);
  let nearValue = '';
  let cells = [];
  for (let i = 0; i < 40; i++) {
    nearValue = (await near.locator('.stat-value').innerText()).trim();
    cells = [(await nearCell(rowA).innerText()).trim(), (await nearCell(rowB).innerText()).trim()];
    if (entriesOf(nearValue) > 0 && cells.every((c) => entriesOf(c) > 0)) break;
    await page.waitForTimeout(500);
  }
  check(/^[\d,]+ entr(y|ies)$/.test(nearValue) && entriesOf(nearValue) > 0, `${scheme}: the Near-cache figure shows entries > 0 (${nearValue})`);
  const nearHint = (await near.locator('.meta').innerText()).trim();
  check(/^\d+(\.\d)?\s(B|KiB|MiB|GiB) held/.test(nearHint) && !/^0\sB/.test(nearHint), `${scheme}: the Near-cache figure shows its size (${nearHint})`);
  cells.forEach((cell, i) =>
    check(/^[1-9][\d,]* entr(y|ies), \d+(\.\d)?\s(B|KiB|MiB)$/.test(cell), `${scheme}: instance ${'AB'[i]}'s Near-cache column (${cell})`),
  );
  // The scope select, with the keyboard: show instance B alone.
  await page.getByLabel('Show').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const chosen = await page.getByLabel('Show').inputValue();
  check(chosen !== 'cluster', `${scheme}: the keyboard picks an instance in "Show" (${chosen})`);
  const oneHint = (await near.locator('.meta').innerText()).trim();
  check(/held in memory, at most \d+\sMiB per Redis connection$/.test(oneHint), `${scheme}: one instance's Near-cache shows its bound (${oneHint})`);
  if (scheme === 'light') await shot(page, 'ops-admin-1280-instance');
  await page.getByLabel('Show').selectOption('cluster');
  await shot(page, `ops-admin-1280-${scheme}`);
  await ctx.close();
}

// 2. The admin at 375 px: nothing wider than the screen but the tables,
// which scroll inside their frame.
{
  const { ctx, page } = await newPage({ width: 375, height: 812 });
  await signIn(page, b, admin);
  await page.goto(b + '/ops');
  await page.getByRole('rowheader', { name: new RegExp(hostOf(a).replace(/\./g, '\\.')) }).waitFor();
  await page.getByRole('row', { name: /GET \/v1\/topics/ }).waitFor({ timeout: 30000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `375 px: the page does not scroll sideways (${overflow} px over)`);
  await shot(page, 'ops-admin-375-light');
  await ctx.close();
}
{
  const { ctx, page } = await newPage({ width: 375, height: 812, scheme: 'dark' });
  await signIn(page, b, admin);
  await page.goto(b + '/ops');
  await page.getByRole('row', { name: /GET \/v1\/topics/ }).waitFor({ timeout: 30000 });
  await shot(page, 'ops-admin-375-dark');
  await ctx.close();
}

// 3. A non-admin: no Operations link, and /ops refuses in words.
for (const width of [1280, 375]) {
  const { ctx, page } = await newPage({ width, height: 800 });
  await signIn(page, a, other);
  check((await page.getByRole('link', { name: 'Operations' }).count()) === 0, `${width} px: a non-admin has no Operations link`);
  await page.goto(a + '/ops');
  const refusal = page.getByRole('alert');
  await refusal.waitFor();
  check(/for admins/.test(await refusal.innerText()), `${width} px: a non-admin is refused in words`);
  check((await page.locator('.stat').count()) === 0, `${width} px: a non-admin sees no figures`);
  await shot(page, `ops-refused-${width}-light`);
  await ctx.close();
}

await browser.close();
console.log(failures ? `${failures} check(s) failed` : 'all ops checks passed');
process.exit(failures ? 1 : 0);
