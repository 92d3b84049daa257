// The memray tutorial's exercises 1 and 3 as their manifests declare them: the entry point's
// arguments, the submission's own functions as steps (a generator, a class), the check handed
// the submission's functions, a hidden run on other arguments, figures in KiB for a 100 KB
// limit, and every declared solution graded as declared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { GradeResult } from '../../src/grading/result.ts';
import { assignment, Grader } from '../support.ts';

const grader = new Grader();
after(() => grader.close());

const solution = (id: string, name: string) => readFileSync(join(assignment(id).dir, assignment(id).manifest.solutions[name].file), 'utf8');
const stepsOf = (r: GradeResult) => Object.fromEntries(r.steps.map((s) => [s.name, s]));
const MiB = 1024 * 1024;

describe('fibonacci-sequence', () => {
  const ID = 'fibonacci-sequence';

  test("the original: its three lists alive as fibonacci returns, over a limit shown in KiB", async () => {
    const r = await grader.grade(ID, solution(ID, 'original'));
    assert.equal(r.status, 'failed', r.message);
    assert.equal(r.reason, 'memory_limit');
    assert.equal(r.correct, true);
    assert.match(r.message, /^limited to 100\.0 KiB but allocated 135\.\d MiB at the peak, in fibonacci$/);
    assert.ok(Math.abs(r.peak_bytes! - 141_946_000) < MiB, `peak ${r.peak_bytes}`);
    const s = stepsOf(r);
    assert.deepEqual(
      r.steps.map((step) => [step.name, step.calls]),
      [['(top level)', 1], ['fibonacci', 3], ['chain', 1], ['reduce', 1], ['generate_fibonacci_hash', 1]],
    );
    assert.ok(s.fibonacci.live_after_bytes > 135 * MiB);
    assert.match(r.check?.message ?? '', /^the full-size hash is 4657n and all 8 cases of test_exercise_1\.py pass$/);
    assert.equal(r.hidden_check?.correct, true, r.hidden_check?.message);
    // Who kept the heap: the three lists, made as the arguments of chain(...), which no variable
    // holds; a heap snapshot at the peak finds them on the stack of generate_fibonacci_hash.
    assert.equal(r.explanation?.status, 'complete', r.explanation?.reason ?? '');
    const [held] = r.explanation?.heap_holders ?? [];
    assert.deepEqual(
      [held.kind, held.name, held.function, held.path],
      ['temporary', 'a temporary of generate_fibonacci_hash', 'generate_fibonacci_hash', ' (3 Array)'],
    );
    assert.ok(held.bytes > 135 * MiB && held.bytes <= r.peak_heap_bytes!, `${held.bytes}`);
    assert.match(held.hint ?? '', /one at a time \(lazily\)/);
  });

  test('a heap holder in a function with a 400-character name: the name is cut, the grading stands', async () => {
    const long = `f${'x'.repeat(400)}`;
    const code =
      solution(ID, 'original').replace(/function generate_fibonacci_hash[\s\S]*$/, '') +
      `function ${long}(a, b, c) { return reduce(add, chain(fibonacci(a), fibonacci(b), fibonacci(c)), 0n) % 10000n; }\n` +
      `function generate_fibonacci_hash(a, b, c) { return ${long}(a, b, c); }\n`;
    const r = await grader.grade(ID, code);
    assert.equal(r.reason, 'memory_limit', r.message);
    const [held] = r.explanation?.heap_holders ?? [];
    assert.equal(held.kind, 'temporary');
    assert.match(held.function, /^fx+\.\.\. \[cut: \d+ more characters\]$/);
    assert.ok(held.function.length < long.length);
  });

  test('the generator: fibonacci is a step while its iterators are driven; the hidden run hashes other lengths', async () => {
    const r = await grader.grade(ID, solution(ID, 'generator'));
    assert.equal(r.status, 'passed', r.message);
    assert.match(r.message, /^passed: peak \d+\.\d KiB \(in \w+\) is within the 100\.0 KiB limit/);
    const s = stepsOf(r);
    assert.equal(s.fibonacci.calls, 3);
    assert.ok(s.fibonacci.duration_ms > 0 && s.fibonacci.duration_ms <= s.reduce.duration_ms, JSON.stringify(r.steps));
    const hidden = /^the hash of the hidden lengths (\d+), (\d+) and (\d+) is \d+n$/.exec(r.hidden_check?.message ?? '');
    assert.ok(hidden, r.hidden_check?.message);
    assert.ok(hidden.slice(1).every((length) => Number(length) >= 1000 && Number(length) < 5000));
  });

  test('a hard-coded hash fails the hidden run, which calls with other lengths', async () => {
    const r = await grader.grade(ID, 'function generate_fibonacci_hash(a, b, c) { return 4657n; }');
    assert.equal(r.check?.correct, false, 'the tutorial\'s small cases call it too');
    // Computed for the tutorial's small cases, the known answer for anything larger.
    const fake = `${solution(ID, 'generator')}
const real = generate_fibonacci_hash;
generate_fibonacci_hash = (a, b, c) => (a + b + c < 100 ? real(a, b, c) : 4657n);`;
    const faked = await grader.grade(ID, fake);
    assert.equal(faked.check?.correct, true, faked.check?.message ?? '');
    assert.equal(faked.hidden_check?.correct, false);
    assert.equal(faked.reason, 'wrong_result');
  });
});

describe('lru-cache', () => {
  const ID = 'lru-cache';

  test('the original: 1,500 instances made with new, all alive to the end; failed at the limit, not the cap', async () => {
    const r = await grader.grade(ID, solution(ID, 'original'));
    assert.equal(r.status, 'failed', r.message);
    assert.equal(r.reason, 'memory_limit');
    assert.ok(r.peak_bytes! > 500 * MiB, `peak ${r.peak_bytes}`);
    const s = stepsOf(r);
    assert.deepEqual(
      ['Algorithms', 'generate_factorial_plus_last_digit', 'Counter'].map((name) => s[name].calls),
      [1500, 2, 2],
    );
    assert.ok(s.Counter.live_after_bytes > 500 * MiB);
    assert.match(r.hidden_check?.message ?? '', /of the hidden ranges \d+ and \d+ are right$/);
    // Who kept the heap: the cache the helper's `cache` made, in the closure of the method it
    // replaced on the class's prototype; the class is a top-level binding of the submission's.
    assert.equal(r.explanation?.status, 'complete', r.explanation?.reason ?? '');
    const [held] = r.explanation?.heap_holders ?? [];
    assert.deepEqual([held.kind, held.name, held.path], ['global', 'Algorithms', '.prototype.factorial_plus <closure memo>']);
    assert.ok(held.bytes > 500 * MiB, `${held.bytes}`);
    assert.match(held.hint ?? '', /an instance field, a WeakMap/);
  });

  test("the tutorial's solution: a cache per instance goes with it", async () => {
    const r = await grader.grade(ID, solution(ID, 'per-instance'));
    assert.equal(r.status, 'passed', r.message);
    assert.ok(stepsOf(r).Counter.live_after_bytes < MiB);
    assert.deepEqual(r.explanation?.heap_holders, [], 'under 1 MiB of heap: no snapshot taken');
  });
});

describe('every declared solution of the tutorial assignments', () => {
  for (const id of ['fibonacci-sequence', 'lru-cache']) {
    for (const [name, { expect }] of Object.entries(assignment(id).manifest.solutions)) {
      if (name === 'original' || name === 'generator' || name === 'per-instance') continue; // graded above
      test(`${id}: ${name} ${expect}`, async () => {
        const r = await grader.grade(id, solution(id, name));
        assert.equal(r.status, expect, r.message);
      });
    }
  }
});
