// The pictures of the two pages in the docs (docs/student-page.png, docs/instructor-page.png):
// the real service on the reference exercise, a small class that submitted the tutorial's
// solutions through the API, and Ada submitting the starter through the student page.
// Usage: node --no-node-snapshot scripts/pages-screenshot.ts [OUT_DIR]   (default: docs/)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/service.ts';
import { newToken, tokenDigest } from '../src/tokens.ts';
import { launchChromium } from '../tests/browser.ts';
import { buildWeb } from './web.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const out = process.argv[2] ?? join(ROOT, 'docs');
const ASSIGNMENT = 'clinging-onto-memory';
const solution = (name: string) => readFileSync(join(ROOT, 'sandbox', 'assignments', ASSIGNMENT, 'solutions', `${name}.js`), 'utf8');

await buildWeb();
const dataDir = mkdtempSync(join(tmpdir(), 'memgrade-pages-'));
const instructor = newToken();
const service = await startService(
  loadConfig({ MEMGRADE_DATA_DIR: dataDir, MEMGRADE_TOKENS: instructor, MEMGRADE_POOL_SIZE: '2' }),
  createLogger('warn'),
);
try {
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
  const class_ = { ada: 'starter', grace: 'reassigned', alan: 'nested', barbara: 'in-place', edsger: 'original' };
  const tokens: Record<string, string> = {};
  for (const name of Object.keys(class_)) {
    tokens[name] = newToken();
    await service.store.addToken({ name, role: 'student', digest: tokenDigest(tokens[name]) });
  }
  for (const [name, file] of Object.entries(class_)) {
    if (name === 'ada') continue;
    const response = await fetch(`${base}/v1/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[name]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ assignment: ASSIGNMENT, code: solution(file), wait: 60 }),
    });
    if (response.status !== 201) throw new Error(`${name}: ${response.status} ${await response.text()}`);
  }

  const browser = await launchChromium();
  const student = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await student.goto(`${base}/`);
  await student.getByLabel('Token', { exact: true }).fill(tokens.ada);
  await student.getByRole('button', { name: 'Sign in' }).click();
  await student.getByLabel('Assignment', { exact: true }).selectOption(ASSIGNMENT);
  await student.getByText('Instructions').click();
  await student.getByRole('button', { name: 'Submit', exact: true }).click();
  await student.getByRole('heading', { name: 'Steps' }).waitFor({ timeout: 60_000 });
  await student.screenshot({ path: join(out, 'student-page.png'), fullPage: true });

  const teacher = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await teacher.goto(`${base}/instructor`);
  await teacher.getByLabel('Token', { exact: true }).fill(instructor);
  await teacher.getByRole('button', { name: 'Sign in' }).click();
  await teacher.getByLabel('Assignment', { exact: true }).selectOption(ASSIGNMENT);
  await teacher.getByRole('region', { name: 'Gradebook table' }).getByRole('row', { name: /^ada\b/ }).waitFor();
  await teacher.getByRole('region', { name: 'Token list' }).waitFor();
  await teacher.screenshot({ path: join(out, 'instructor-page.png'), fullPage: true });
  await browser.close();
  process.stdout.write(`wrote ${join(out, 'student-page.png')} and ${join(out, 'instructor-page.png')}\n`);
} finally {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
}
