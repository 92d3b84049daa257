// The holes a hostile student or a new user found in the engine, each closed: memory used while
// the script loads, a hard-coded answer, output that grows without bound, a locked built-in the
// harness needed, a verdict that hung on the explanation or on an error's text, and runs that a
// submission could tell apart. Small test-only assignment, except where full size is the point.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { htmlReport } from '../../src/report/html-report.ts';
import { assignment, Grader } from '../support.ts';

const TINY = 'tiny-sum';
const FULL = 'clinging-onto-memory';
const FIXED = 'function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }';
const grader = new Grader();
after(() => grader.close());

const json = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('what a submission does while its script loads is measured', () => {
  test('the whole original pipeline run at the top level is counted, in a (top level) step', async () => {
    const original = readFileSync(join(assignment(FULL).dir, 'solutions', 'original.js'), 'utf8');
    const code = `${original.replace('function process_data', 'function pipeline')}\nconst answer = pipeline();\nfunction process_data() { return answer; }`;
    const r = await grader.grade(FULL, code);
    assert.equal(r.status, 'failed', r.message);
    assert.equal(r.reason, 'memory_limit');
    assert.equal(r.peak_external_bytes, 400_000_000);
    const load = r.steps.find((s) => s.name === '(top level)');
    assert.ok(load, 'the load has a row of its own');
    assert.ok(load.peak_live_bytes >= 400_000_000);
    assert.equal(r.steps.find((s) => s.name === 'add_scalar')?.calls, 1);
    const whole = r.steps.find((s) => s.name === 'process_data');
    assert.ok(whole && whole.peak_live_bytes < 200_000_000);
  });

  test('a script that throws after allocating keeps what it allocated in the result', async () => {
    const r = await grader.grade(TINY, "const keep = [load(SIZE), load(SIZE)];\nthrow new Error('late');\nfunction process_data() {}");
    assert.equal(r.reason, 'runtime_error');
    assert.match(r.message, /late/);
    assert.equal(r.peak_external_bytes, 2_000_000);
    assert.equal(r.error?.line, 2);
  });
});

describe('a transient on the JS heap between two steps is seen', () => {
  test("the issue's example: a helper sums Array.from of 20,000,000 bytes, then the reassigned pipeline", async () => {
    const code = `function sum(data) { const a = Array.from(data.subarray(0, 20_000_000)); let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; }
function process_data() {
  let data = load_xMb_of_data(SIZE_OF_DATA_IN_MB);
  const total = sum(data);
  data = subtract_scalar(data, SUBTRACT_AMOUNT);
  data = raise_to_power(data, POWER_AMOUNT);
  data = duplicate_data(data);
  return add_scalar(data, ADD_AMOUNT + total * 0);
}`;
    const r = await grader.grade(FULL, code);
    assert.equal(r.reason, 'memory_limit', r.message);
    assert.ok(r.peak_bytes! > 290_000_000, `peak ${r.peak_bytes}`);
    assert.equal(r.peak_external_bytes, 100_000_000);
  });
});

describe('a hard-coded answer fails', () => {
  test('returning the expected array without computing it is wrong_result, on the hidden input', async () => {
    const r = await grader.grade(FULL, 'function process_data() { return new Uint8Array(1e8).fill(18); }');
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'wrong_result');
    assert.equal(r.correct, false);
    assert.equal(r.check?.correct, true, 'the usual input alone is fooled');
    assert.equal(r.hidden_check?.correct, false);
    assert.match(r.message, /hidden input/);
  });

  test('a computed result passes the hidden check too', async () => {
    const r = await grader.grade(TINY, FIXED);
    assert.equal(r.status, 'passed', r.message);
    assert.deepEqual(r.hidden_check, { correct: true, message: 'all 1003 elements are right' });
  });

  test('a submission that misbehaves only on other input fails', async () => {
    const code = 'function process_data() { const d = load(SIZE); if (d[0] !== 1) throw new Error("unexpected input"); return double_it(double_it(d)); }';
    const r = await grader.grade(TINY, code);
    assert.equal(r.reason, 'wrong_result');
    assert.match(r.message, /hidden input.*unexpected input/);
  });
});

describe('output is bounded whatever the submission does', () => {
  const huge = "'x'.repeat(1e8)";
  for (const [where, code] of [
    ['at load time', `throw new Error(${huge});\nfunction process_data() {}`],
    ['in process_data', `function process_data() { throw new Error(${huge}); }`],
    ['as the error name and a thrown string', `function process_data() { const e = new Error('m'); e.name = ${huge}; throw e; }`],
  ] as const) {
    test(`a 100 MB error message ${where} is cut, and the result stays small`, async () => {
      const r = await grader.grade(FULL, code);
      assert.equal(r.reason, 'runtime_error');
      assert.ok(json(r) < 64 * 1024, `${json(r)} bytes of JSON`);
      assert.match(`${r.error?.name} ${r.error?.message}`, /\[cut: \d+ more characters\]/);
      assert.ok(r.message.length < 5000);
    });
  }

  test('2,000 live 64 KiB buffers and 1,000 step calls: result under 1 MB, report page under 2 MB', async () => {
    const code = readFileSync(new URL('../fixtures/submissions/largest-report.js', import.meta.url), 'utf8');
    const r = await grader.grade(FULL, code);
    assert.ok(r.peak_external_bytes! >= 2000 * 65536, r.message);
    const size = json(r);
    assert.ok(size < 1024 * 1024, `${size} bytes of JSON`);
    const page = htmlReport(r, assignment(FULL));
    assert.ok(Buffer.byteLength(page) < 2 * 1024 * 1024, `${Buffer.byteLength(page)} bytes of HTML`);
    assert.ok(r.live_at_peak.length <= 100);
    assert.ok(r.untracked_at_peak_bytes > 0, 'what is not listed is summed up');
  });
});

describe('the harness depends on nothing the submission can lock', () => {
  test('locking Error.stackTraceLimit leaves allocation sites and the grade intact', async () => {
    const r = await grader.grade(
      TINY,
      `try { Object.defineProperty(Error, 'stackTraceLimit', { value: 0, writable: false }); } catch {}\n${FIXED}`,
    );
    assert.equal(r.status, 'passed', r.message);
    assert.ok(r.live_at_peak.every((a) => a.site !== null && a.site.includes('double_it')));
  });
});

describe('the verdict depends on neither the explanation nor an error text', () => {
  test('"timed out" and "memory limit" thrown by the submission are its runtime errors', async () => {
    for (const text of ['request timed out', 'Isolate was disposed during execution due to memory limit']) {
      const atLoad = await grader.grade(TINY, `throw new Error(${JSON.stringify(text)});\nfunction process_data() {}`);
      assert.equal(atLoad.reason, 'runtime_error', text);
      const inRun = await grader.grade(TINY, `function process_data() { throw new Error(${JSON.stringify(text)}); }`);
      assert.equal(inRun.reason, 'runtime_error', text);
    }
  });

  test('holders are read during the measured run; a peak that rose more often is explained by a replay', async () => {
    const few = await grader.grade(TINY, FIXED);
    assert.equal(few.explanation?.status, 'complete');
    // 30 allocations, each a new peak: more than the run reads holders at.
    const code = `function process_data() {
      const keep = [];
      for (let i = 1; i <= 30; i++) keep.push(new Uint8Array(300000));
      globalThis.keep = keep;
      let d = load(SIZE); d = double_it(d); return double_it(d);
    }`;
    const many = await grader.grade(TINY, code);
    assert.equal(many.explanation?.status, 'complete', many.explanation?.reason ?? '');
    assert.equal(many.peak_external_bytes, 30 * 300_000 + 2_000_000);
    assert.ok(many.live_at_peak.some((a) => a.holders.some((h) => h.name.startsWith('keep'))));
  });
});

describe('every run of a submission sees the same clock and random numbers', () => {
  test('Date.now, new Date and Math.random give the same values in every grading', async () => {
    const code = "function process_data() { throw new Error([Date.now(), new Date().toISOString(), Math.random(), Math.random()].join(' ')); }";
    const a = await grader.grade(TINY, code);
    const b = await grader.grade(TINY, code);
    assert.equal(a.error?.message, b.error?.message);
    assert.match(a.error!.message, /^1767225600000 2026-01-01T00:00:00\.001Z 0\.\d+ 0\.\d+$/);
  });

  test('a loop that waits for the clock ends: the clock moves at every reading', async () => {
    const fixedBody = FIXED.slice(FIXED.indexOf('{') + 1);
    const r = await grader.grade(TINY, `function process_data() { const t = Date.now(); while (Date.now() - t < 60000) {} ${fixedBody}`);
    assert.equal(r.status, 'passed', r.message);
  });
});
