// Nothing assumes process_data, where a process reads the manifest: the platform autograder's
// messages name the assignment's entry point, and `memgrade grade` on a file of an assignment's
// folder grades it against that assignment. No submission is graded here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');

test('the autograder asks for a file that defines the entry point of the assignment', () => {
  for (const [platform, submission] of [['gradescope', 'submission'], ['prairielearn', 'student']]) {
    const root = mkdtempSync(join(tmpdir(), 'memgrade-autograde-'));
    mkdirSync(join(root, submission));
    for (const name of ['a.js', 'b.js']) writeFileSync(join(root, submission, name), '');
    const env = { ...process.env, MEMGRADE_PLATFORM_ROOT: root };
    const run = spawnSync(BIN, ['autograde', platform, '--assignment', 'lru-cache'], { encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stderr);
    const text = readFileSync(join(root, 'results', 'results.json'), 'utf8');
    assert.match(text, /submit exactly one JavaScript file that defines compare_counts_different_factorials\./, platform);
    assert.doesNotMatch(text, /process_data/, platform);
  }
});

test('memgrade grade takes the assignment of the folder that holds the file, unless --assignment names one', () => {
  // A copy of tiny-sum, found through MEMGRADE_ASSIGNMENTS_DIRS, with an empty file in it: refused
  // before it runs, the result names the assignment it was graded for.
  const root = mkdtempSync(join(tmpdir(), 'memgrade-assignments-'));
  cpSync(join(FIXTURE_ASSIGNMENTS_DIR, 'tiny-sum'), join(root, 'tiny-sum'), { recursive: true });
  const empty = join(root, 'tiny-sum', 'solutions', 'empty.js');
  writeFileSync(empty, '');
  const grade = (...args: string[]) =>
    spawnSync(BIN, ['grade', empty, '--format', 'json', ...args], { encoding: 'utf8', env: { ...process.env, MEMGRADE_ASSIGNMENTS_DIRS: root } });
  const inFolder = grade();
  assert.equal(inFolder.status, 2, inFolder.stderr);
  assert.deepEqual([JSON.parse(inFolder.stdout).assignment, JSON.parse(inFolder.stdout).reason], ['tiny-sum', 'invalid_submission']);
  assert.equal(JSON.parse(grade('--assignment', 'lru-cache').stdout).assignment, 'lru-cache');
});

test("the PrairieLearn question names what the submission must define: the entry point and what the check calls", () => {
  const out = join(mkdtempSync(join(tmpdir(), 'memgrade-question-')), 'q');
  const made = spawnSync(BIN, ['export', 'prairielearn', '--assignment', 'lru-cache', '--out', out], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const html = readFileSync(join(out, 'question.html'), 'utf8');
  assert.match(
    html,
    /It must define <code>compare_counts_different_factorials<\/code>, <code>Algorithms<\/code> and <code>generate_factorial_plus_last_digit<\/code>: the grader calls <code>compare_counts_different_factorials<\/code>,/,
  );
  assert.doesNotMatch(html, /process_data/);
});
