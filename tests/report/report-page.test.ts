// The report page in a real browser: Debian's headless Chromium opens the self-contained file
// with the network unused, and the chart, the icicle and the holders table must render.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { htmlReport } from '../../src/report/html-report.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { launchChromium } from '../browser.ts';
import { assignment, Grader } from '../support.ts';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');
const LEAKY = `let cache = null;
function process_data() {
  let d = load(SIZE);
  cache = d;
  d = double_it(d);
  d = double_it(d);
  return d;
}`;

let browser: Browser;
let result: GradeResult;
const grader = new Grader();
before(async () => {
  result = await grader.grade('tiny-sum', LEAKY);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await grader.close();
});

async function open(name: string, html: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, requests, file };
}

describe('the report page', () => {
  test('renders the verdict, the timeline, the icicle and the holders, with no network', async () => {
    assert.equal(result.status, 'failed');
    const { page, requests, file } = await open('report-tiny-sum', htmlReport(result, assignment('tiny-sum')));
    assert.match(await page.locator('#verdict').innerText(), /^Not yet: process_data peaked at 2\.\d MiB, over the 2\.4 MiB limit/);
    assert.ok((await page.locator('#timeline rect.alloc').count()) >= result.timeline.length - 1);
    assert.equal(await page.locator('#timeline line.limit').count(), 1);
    assert.match((await page.locator('#timeline .peak text').textContent()) ?? '', /^peak 2\.\d MiB/);
    assert.equal(await page.locator('#icicle g.step').count(), new Set(result.live_at_peak.map((a) => a.step)).size);
    const rows = page.locator('#holders tbody tr');
    assert.equal(await rows.count(), result.live_at_peak.length);
    assert.match(await page.locator('#holders').innerText(), /the top-level cache/);
    const box = await page.locator('#timeline').boundingBox();
    assert.ok(box && box.width > 500 && box.height > 200, 'the chart has a size on screen');
    assert.deepEqual(requests, [pathToFileURL(file).href]);
    await page.screenshot({ path: join(ARTIFACTS, 'report-tiny-sum.png'), fullPage: true });
  });

  test('a passing submission reads as passed, and an error page still renders', async () => {
    const passed = await grader.grade('tiny-sum', 'function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }');
    const { page } = await open('report-passed', htmlReport(passed, assignment('tiny-sum')));
    assert.match(await page.locator('#verdict').innerText(), /^Passed: process_data peaked at/);
    const broken = await grader.grade('tiny-sum', 'function process_data( {');
    const { page: errorPage } = await open('report-error', htmlReport(broken, assignment('tiny-sum')));
    assert.match(await errorPage.locator('#verdict').innerText(), /Could not grade this submission \(syntax error\)/);
    assert.equal(await errorPage.locator('#timeline').count(), 0);
  });

  test('what a submission writes is escaped, not run', async () => {
    const hostile = await grader.grade('tiny-sum', "function process_data() { throw new Error('<img src=x onerror=alert(1)><script>alert(2)</script>'); }");
    const { page } = await open('report-hostile', htmlReport(hostile, assignment('tiny-sum')));
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('script').count(), 0);
    assert.match(await page.locator('header p').innerText(), /<img src=x onerror=alert\(1\)>/);
  });
});

describe('served with its headers', () => {
  test('the report page and /docs render under their Content-Security-Policy, with no violation', async () => {
    const { startTestService, PASSING: code, TINY: id } = await import('../http/support.ts');
    const t = await startTestService();
    try {
      await t.service.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.service.app.server.address() as { port: number };
      const done = await t.http.post('/v1/submissions').send({ assignment: id, code, wait: 30 }).expect(201);
      for (const [path, rendered] of [
        [`/v1/submissions/${done.body.id}/report`, '#verdict'],
        ['/docs/', '.swagger-ui .info'],
      ] as const) {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
        });
        await page.goto(`http://127.0.0.1:${port}${path}`);
        await page.locator(rendered).first().waitFor({ timeout: 15_000 });
        assert.deepEqual(violations, [], path);
        await page.close();
      }
    } finally {
      await t.close();
    }
  });
});
