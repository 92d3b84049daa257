// What a manifest can ask of the harness, on an assignment made here: the entry point's
// arguments (entry_args), steps that are the submission's own functions, methods and generators
// (and `new` on a step), the check handed the submission's bindings (check_uses), and a hidden
// setup that runs before the globals are read, so that the hidden run gets other arguments.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadAssignment, type Assignment, type Manifest } from '../../src/grading/assignments.ts';
import { grade } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';
import { assignment as loaded } from '../support.ts';

/** Helpers whose check reports what it was given: the result, and what it learnt of `uses`. */
const HELPERS = `
let SIZE = 1000;
function load(n) {
  return new Uint8Array(n);
}
function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}
function Tally(iterable) {
  let total = 0;
  for (const x of iterable) total += x;
  return { total };
}
let hidden = false;
function hidden_setup(seed) {
  hidden = true;
  SIZE = 2000 + (seed % 1000);
}
const describe = (uses) => {
  const names = Object.keys(uses).sort();
  return names.map((name) => name + ':' + typeof uses[name]).join(' ');
};
function check(result, uses) {
  let called = '';
  try {
    called = uses.arrow(41) + ' ' + new uses.Own(2).data.length;
  } catch (error) {
    called = String(error);
  }
  const message = result + ' | ' + describe(uses) + ' | ' + called + (hidden ? ' | hidden' : '');
  return { correct: typeof result === 'string', message, first_bad_index: null };
}
`;

const tiny = loaded('tiny-sum');
const manifest = (overrides: Partial<Manifest>): Assignment => ({
  ...tiny,
  helpersSource: HELPERS,
  helpersFile: 'made-here/helpers.js',
  manifest: {
    ...tiny.manifest,
    id: 'made-here',
    globals: ['SIZE', 'load', 'numbers', 'Tally'],
    steps: ['load'],
    check: 'check',
    hidden_check: { setup: 'hidden_setup' },
    ...overrides,
  },
});

const sandbox = new SandboxProcess();
after(() => sandbox.close());
const stepsOf = (r: GradeResult) => Object.fromEntries(r.steps.map((s) => [s.name, s]));

describe('entry_args', () => {
  const code = `function process_data(size, seven, yes, nothing, literal) {
    return [size, SIZE, seven, yes, nothing, literal[0], literal[1].b].join(',');
  }`;

  test('the entry point is called with globals by name and literals', async () => {
    const a = manifest({ entry_args: ['SIZE', 7, true, null, { value: ['a', { b: 2 }] }] });
    const r = await grade(a, code, sandbox);
    assert.equal(r.status, 'passed', r.message);
    assert.match(r.check?.message ?? '', /^1000,1000,7,true,,a,2 \| /);
  });

  test('the hidden setup runs before the globals are read: the hidden run gets other arguments', async () => {
    const a = manifest({ entry_args: ['SIZE', 7, true, null, { value: ['a', { b: 2 }] }] });
    const r = await grade(a, code, sandbox);
    const hidden = /^(\d+),(\d+),7,true,,a,2 \| .* \| hidden$/.exec(r.hidden_check?.message ?? '');
    assert.ok(hidden, r.hidden_check?.message);
    assert.ok(Number(hidden[1]) >= 2000, 'the hidden size');
    assert.equal(hidden[2], hidden[1], 'the global SIZE is the hidden one too');
  });

  test('a name that is not among the globals is refused when the assignment loads', () => {
    const root = mkdtempSync(join(tmpdir(), 'memgrade-manifest-'));
    cpSync(tiny.dir, join(root, 'tiny-sum'), { recursive: true });
    const path = join(root, 'tiny-sum', 'manifest.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), entry_args: ['SIZE', 'WIDTH'] }));
    assert.throws(() => loadAssignment(join(root, 'tiny-sum')), /entry argument WIDTH is not among the globals/);
  });
});

describe("steps that are the submission's own", () => {
  const steps = ['load', 'Tally', 'numbers', 'own', 'Own', 'Own.prototype.fill', 'ownGen', 'arrow', 'missing'];
  const code = `function own(n) { return load(n); }
class Own {
  constructor(n) { this.data = own(n); }
  fill(v) { this.data.fill(v); return this; }
  static make(n) { return new Own(n); }
}
function* ownGen(n) {
  const scratch = new Uint8Array(4096);
  for (let i = 0; i < n; i++) yield i + scratch[0];
}
const arrow = (x) => x + 1;
function process_data() {
  const box = Own.make(SIZE).fill(2);
  const t = new Tally(ownGen(10));
  const u = Tally(numbers(5));
  class Sub extends Own { constructor() { super(3); } }
  const s = new Sub();
  const made = new load(4);
  return [t.total, u.total, box.data[0], box instanceof Own, s instanceof Own, s instanceof Sub, s.data.length, arrow(1), made.length].join(',');
}`;

  test('functions, a const arrow, a class (with new, statics and a subclass), a method and a generator', async () => {
    const r = await grade(manifest({ steps, check_uses: ['Own', 'arrow', 'process_data', 'nowhere'] }), code, sandbox);
    assert.equal(r.status, 'passed', r.message);
    assert.match(r.check?.message ?? '', /^45,10,2,true,true,true,3,2,4 \| /);
    const s = stepsOf(r);
    assert.deepEqual(
      steps.map((name) => [name, s[name]?.calls]),
      [
        ['load', 3],
        ['Tally', 2],
        ['numbers', 1],
        ['own', 2],
        // Own.make's `new Own` names the class from inside its own body, where the name is the
        // class's own binding, not the wrapper: only Sub's super(3) is counted.
        ['Own', 1],
        ['Own.prototype.fill', 1],
        ['ownGen', 1],
        ['arrow', 1],
        ['missing', 0],
      ],
    );
    // The generator's body runs while Tally drives it: its allocation is its own, not Tally's.
    assert.equal(s.ownGen.allocated_bytes, 4096);
    assert.equal(s.Tally.allocated_bytes, 0);
    assert.ok(s.ownGen.duration_ms <= s.Tally.duration_ms);
  });

  test("the check is handed the submission's bindings it names, undefined for one it lacks", async () => {
    const r = await grade(manifest({ steps, check_uses: ['Own', 'arrow', 'process_data', 'nowhere'] }), code, sandbox);
    assert.match(r.check?.message ?? '', / \| Own:function arrow:function nowhere:undefined process_data:function \| 42 2$/);
    assert.match(r.hidden_check?.message ?? '', / \| Own:function arrow:function nowhere:undefined process_data:function \| 42 2 \| hidden$/);
  });

  test("an ES module's exports reach the check; its own functions are not rebound", async () => {
    const module = `export const arrow = (x) => x + 1;
export class Own { constructor(n) { this.data = load(n); } }
export function process_data() { return String(arrow(1) + new Own(1).data.length); }`;
    const r = await grade(manifest({ steps: ['load', 'arrow'], check_uses: ['Own', 'arrow', 'process_data', 'nowhere'] }), module, sandbox);
    assert.equal(r.status, 'passed', r.message);
    assert.match(r.check?.message ?? '', /^3 \| Own:function arrow:function nowhere:undefined process_data:function \| 42 2$/);
    assert.equal(stepsOf(r).arrow.calls, 0);
    assert.equal(stepsOf(r).load.calls, 1);
  });

  test('a step called in a loop leaves exact samples to the steps after it', async () => {
    const looped = `function process_data() {
  let n = 0;
  for (let i = 0; i < 1000; i++) n += Tally([i]).total;
  const d = load(SIZE * 1000);
  return String(n + d.length);
}`;
    const r = await grade(manifest({ steps: ['Tally', 'load'] }), looped, sandbox);
    const s = stepsOf(r);
    assert.equal(s.Tally.calls, 1000);
    // The first 8 calls, then the 16th, 32nd... 512th: 14 samples, not 1,000.
    assert.equal(r.timeline.filter((t) => t.reason === 'return:Tally').length, 14);
    assert.ok(s.load.live_after_bytes >= 1_000_000, `load's live after: ${s.load.live_after_bytes}`);
  });
});
