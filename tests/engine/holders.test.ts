// Who holds each allocation at the peak, read from V8's inspector on a replay: the tutorial's
// own list, closures, globals, object properties and V8's nested-call temporaries.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { grade } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import { SandboxProcess } from '../../src/sandbox-host/sandbox-process.ts';
import { assignment, Grader } from '../support.ts';

const grader = new Grader();
after(() => grader.close());

const holdersOf = (r: GradeResult, step: string) => r.live_at_peak.find((a) => a.step === step)?.holders ?? [];
const tiny = (code: string) => grader.grade('tiny-sum', code);

describe('holders at the peak', () => {
  test('the original exercise: the tutorial\'s list, in data and in words', async () => {
    const a = assignment('clinging-onto-memory');
    const r = await grader.grade(a.manifest.id, readFileSync(join(a.dir, 'solutions', 'original.js'), 'utf8'));
    assert.equal(r.explanation?.status, 'complete', r.explanation?.reason ?? '');
    assert.deepEqual(holdersOf(r, 'subtract_scalar').map((h) => [h.name, h.kind, h.function]), [['data', 'local', 'process_data']]);
    assert.deepEqual(holdersOf(r, 'raise_to_power').map((h) => [h.name, h.kind, h.function]), [['data_pow', 'local', 'process_data']]);
    assert.ok(
      holdersOf(r, 'duplicate_data').some((h) => h.name === 'data' && h.kind === 'parameter' && h.function === 'add_scalar'),
      JSON.stringify(holdersOf(r, 'duplicate_data')),
    );
    assert.deepEqual(holdersOf(r, 'add_scalar').map((h) => h.kind), ['new']);
    const hints = Object.fromEntries(r.live_at_peak.map((l) => [l.step, l.hint]));
    assert.match(hints.raise_to_power!, /`data_pow` is not read after line 7 but still holds 95\.4 MiB at the peak in add_scalar/);
    assert.match(hints.subtract_scalar!, /`data` is not read after line 6/);
    assert.equal(hints.duplicate_data, null);
    assert.equal(hints.add_scalar, null);
    assert.match(r.explanation.summary, /4 allocations were alive at the peak \(4 x 100 MB array\).*done in 190\.7 MiB \(2 x 100 MB array\)/);
  });

  test('a variable captured by a closure on the stack is named as a closure', async () => {
    const r = await tiny(`function process_data() {
      const original = load(SIZE);
      const run = () => { let d = double_it(original); d = double_it(d); return d; };
      return run();
    }`);
    const holders = holdersOf(r, 'load');
    assert.ok(holders.some((h) => h.name === 'original' && h.kind === 'closure' && h.function === 'run'), JSON.stringify(holders));
    assert.ok(holders.some((h) => h.name === 'original' && h.kind === 'local' && h.function === 'process_data'));
  });

  test('a top-level variable and an object property are named as such', async () => {
    const r = await tiny(`let cache = null;
    const state = { runs: 0 };
    function process_data() {
      let d = load(SIZE);
      cache = d;
      d = double_it(d);
      state.last = d;
      d = double_it(d);
      return d;
    }`);
    assert.equal(r.status, 'failed');
    const first = holdersOf(r, 'load');
    assert.deepEqual(first.map((h) => [h.name, h.kind, h.function]), [['cache', 'global', '(top level)']]);
    const byDouble = r.live_at_peak.filter((a) => a.step === 'double_it').flatMap((a) => a.holders);
    assert.ok(byDouble.some((h) => h.name === 'state.last' && h.kind === 'property'), JSON.stringify(byDouble));
    const hint = r.live_at_peak.find((a) => a.step === 'load')!.hint!;
    assert.match(hint, /the top-level `cache` holds 1\.0 MiB for the whole run/);
  });

  test('nested calls: what no binding holds is a temporary of the calling function', async () => {
    const r = await tiny('function process_data() {\n  return double_it(double_it(load(SIZE)));\n}');
    assert.equal(r.peak_external_bytes, 3_000_000, 'V8 keeps the intermediate alive');
    const temporaries = r.live_at_peak.flatMap((a) => a.holders).filter((h) => h.kind === 'temporary');
    assert.ok(temporaries.length >= 1, JSON.stringify(r.live_at_peak));
    assert.deepEqual([temporaries[0].name, temporaries[0].function, temporaries[0].line], ['a temporary of process_data', 'process_data', 2]);
    assert.ok(r.live_at_peak.some((a) => /nested call/.test(a.hint ?? '')));
  });

  test('a debugger statement of the submission does not disturb the explanation', async () => {
    const r = await tiny('function process_data() { debugger; const d = load(SIZE); debugger; const e = double_it(d); return double_it(e); }');
    assert.equal(r.explanation?.status, 'complete');
    assert.deepEqual(holdersOf(r, 'load').map((h) => h.name), ['d']);
  });

  test('past its own budget the explanation is missing, with why, and the grade stands', async () => {
    const base = assignment('tiny-sum');
    const hurried = { ...base, manifest: { ...base.manifest, limits: { ...base.manifest.limits, explain_ms: 1 } } };
    const sandbox = new SandboxProcess();
    try {
      const r = await grade(hurried, 'function process_data() { let d = load(SIZE); d = double_it(d); return double_it(d); }', sandbox);
      assert.equal(r.status, 'passed', r.message);
      assert.equal(r.explanation?.status, 'missing');
      assert.match(r.explanation?.reason ?? '', /ran past its 1 ms budget/);
      assert.ok(r.live_at_peak.every((a) => a.holders.length === 0));
    } finally {
      await sandbox.close();
    }
  });
});
