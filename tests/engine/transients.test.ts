// Memory on the JS heap that is alive only between two ArrayBuffer allocations (a plain array,
// a string, objects) is still seen: the harness looks at the heap every 8,192 (or 65,536, without
// the native heap-space reader) function calls and loop iterations of the submission, and after built-ins that make a large result. Each
// transient here is built by process_data's helper and dead before the pipeline runs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { grade } from '../../src/grading/grade.ts';
import { assignment } from '../support.ts';
import { SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';

const MB = 1_000_000;
const tiny = assignment('tiny-sum');
// Room for 200 MB of JS heap; no hidden check (it would build each transient a second time),
// and no explanation: these peaks are mostly heap, whose holders a replay would take a heap
// snapshot for (tests/engine/tutorial.test.ts tests that), and this is about the peak alone.
const roomy = {
  ...tiny,
  manifest: {
    ...tiny.manifest,
    hidden_check: undefined,
    limits: { ...tiny.manifest.limits, memory_cap_mb: 1024, timeout_ms: 20_000, cpu_time_ms: 40_000, explain_ms: 0 },
  },
};
const sandbox = new SandboxProcess();
after(() => sandbox.close());

const SHAPES: Record<string, (mb: number) => string> = {
  'a plain array from Array.from': (mb) => `const a = Array.from({ length: ${(mb * MB) / 8} }, (_, i) => i); return a.length;`,
  'a plain array filled by a loop': (mb) => `const a = []; for (let i = 0; i < ${(mb * MB) / 8}; i++) a.push(i); return a.length;`,
  'a flat string': (mb) => `const s = 'x'.repeat(${mb * MB}); return s.indexOf('y');`,
  'objects made in a loop': (mb) => `const all = []; for (let i = 0; i < ${(mb * MB) / 32}; i++) all.push({ i }); return all.length;`,
};

const CASES: [string, number][] = [
  ['a plain array from Array.from', 50],
  ['a plain array from Array.from', 200],
  ['a plain array filled by a loop', 50],
  ['a flat string', 50],
  ['a flat string', 200],
  ['objects made in a loop', 50],
  ['objects made in a loop', 200],
];

describe('a transient on the JS heap counts toward the peak', () => {
  for (const [shape, mb] of CASES) {
    test(`${shape}, ${mb} MB`, async () => {
      const code =
        `function transient() { ${SHAPES[shape](mb)} }\n` +
        'function process_data() { transient(); let d = load(SIZE); d = double_it(d); return double_it(d); }';
      const r = await grade(roomy, code, sandbox);
      assert.equal(r.reason, 'memory_limit', r.message);
      assert.ok(r.peak_heap_bytes! >= 0.9 * mb * MB, `peak heap ${r.peak_heap_bytes}`);
      assert.ok(r.timeline.some((t) => t.reason === 'heap'), 'a look at the heap found it');
    });
  }
});

// A typed array made into a string inside one call, the string dropped within the statement:
// String(u8) and `${u8}` call Array.prototype.toString, which calls the typed arrays' own
// join. 25 MB of zeros make a 50 MB string ("0,0,...").
const STRINGIFIED: Record<string, string> = {
  'String(u8)': 'String(u8).length',
  'a template literal': '`${u8}`.length',
  "u8.join(',')": "u8.join(',').length",
};
describe('a typed array made into a string and dropped within the call counts toward the peak', () => {
  for (const [shape, expression] of Object.entries(STRINGIFIED)) {
    test(shape, async () => {
      const code =
        `function transient() { const u8 = new Uint8Array(${25 * MB}); return ${expression}; }\n` +
        'function process_data() { transient(); let d = load(SIZE); d = double_it(d); return double_it(d); }';
      const r = await grade(roomy, code, sandbox);
      assert.equal(r.reason, 'memory_limit', r.message);
      assert.ok(r.peak_heap_bytes! >= 0.99 * 50 * MB, `peak heap ${r.peak_heap_bytes}`);
      assert.ok(r.peak_bytes! >= 0.99 * 75 * MB, `peak ${r.peak_bytes}`);
    });
  }
});

// Made and dropped inside one call of a built-in, with nothing of the harness's running: a
// spread of 25 million numbers (200 MB, and more while its store grows) and a Set of 5 million.
// V8's own full collections run as the heap grows; each one marks what is reachable, and the
// native reader hands the largest figure to the next sample ("collector").
const INSIDE_A_BUILT_IN: Record<string, [string, number]> = {
  'a spread': ['[...Array(25000000).keys()].length', 200],
  'a Set made from an iterator': ['new Set(Array(5000000).keys()).size', 50],
};
describe('a transient made and dropped inside one call of a built-in is found by V8\'s own collector', () => {
  for (const [shape, [expression, mb]] of Object.entries(INSIDE_A_BUILT_IN)) {
    test(shape, async (t) => {
      const code =
        `function transient() { return ${expression}; }\n` +
        'function process_data() { transient(); let d = load(SIZE); d = double_it(d); return double_it(d); }';
      const r = await grade(roomy, code, sandbox);
      if (r.measurement.heap_figure !== 'data_spaces') {
        t.skip('no native heap-space reader here (no C++ compiler at install): only samples see the heap');
        return;
      }
      assert.equal(r.reason, 'memory_limit', r.message);
      assert.ok(r.peak_heap_bytes! >= mb * MB, `peak heap ${r.peak_heap_bytes}`);
      assert.equal(r.timeline.find((s) => s.live_bytes === r.peak_bytes)?.reason, 'collector');
      assert.equal(r.peak_step, 'process_data', 'the step running when V8 collected');
    });
  }
});

