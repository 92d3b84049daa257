// Every kind of bad or hostile submission has a defined result, and the next grading still
// works. Uses the small test-only assignment, whose limits are tight (64 MB cap, 3 s).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Grader } from '../support.ts';

const ID = 'tiny-sum';
const FIXED = 'function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }';
const grader = new Grader();
after(() => grader.close());

const grade = (code: string) => grader.grade(ID, code);

async function assertStillGrades() {
  const r = await grade(FIXED);
  assert.equal(r.status, 'passed', r.message);
  assert.equal(r.peak_external_bytes, 2_000_000);
}

describe('what a submission may look like', () => {
  test('a const arrow function', async () => {
    const r = await grade('const process_data = () => { let d = load(SIZE); d = double_it(d); return double_it(d); };');
    assert.equal(r.status, 'passed', r.message);
  });

  test('an async function whose Promise is awaited under the same limits', async () => {
    const r = await grade('async function process_data() { await null; let d = load(SIZE); d = double_it(d); return double_it(d); }');
    assert.equal(r.status, 'passed', r.message);
    assert.equal(r.peak_external_bytes, 2_000_000);
  });

  test('an ES module exporting process_data, with top-level helpers and state', async () => {
    const code = [
      'let calls = 0;',
      'const twice = (d) => double_it(d);',
      'export function process_data() { calls++; let d = load(SIZE); d = twice(d); return twice(d); }',
    ].join('\n');
    const r = await grade(code);
    assert.equal(r.status, 'passed', r.message);
  });
});

describe('bad submissions', () => {
  test('a syntax error gives the line and column of the submission', async () => {
    const r = await grade('function process_data() {\n  let x = ;\n}');
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'syntax_error');
    assert.deepEqual([r.error?.line, r.error?.column], [2, 11]);
    assert.match(r.message, /line 2, column 11/);
  });

  test('a syntax error in a module is located too', async () => {
    const r = await grade('export function process_data() {\n\n  return );\n}');
    assert.equal(r.reason, 'syntax_error');
    assert.equal(r.error?.line, 3);
  });

  test('no process_data', async () => {
    const r = await grade('function processData() {}');
    assert.equal(r.reason, 'missing_entry_point');
    assert.equal(r.status, 'error');
    assert.match(r.message, /process_data/);
  });

  test('process_data that is not a function', async () => {
    const r = await grade('var process_data = 42;');
    assert.equal(r.reason, 'missing_entry_point');
  });

  test('a throw reports the submission frames only', async () => {
    const r = await grade("function process_data() { return helper(); }\nfunction helper() { throw new Error('boom'); }");
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'runtime_error');
    assert.equal(r.error?.message, 'boom');
    assert.deepEqual([r.error?.line, r.error?.column], [2, 27]);
    const frames = r.error.stack!.split('\n').slice(1);
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => f.includes('submission.js:')), r.error.stack!);
  });

  test('throwing a non-Error value', async () => {
    const r = await grade('function process_data() { throw 42; }');
    assert.equal(r.reason, 'runtime_error');
    assert.equal(r.error?.message, '42');
  });

  test('a throw at load time', async () => {
    const r = await grade("throw new TypeError('at load');\nfunction process_data() {}");
    assert.equal(r.reason, 'runtime_error');
    assert.match(r.message, /at load/);
  });

  test('an infinite loop times out within the assignment\'s limit', async () => {
    const r = await grade('function process_data() { for (;;) {} }');
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'timeout');
    assert.ok(r.duration_ms < 3000 + 5000, `took ${r.duration_ms} ms`);
    await assertStillGrades();
  });

  test('an infinite loop at load time times out', async () => {
    const r = await grade('while (true) {}\nfunction process_data() {}');
    assert.equal(r.reason, 'timeout');
  });

  test('a Promise that never settles times out', async () => {
    const r = await grade('function process_data() { return new Promise(() => {}); }');
    assert.equal(r.reason, 'timeout');
  });

  test('a wrong result names the first differing index', async () => {
    const r = await grade('function process_data() { const d = double_it(double_it(load(SIZE))); d[1234] = 7; return d; }');
    assert.equal(r.status, 'failed');
    assert.equal(r.reason, 'wrong_result');
    assert.equal(r.correct, false);
    assert.equal(r.check?.first_bad_index, 1234);
    assert.match(r.message, /element 1234 is 7/);
  });

  test('a result that is not an array', async () => {
    const r = await grade('function process_data() { return { length: 1000000 }; }');
    assert.equal(r.reason, 'wrong_result');
    assert.match(r.message, /must|not a Uint8Array/);
  });

  test('deep recursion is a runtime error, not a crash', async () => {
    const r = await grade('function f(n) { return f(n + 1) + 1; }\nfunction process_data() { return f(0); }');
    assert.equal(r.reason, 'runtime_error');
    assert.equal(r.error?.name, 'RangeError');
    await assertStillGrades();
  });

  test('a 10 MB submission is refused by size', async () => {
    const r = await grade(`// ${'x'.repeat(10 * 1024 * 1024)}\nfunction process_data() {}`);
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'invalid_submission');
    assert.match(r.message, /65536/);
  });
});

// Issue 17, item 7: the wall-clock limit covers awaiting. A submission that only waits is
// stopped at the same bound as a busy loop (the assignment's 3 s, plus slack for a loaded
// machine), by its sandbox process, not 14 s later by the parent's last-resort deadline, and the
// next grading works. The isolate offers no timers (no setTimeout, setInterval, queueMicrotask,
// SharedArrayBuffer for Atomics.waitAsync): what can be waited on is a promise.
describe('waiting costs the same as computing', () => {
  const BOUND_MS = 3000 + 5000;
  const WAITS: Record<string, string> = {
    'an await that never settles': 'async function process_data() { await new Promise(() => {}); }',
    'a returned Promise that never settles': 'function process_data() { return new Promise(() => {}); }',
    'an await on a FinalizationRegistry callback, then a busy loop':
      'async function process_data() { await new Promise((r) => { new FinalizationRegistry(r).register({}, 1); }); for (;;) {} }',
    'a loop of awaits, each a new microtask': 'async function process_data() { for (;;) await null; }',
    'a module whose top-level await loops on microtasks': 'export function process_data() { return load(SIZE); }\nfor (;;) await null;',
  };
  for (const [name, code] of Object.entries(WAITS)) {
    test(`${name}: a timeout within the busy loop's bound`, async () => {
      const r = await grade(code);
      assert.equal(r.reason, 'timeout', r.message);
      assert.match(r.message, /time limit of 3000 ms/);
      assert.ok(r.duration_ms < BOUND_MS, `took ${r.duration_ms} ms`);
      await assertStillGrades();
    });
  }
});

describe('memory caps', () => {
  test('ArrayBuffers past the cap: memory_cap with the peak so far, even when caught', async () => {
    const r = await grade('function process_data() { const a = []; try { for (;;) a.push(new Uint8Array(16e6)); } catch (e) {} return load(SIZE); }');
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'memory_cap');
    assert.ok(r.peak_external_bytes! >= 48_000_000, `peak ${r.peak_external_bytes}`);
    await assertStillGrades();
  });

  test('plain JS objects past the cap: memory_cap', async () => {
    const r = await grade("function process_data() { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }); }");
    assert.equal(r.reason, 'memory_cap');
    await assertStillGrades();
  });

  test('Array(4e8).fill(0) aborts V8 in the child process; the answer is still memory_cap', async () => {
    const r = await grade('function process_data() { return Array(4e8).fill(0); }');
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'memory_cap');
    await assertStillGrades();
  });
});

describe('the host is out of reach', () => {
  test('no require, process, gc, module, import() or isolated-vm object', async () => {
    const code = `async function process_data() {
      const found = [];
      for (const name of ['require', 'process', 'module', 'exports', 'Buffer', 'gc', 'ivm', '_ivm', 'WebAssembly', 'SharedArrayBuffer']) {
        if (globalThis[name] !== undefined) found.push(name);
      }
      if (this !== undefined && this !== globalThis) found.push('this');
      const typeofProcess = this.constructor.constructor('return typeof process');
      if (typeof typeofProcess() !== 'string' || typeofProcess() !== 'undefined') found.push('Function(process)');
      try { await import('fs'); found.push('import()'); } catch {}
      if (found.length > 0) throw new Error('reached: ' + found.join(', '));
      let d = load(SIZE); d = double_it(d); return double_it(d);
    }`;
    const r = await grade(code);
    assert.equal(r.status, 'passed', r.message);
  });

  test('Function("return process")() yields nothing of the host', async () => {
    const r = await grade("function process_data() { return this.constructor.constructor('return process')().pid; }");
    assert.equal(r.reason, 'runtime_error');
    assert.match(r.message, /process is not defined/);
  });
});

describe('tampering does not hide an allocation', () => {
  test('replacing built-ins the harness uses leaves the measurement intact', async () => {
    const code = `
      Reflect.construct = () => ({});
      Reflect.apply = () => undefined;
      Function.prototype.call = function () { return undefined; };
      Function.prototype.bind = function () { return () => undefined; };
      Map.prototype.set = Map.prototype.get = function () { return undefined; };
      WeakMap.prototype.has = () => true;
      FinalizationRegistry.prototype.register = () => {};
      Object.prototype.toJSON = () => 'fooled';
      Object.defineProperty(Array.prototype, '0', { set() {}, get() { return 'fooled'; } });
      JSON.stringify = () => '{"outcome":"returned"}';
      Error.prepareStackTrace = () => 'fooled';
      Error.captureStackTrace = () => {};
      Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 0; } });
      function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }`;
    const r = await grade(code);
    assert.equal(r.status, 'passed', r.message);
    assert.equal(r.peak_external_bytes, 2_000_000);
    assert.equal(r.live_at_peak.length, 2);
    assert.ok(r.live_at_peak.every((a) => a.site !== null && a.site.includes('double_it')));
  });

  test('replacing the global constructors and helpers fails; the helpers keep working', async () => {
    const code = `
      try { Uint8Array = function () { return []; }; } catch {}
      try { globalThis.load = () => new Uint8Array(1000000).fill(4); } catch {}
      try { Object.defineProperty(globalThis, 'double_it', { value: (d) => d }); } catch {}
      function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }`;
    const r = await grade(code);
    assert.equal(r.status, 'passed', r.message);
    assert.equal(r.peak_external_bytes, 2_000_000);
  });

  test('allocations by every path are counted: species, from, slice, toReversed, ArrayBuffer, resize', async () => {
    const code = `
      Uint8Array.prototype.constructor = undefined;
      function process_data() {
        const keep = [];
        const base = load(SIZE);
        keep.push(base.map((x) => x));
        keep.push(Uint8Array.from(base));
        keep.push(base.slice());
        keep.push(base.toReversed());
        keep.push(new ArrayBuffer(1e6));
        keep.push(base.buffer.slice(0));
        keep.push(new DataView(new ArrayBuffer(1e6)));
        let d = double_it(base);
        d = double_it(d);
        return keep.length === 7 ? d : null;
      }`;
    const r = await grade(code);
    assert.equal(r.correct, true, r.message);
    assert.equal(r.peak_external_bytes, 10_000_000);
    assert.equal(r.steps.find((s) => s.name === 'process_data')?.allocated_bytes, 7_000_000);
    assert.equal(r.live_at_peak.length, 10);
    assert.ok(r.live_at_peak.every((a) => a.file !== null), 'every allocation has a site with a file');
  });

  test('resizable ArrayBuffers, invisible to V8\'s external count, are refused', async () => {
    const r = await grade('function process_data() { const b = new ArrayBuffer(0, { maxByteLength: 1e8 }); b.resize(1e8); return b; }');
    assert.equal(r.reason, 'runtime_error');
    assert.match(r.message, /resizable ArrayBuffers are not supported/);
  });
});

describe('bounded cost', () => {
  test('200,000 small arrays do not force a GC each', async () => {
    const r = await grade(`function process_data() { for (let i = 0; i < 200000; i++) new Uint8Array(16); ${FIXED.slice(FIXED.indexOf('{') + 1)}`);
    assert.equal(r.status, 'passed', r.message);
    assert.ok(r.measurement.gc_count < 1000, `gc_count ${r.measurement.gc_count}`);
    assert.ok(r.peak_bytes! - r.peak_external_bytes! < 256 * 1024, `heap ${r.peak_heap_bytes}`);
  });
});
