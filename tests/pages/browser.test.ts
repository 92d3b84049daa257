// The two pages in Chromium (playwright-core; tests/browser.ts finds the browser), against the
// real service with a real sandbox pool, used as a person uses them: found by their labels and
// roles, signed in with a token, a submission followed from queued to done, the verdict and the
// report read; the dashboard's row for the student, its histogram, a report, CSV, regrade and
// tokens; the student refused on the dashboard. Each page is checked with axe-core (injected as
// a file: no serious or critical violation), for console errors, and at 400 px wide.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/web.ts';
import { tokenDigest } from '../../src/tokens.ts';
import { launchChromium } from '../browser.ts';
import { PASSING, slowPassing, startTestService, TINY, until, type TestService } from '../http/support.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const INSTRUCTOR = 'instructor-token-9d8c7b6a';
const ADA = 'mg_ada-browser-000000000000000000000';
const BOB = 'mg_bob-browser-000000000000000000000';

let t: TestService;
let base: string;
let browser: Browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildWeb();
  // One waiting submission per student: the queue-full answer is easy to reach.
  t = await startTestService({ MEMGRADE_TOKENS: INSTRUCTOR, MEMGRADE_QUEUE_PER_CLIENT: '1' });
  await t.service.store.addToken({ name: 'ada', role: 'student', digest: tokenDigest(ADA) });
  await t.service.store.addToken({ name: 'bob', role: 'student', digest: tokenDigest(BOB) });
  await t.service.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.service.app.server.address() as { port: number }).port}`;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

interface Opened {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

/** A page in a fresh context (its own sessionStorage), axe-core injected from its file. */
async function open(path: string, width = 1100, origin = base): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.addInitScript({ path: AXE });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${origin}${path}`);
  return { page, context, errors, requests };
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** axe-core's serious and critical violations of the page as it is now. */
async function accessibility(page: Page): Promise<string[]> {
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const { axe } = window as unknown as { axe: { run: (context: Document) => Promise<{ violations: Violation[] }> } };
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Whether the page reads at this width without scrolling sideways (wide tables scroll in their own
 * region): true, or what sticks out.
 */
async function fitsWidth(page: Page): Promise<true | string> {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth) return true;
    const out = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5);
    return `${document.documentElement.scrollWidth} px wide: ${out.slice(0, 8).map((e) => `${e.tagName}#${e.id}.${String(e.className)}`).join(', ')}`;
  });
}

const chooseTiny = (page: Page) => page.getByLabel('Assignment', { exact: true }).selectOption(TINY);
const loadFile = (page: Page, name: string, code: string) =>
  page.getByLabel('File', { exact: true }).setInputFiles({ name, mimeType: 'text/javascript', buffer: Buffer.from(code) });

describe('the student page, /', () => {
  test('sign in, read the assignment, submit, watch queued, running and done, read the verdict and the report', async () => {
    const { page, context, errors, requests } = await open('/');
    let loads = 0;
    page.on('load', () => loads++);
    await signIn(page, ADA);
    await page.getByText('Signed in as ada (student)').waitFor();
    await chooseTiny(page);
    await page.getByRole('heading', { name: 'Tiny sum (test-only)' }).waitFor();
    const editor = page.getByRole('textbox', { name: 'Code', exact: true });
    assert.match(await editor.innerText(), /function process_data\(\)/, 'the starter is in the editor');
    // CodeMirror's highlighting classes (generated names, ͼ and a letter) on the tokens.
    assert.ok((await editor.locator('span[class*="ͼ"]').count()) > 0, 'highlighted as JavaScript');

    await loadFile(page, 'answer.js', slowPassing(700));
    await page.getByText('Loaded answer.js into the editor').waitFor();
    assert.match(await editor.innerText(), /for \(let i = 0; i < 700 \* 1e5; i\+\+\)/);
    await page.evaluate(() => {
      const states: string[] = [];
      (window as unknown as { states: string[] }).states = states;
      const status = document.getElementById('progress-status') as HTMLElement;
      new MutationObserver(() => states.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByText('Passed: tiny-sum').waitFor({ timeout: 30_000 });
    const states = await page.evaluate(() => [...new Set((window as unknown as { states: string[] }).states)]);
    assert.deepEqual(states, ['Queued: waiting for a grader.', 'Running: your code is being graded.', 'Done.']);
    assert.ok(requests.some((u) => /\/v1\/submissions\/[^/]+\/events$/.test(u)), 'followed through the event stream');
    assert.equal(loads, 0, 'without a reload');

    assert.match(await page.locator('#verdict-peak').innerText(), /^\d\.\d\d MiB against the 2\.38 MiB limit \(\d\.\d\d MiB to spare\)$/);
    await page.getByRole('heading', { name: /^Passed: process_data peaked at/ }).waitFor();
    await page.getByRole('img', { name: 'live memory at each sample' }).waitFor();
    await page.getByRole('heading', { name: 'Steps' }).waitFor();
    const history = page.getByRole('region', { name: 'List of submissions' });
    assert.match(await history.getByRole('row').nth(1).innerText(), /Passed\s+2 \/ 2\s+\d\.\d\d MiB\s+Show/);

    assert.deepEqual(await accessibility(page), []);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-student.png'), fullPage: true });
    await page.setViewportSize({ width: 400, height: 800 });
    assert.equal(await fitsWidth(page), true, 'readable at 400 px: nothing wider than the screen');
    assert.deepEqual(await accessibility(page), []);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-student-400.png'), fullPage: true });
    await context.close();
  });

  test('with the stream cut, the page polls and still shows the verdict', async () => {
    const { page, context, requests } = await open('/');
    await page.route(/\/events$/, (route) => route.abort());
    await signIn(page, ADA);
    await chooseTiny(page);
    await loadFile(page, 'fixed.js', PASSING);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByText('Passed: tiny-sum').waitFor({ timeout: 30_000 });
    const id = /#submission\/(.+)$/.exec(page.url())?.[1];
    assert.ok(id);
    assert.ok(requests.filter((u) => u.endsWith(`/v1/submissions/${id}`)).length >= 2, 'polled');
    await context.close();
  });

  test('clear errors: a bad token, code over the size limit, a full queue with its Retry-After', async () => {
    const { page, context } = await open('/');
    await page.getByLabel('Token', { exact: true }).fill('mg_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This token is not valid: the service does not know it.' }).waitFor();
    await signIn(page, ADA);
    await chooseTiny(page);

    await loadFile(page, 'big.js', `// ${'x'.repeat(69_996)}\n`);
    const tooLarge = 'Too large: big.js is 70,000 bytes (68.4 KiB), and Tiny sum (test-only) accepts code of at most 65,536 bytes';
    await page.getByRole('alert').filter({ hasText: tooLarge }).waitFor();
    const editor = page.getByRole('textbox', { name: 'Code', exact: true });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(`//${'y'.repeat(70_000)}`);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Too large: Code is 70002 bytes; tiny-sum accepts at most 65536.' }).waitFor();

    await loadFile(page, 'slow.js', slowPassing(1500));
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByText('Submitted.').waitFor();
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    const full = page.getByRole('alert').filter({ hasText: /^You have too many submissions waiting to be graded\. Try again in \d+ s\.$/ });
    await full.waitFor();
    await page.getByText('Passed: tiny-sum').waitFor({ timeout: 30_000 });
    await context.close();
  });

  test("no page shows one student another's work", async () => {
    const ada = await t.http.get(`/v1/submissions?assignment=${TINY}`).set({ authorization: `Bearer ${ADA}` }).expect(200);
    const adas = ada.body.items[0].id as string;
    const { page, context } = await open('/');
    await signIn(page, BOB);
    await chooseTiny(page);
    await page.getByText('No submission of Tiny sum (test-only) yet.').waitFor();
    await page.evaluate((id) => (location.hash = `#submission/${id}`), adas);
    await page.getByText('There is no such submission of yours.').waitFor();
    assert.equal(await page.getByRole('img', { name: 'live memory at each sample' }).count(), 0);
    await context.close();
  });

  test('on a service open to this machine (no token at all), the page needs no sign-in', async () => {
    const openService = await startTestService();
    try {
      await openService.service.app.listen({ port: 0, host: '127.0.0.1' });
      const origin = `http://127.0.0.1:${(openService.service.app.server.address() as { port: number }).port}`;
      const { page, context, errors } = await open('/', 1100, origin);
      await page.getByText('No token needed: this service is open to this machine').waitFor();
      assert.equal(await page.getByLabel('Token', { exact: true }).isVisible(), false);
      await page.getByLabel('Assignment', { exact: true }).waitFor();
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await openService.close();
    }
  });
});

describe('the instructor page, /instructor', () => {
  test("the class: each student's row, the histogram, a report, CSV, regrade, and tokens added, shown once, revoked", async () => {
    const { page, context, errors } = await open('/instructor');
    await signIn(page, INSTRUCTOR);
    await chooseTiny(page);
    const row = page.getByRole('region', { name: 'Gradebook table' }).getByRole('row', { name: /^ada\b/ });
    await row.waitFor();
    assert.match(await row.innerText(), /^ada\s+\d+\s+2 \/ 2\s+Passed\s+\d\.\d\d MiB\s+.+\s+Report\b/);
    const histogram = page.getByRole('img', { name: /^Peaks of the latest submissions, with the limit/ });
    assert.match((await histogram.textContent()) ?? '', /limit 2\.38 MiB/);

    await row.getByRole('link', { name: 'Report of ada' }).click();
    await page.getByRole('heading', { name: 'Report of ada' }).waitFor();
    await page.getByRole('heading', { name: /^Passed: process_data peaked at/ }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.equal(download.suggestedFilename(), `${TINY}-gradebook.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^student,submissions,best_score/);
    assert.match(csv, /\nada,/);

    await page.getByLabel('Name', { exact: true }).fill('grace');
    await page.getByLabel('Role', { exact: true }).selectOption('student');
    await page.getByRole('button', { name: 'Add token' }).click();
    const shown = page.getByLabel('New student token for grace');
    const token = await shown.inputValue();
    assert.match(token, /^mg_[A-Za-z0-9_-]{32}$/);
    const tokens = page.getByRole('region', { name: 'Token list' });
    await tokens.getByRole('row', { name: /^grace student/ }).waitFor();
    assert.equal((await t.http.get('/v1/me').set({ authorization: `Bearer ${token}` }).expect(200)).body.name, 'grace');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke grace' }).click();
    await page.getByText('Revoked "grace".').waitFor();
    assert.equal(await tokens.getByRole('row', { name: /^grace / }).count(), 0);
    await t.http.get('/v1/me').set({ authorization: `Bearer ${token}` }).expect(401);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Regrade' }).click();
    await page.getByText(/^Regrading \d+ submissions/).waitFor();
    await page.getByText('The regrade is done: the table shows the new results.').waitFor({ timeout: 30_000 });

    assert.deepEqual(await accessibility(page), []);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'pages-instructor.png'), fullPage: true });
    await page.setViewportSize({ width: 400, height: 800 });
    assert.equal(await fitsWidth(page), true, 'readable at 400 px');
    await page.screenshot({ path: join(ARTIFACTS, 'pages-instructor-400.png'), fullPage: true });
    await context.close();
  });

  test('a student token sees nothing of the class, and the page says so', async () => {
    const { page, context, errors, requests } = await open('/instructor');
    await signIn(page, ADA);
    await page.getByRole('heading', { name: 'This page is for instructors' }).waitFor();
    await page.getByText('You are signed in with a student token (ada).').waitFor();
    assert.equal(await page.getByRole('table').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Regrade' }).isVisible(), false);
    const asked = requests.filter((u) => u.includes('/v1/'));
    assert.deepEqual(asked.map((u) => new URL(u).pathname), ['/v1/me'], 'nothing of the class is asked for');
    // Asked anyway, the API refuses.
    const refused = await t.http.get(`/v1/assignments/${TINY}/gradebook`).set({ authorization: `Bearer ${ADA}` }).expect(403);
    assert.equal(refused.body.error, 'forbidden');
    assert.deepEqual(await accessibility(page), []);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

test('the grading finished in the tests leaves nothing running', async () => {
  await until('the queue to empty', async () => ((await t.service.queue.depth()) === 0 ? true : undefined));
});
