// Text on its way out of the sandbox and into a report: cut to its bound (text-limits.ts),
// stacks trimmed to the frames a student wrote (stacks.ts), and byte figures in MiB (format.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GiB, MiB, mib, size } from '../../src/grading/format.ts';
import { trimStack } from '../../src/sandbox-host/stacks.ts';
import { cutLength, cutText, TEXT_LIMITS } from '../../src/sandbox-host/text-limits.ts';

const KEEP = ['submission.js', 'tiny-sum/helpers.js'];

describe('cutText and cutLength', () => {
  test('text within the bound is unchanged; past it, cut and marked with the count cut', () => {
    assert.equal(cutText('abc', 3), 'abc');
    assert.equal(cutText('', 0), '');
    assert.equal(cutText('abcdef', 3), 'abc... [cut: 3 more characters]');
  });

  test('cutLength bounds any cut text, so a schema can hold it', () => {
    assert.equal(cutLength(TEXT_LIMITS.name), 242);
    for (const length of [201, 10_000, 5_000_000]) {
      const cut = cutText('x'.repeat(length), TEXT_LIMITS.name);
      assert.ok(cut.length <= cutLength(TEXT_LIMITS.name), `${length} characters cut to ${cut.length}`);
      assert.ok(cut.startsWith('x'.repeat(200) + TEXT_LIMITS.mark));
    }
  });
});

describe('trimStack', () => {
  test("keeps the message and the submission's and helpers' frames, in order; drops the harness's", () => {
    const stack = [
      'RangeError: Invalid typed array length: -1',
      '    at new Uint8Array (<anonymous>)',
      '    at load (tiny-sum/helpers.js:4:10)',
      '    at process_data (submission.js:2:13)',
      '    at run (memgrade:harness:812:20)',
      '    at memgrade:harness:900:5',
    ].join('\n');
    assert.equal(
      trimStack(stack, KEEP),
      'RangeError: Invalid typed array length: -1\n    at load (tiny-sum/helpers.js:4:10)\n    at process_data (submission.js:2:13)',
    );
  });

  test('a message of several lines is kept whole; no stack stays null', () => {
    assert.equal(trimStack('Error: one\ntwo\n    at memgrade:harness:1:1\n    at submission.js:3:1', KEEP), 'Error: one\ntwo\n    at submission.js:3:1');
    assert.equal(trimStack(null, KEEP), null);
  });

  test('a frame naming a kept file without a position is not one of its frames', () => {
    assert.equal(trimStack('Error: x\n    at submission.js (memgrade:harness:1:1)', KEEP), 'Error: x');
  });

  test('a deep recursion is cut to the stack bound', () => {
    const deep = ['RangeError: Maximum call stack size exceeded', ...Array.from({ length: 5000 }, (_, i) => `    at f (submission.js:${i + 1}:3)`)].join('\n');
    const trimmed = trimStack(deep, KEEP)!;
    assert.ok(trimmed.length <= cutLength(TEXT_LIMITS.stack));
    assert.ok(trimmed.startsWith('RangeError: Maximum call stack size exceeded\n    at f (submission.js:1:3)\n'));
    assert.match(trimmed, /\.\.\. \[cut: \d+ more characters\]$/);
  });
});

describe('mib', () => {
  test('one decimal, in binary megabytes', () => {
    assert.equal(MiB, 1_048_576);
    assert.equal(mib(0), '0.0 MiB');
    assert.equal(mib(MiB), '1.0 MiB');
    assert.equal(mib(1.5 * MiB), '1.5 MiB');
    assert.equal(mib(2_500_000), '2.4 MiB');
    assert.equal(mib(241_172_480), '230.0 MiB');
    assert.equal(mib(100 * 1024), '0.1 MiB');
  });

  test('a figure a few bytes under the baseline reads 0.0, not -0.0; a real loss keeps its sign', () => {
    assert.equal(mib(-1200), '0.0 MiB');
    assert.equal(size(-40, 102_400), '0.0 KiB');
    assert.equal(mib(-0.5 * MiB), '-0.5 MiB');
  });
});

describe('size', () => {
  test('in KiB under 1 MiB for an exercise limited to less than 1 MiB, in MiB for any other, GiB from 1 GiB on', () => {
    const KB_LIMIT = 102_400;
    assert.equal(size(KB_LIMIT, KB_LIMIT), '100.0 KiB');
    assert.equal(size(47_832, KB_LIMIT), '46.7 KiB');
    assert.equal(size(0, KB_LIMIT), '0.0 KiB');
    assert.equal(size(141_946_232, KB_LIMIT), '135.4 MiB');
    assert.equal(size(0, 241_172_480), '0.0 MiB');
    assert.equal(size(100 * 1024, 241_172_480), '0.1 MiB');
    assert.equal(size(400_088_616, 241_172_480), '381.6 MiB');
    assert.equal(size(2 * GiB - 1, 241_172_480), '2.0 GiB');
    assert.equal(size(1.5 * GiB, KB_LIMIT), '1.5 GiB');
  });
});
