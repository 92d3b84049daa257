// The reference exercise at full size: the tutorial's figures, what V8 really holds, and the
// same answer every time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assignment, Grader } from '../support.ts';

const ID = 'clinging-onto-memory';
const MiB = 1024 * 1024;
const solution = (name: string) => readFileSync(join(assignment(ID).dir, 'solutions', `${name}.js`), 'utf8');
const grader = new Grader();
after(() => grader.close());

describe('clinging-onto-memory, full size', () => {
  test('the original fails at 400 MB with the tutorial\'s four arrays alive in add_scalar', async () => {
    const r = await grader.grade(ID, solution('original'));
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'memory_limit');
    assert.equal(r.correct, true);
    assert.equal(r.peak_external_bytes, 400_000_000);
    assert.ok(Math.abs(r.peak_bytes! - 400_000_000) < MiB, `peak ${r.peak_bytes}`);
    assert.equal(r.peak_step, 'add_scalar');
    assert.deepEqual(
      r.live_at_peak.map((a) => a.step).sort(),
      ['add_scalar', 'duplicate_data', 'raise_to_power', 'subtract_scalar'],
    );
    assert.ok(r.live_at_peak.every((a) => a.bytes === 100_000_000 && a.file === `${ID}/helpers.js` && a.line > 0));
    assert.match(r.message, /limited to 230\.0 MiB but allocated 381\.\d MiB/);
    const byName = Object.fromEntries(r.steps.map((s) => [s.name, s]));
    assert.equal(byName.load_xMb_of_data.allocated_bytes, 100_000_000);
    assert.equal(byName.add_scalar.calls, 1);
    assert.ok(byName.add_scalar.peak_live_bytes >= 400_000_000);
    assert.ok(byName.duplicate_data.live_after_bytes >= 300_000_000 && byName.duplicate_data.live_after_bytes < 300_000_000 + MiB);
    assert.ok(r.timeline.length >= 10);
    assert.ok(r.timeline.some((t) => t.live_bytes === r.peak_bytes));
  });

  test('one variable reassigned at every step passes at 200 MB', async () => {
    const r = await grader.grade(ID, solution('reassigned'));
    assert.equal(r.status, 'passed', r.message);
    assert.equal(r.reason, null);
    assert.equal(r.peak_external_bytes, 200_000_000);
    assert.ok(Math.abs(r.peak_bytes! - 200_000_000) < MiB);
    // Every step from subtract_scalar on holds two arrays at its allocation; which of them is
    // the peak is decided by a few hundred KB of JS heap (compiled code), so only the pair is fixed.
    assert.deepEqual(r.live_at_peak.map((a) => a.bytes), [100_000_000, 100_000_000]);
  });

  test('computing in place passes at about 100 MB', async () => {
    const r = await grader.grade(ID, solution('in-place'));
    assert.equal(r.status, 'passed', r.message);
    assert.ok(Math.abs(r.peak_external_bytes! - 100_000_000) < 4096, `external ${r.peak_external_bytes}`);
    assert.ok(Math.abs(r.peak_bytes! - 100_000_000) < MiB);
  });

  test('nested calls peak at 300 MB in V8: the register still holds the intermediate', async () => {
    const r = await grader.grade(ID, solution('nested'));
    assert.equal(r.peak_external_bytes, 300_000_000);
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'memory_limit');
  });

  test('an output array the submission allocates itself is counted (200 MB, not 100 MB)', async () => {
    const code = `function process_data() {
      let data = load_xMb_of_data(SIZE_OF_DATA_IN_MB);
      const out = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = ((((data[i] - 3) & 255) ** 2) * 2 + 10);
      return out;
    }`;
    const r = await grader.grade(ID, code);
    assert.equal(r.peak_external_bytes, 200_000_000);
    assert.equal(r.status, 'passed', r.message);
    const own = r.live_at_peak.find((a) => a.file === 'submission.js');
    assert.ok(own, 'the submission\'s own allocation is listed');
    assert.equal(own.function, 'process_data');
    assert.equal(own.line, 3);
    assert.equal(own.step, 'process_data');
  });

  test('graded five times: same verdict, same ArrayBuffer bytes, peak within 64 KiB', async () => {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await grader.grade(ID, solution('original')));
    assert.deepEqual(new Set(runs.map((r) => r.status)), new Set(['failed']));
    assert.deepEqual(new Set(runs.map((r) => r.peak_external_bytes)), new Set([400_000_000]));
    const peaks = runs.map((r) => r.peak_bytes!);
    assert.ok(Math.max(...peaks) - Math.min(...peaks) <= 64 * 1024, `peaks ${peaks.join(', ')}`);
    for (const r of runs) assert.equal(r.peak_bytes, r.peak_external_bytes! + r.peak_heap_bytes!);
  });
});
