// The docs cannot drift from their sources: the generated tables are what `npm run docs` writes,
// openapi.yaml lists exactly the error codes of the table, and every variable the docs name is
// one the code reads (or one of the few that only the tests, CI or compose.yaml read).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { duration, GENERATED, regenerated } from '../../scripts/docs.ts';
import { DEPRECATED_NAMES, Env } from '../../src/config.ts';
import { API_ERROR_CODES } from '../../src/errors.ts';
import { SCHEDULE_MS } from '../../src/webhooks/deliverer.ts';

const ROOT = new URL('../../', import.meta.url);

test('the generated tables are up to date (npm run docs rewrites them)', () => {
  for (const file of new Set(GENERATED.map((g) => g.file.href))) {
    assert.equal(readFileSync(new URL(file), 'utf8'), regenerated(new URL(file)), `${new URL(file).pathname} is out of date: npm run docs`);
  }
});

test("docs/classroom.md's webhook schedule is the deliverer's table, in words", () => {
  const text = readFileSync(new URL('docs/classroom.md', ROOT), 'utf8');
  const delays = SCHEDULE_MS.slice(1).map(duration);
  assert.match(text, new RegExp(`${delays[0]} later, then ${delays.slice(1, -1).join(', ')} and ${delays.at(-1)} after the try before`));
  assert.match(text, new RegExp(`${SCHEDULE_MS.length - 1} retries, ${SCHEDULE_MS.length} tries in all`));
  assert.deepEqual([5e3, 3e5, 72e5, 864e5, 272_105e3].map(duration), ['5 s', '5 min', '2 h', '24 h', '75 h 35 min 5 s']);
});

test('openapi.yaml lists every error code of the table, and no other', () => {
  const document = parse(readFileSync(new URL('openapi.yaml', ROOT), 'utf8')) as {
    components: { schemas: { Error: { properties: { error: { enum: string[] } } } } };
  };
  assert.deepEqual(document.components.schemas.Error.properties.error.enum, API_ERROR_CODES);
});

/**
 * Read by the tests and CI (a test server, a test-only platform root), by compose.yaml alone, or by
 * the command line for a benchmark (the timings of one grading).
 */
const NOT_THE_SERVICE = new Set([
  'MEMGRADE_TIMINGS',
  'MEMGRADE_TEST_DATABASE_URL',
  'MEMGRADE_TEST_NPM_BINARIES',
  'MEMGRADE_PLATFORM_ROOT',
  'MEMGRADE_TOKEN',
  'MEMGRADE_WORKERS',
  'MEMGRADE_WORKER_POOL_SIZE',
]);

test('every MEMGRADE_ variable the docs name is one the service reads', () => {
  const pages = readdirSync(new URL('docs/', ROOT)).filter((f) => f.endsWith('.md'));
  const docs = ['README.md', 'CONTRIBUTING.md', 'compose.yaml', 'Dockerfile', ...pages.map((f) => `docs/${f}`)];
  // An old name is still read (with a warning), and the docs may say so.
  const known = new Set([...Object.keys(Env.properties), ...Object.keys(DEPRECATED_NAMES)]);
  for (const doc of docs) {
    const named = new Set(readFileSync(new URL(doc, ROOT), 'utf8').match(/MEMGRADE_[A-Z_]+/g) ?? []);
    for (const name of named) assert.ok(known.has(name) || NOT_THE_SERVICE.has(name), `${doc} names ${name}, which nothing reads`);
  }
});
