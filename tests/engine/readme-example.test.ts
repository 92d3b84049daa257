// The README's text-report example is what `./bin/memgrade grade` prints for the starter, not a
// transcript written once: the same lines, but for the times and the few hundred bytes of JS heap
// that vary from run to run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Times (and so the width of their column) and the JS heap's bytes vary; ArrayBuffer bytes and the
 * rest do not. A size in MiB that includes JS heap may round either way when the heap's few
 * hundred bytes of noise straddle a tenth (400,085,576 bytes is 381.6 MiB, 400,085,000 381.5): sizes
 * are compared apart, within a tenth.
 */
const steady = (text: string) =>
  text
    .replace(/ +\d+ ms/g, ' N ms')
    // The time column is as wide as its longest time.
    .replace(/ +time\n/, ' time\n')
    .replace(/\((\d+) bytes: (\d+) in ArrayBuffers, (\d+) of JS heap\)/, '(N bytes: $2 in ArrayBuffers, N of JS heap)')
    .replace(/\d+\.\d MiB/g, 'X MiB');
const sizes = (text: string) => [...text.matchAll(/(\d+\.\d) MiB/g)].map((m) => Number(m[1]));

test('the README shows what grading the starter prints', async () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const shown = /```\n(FAILED clinging-onto-memory[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(shown, 'the README has the text example');
  const run = await promisify(execFile)(`${ROOT}bin/memgrade`, ['grade', 'sandbox/assignments/clinging-onto-memory/starter.js'], { cwd: ROOT }).catch(
    (failed: { stdout: string; code: number }) => failed,
  );
  assert.equal((run as { code?: number }).code, 1, 'the starter fails');
  const outOfDate = 'README.md is out of date: paste the output of ./bin/memgrade grade sandbox/assignments/clinging-onto-memory/starter.js';
  assert.equal(steady(shown), steady(run.stdout), outOfDate);
  const [readmeSizes, printed] = [sizes(shown), sizes(run.stdout)];
  assert.equal(readmeSizes.length, printed.length, outOfDate);
  readmeSizes.forEach((size, i) => assert.ok(Math.abs(size - printed[i]) <= 0.1 + 1e-9, `${outOfDate} (${size} MiB, printed ${printed[i]} MiB)`));
});
