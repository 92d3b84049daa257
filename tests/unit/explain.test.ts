// The explanation a student reads: who held each allocation at the peak, the hint drawn from
// the holder's kind, and the summary in the exercise's own unit (tiny-sum: "1 MB array").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explain } from '../../src/grading/explain.ts';
import type { HeapHolderRecord, HolderRecord, PeakHolders } from '../../src/sandbox-host/types.ts';
import { allocation, CODE, HELPERS_FILE, HOLDERS, holder, MiB, report, tiny } from './records.ts';

/** The hint for one 1 MiB allocation (id 1) held by `holders`, at a peak in double_it. */
function hint(holders: HolderRecord[], code = CODE): string | null {
  const held: PeakHolders = { status: 'complete', held: [{ id: 1, holders }], frames: [], heap: [] };
  return explain(tiny, code, report({ live_at_peak: [allocation()] }), held).live_at_peak[0].hint;
}

describe('hints', () => {
  test('a local of the submission: the last line that reads it, and what to do', () => {
    assert.equal(
      hint([holder()]),
      '`d` is not read after line 3 but still holds 1.0 MiB at the peak in double_it: ' +
        'reassign one variable at each step, or drop the reference once it is used',
    );
  });

  test('a parameter never mentioned in the code gets the hint without a line', () => {
    assert.equal(
      hint([holder({ name: 'input', kind: 'parameter' })]),
      '`input` still holds 1.0 MiB at the peak in double_it: reassign one variable at each step, or drop the reference once it is used',
    );
  });

  test('a mention is a whole name: `d` is not found in `double_it` or `x.d`', () => {
    assert.match(hint([holder()], 'const d = load(SIZE);\nreturn double_it(x.d, dd, d$);') ?? '', /after line 1 but/);
  });

  test('closures, top-level bindings, properties and temporaries each get their own advice', () => {
    assert.equal(
      hint([holder({ name: 'cache', kind: 'closure' })]),
      '`cache`, captured by a closure, still holds 1.0 MiB at the peak in double_it: a closure keeps what it captures alive as long as the closure lives',
    );
    assert.equal(
      hint([holder({ name: 'data', kind: 'global', function: '(top level)', file: null, line: null })]),
      'the top-level `data` holds 1.0 MiB for the whole run at the peak in double_it: keep the array local to process_data, or set it to null once used',
    );
    assert.match(hint([holder({ name: 'data', kind: 'module', file: null })]) ?? '', /^the top-level `data` holds/);
    assert.match(hint([holder({ name: 'state.data', kind: 'property' })]) ?? '', /^the property `state.data` still holds 1\.0 MiB at the peak in double_it: .*delete the property/);
    assert.match(
      hint([holder({ name: 'the argument of double_it', kind: 'temporary' })]) ?? '',
      /^the argument of double_it holds 1\.0 MiB at the peak in double_it: V8 keeps the argument of a nested call in a register until process_data returns;/,
    );
  });

  test('no hint for the allocation being made, nor when nothing holds it', () => {
    assert.equal(hint([holder({ kind: 'new', name: 'the array being allocated' })]), null);
    assert.equal(hint([]), null);
  });

  test("no hint when a helper's frame also holds it: it is that step's input or output", () => {
    assert.equal(hint([holder({ name: 'arr', kind: 'parameter', function: 'double_it', file: HELPERS_FILE }), holder()]), null);
  });

  test('without a peak step, the hint says "at the peak" only', () => {
    const held: PeakHolders = { status: 'complete', held: [{ id: 1, holders: [holder({ name: 'c', kind: 'closure' })] }], frames: [], heap: [] };
    const [a] = explain(tiny, CODE, report({ peak_step: null, live_at_peak: [allocation()] }), held).live_at_peak;
    assert.match(a.hint ?? '', /still holds 1\.0 MiB at the peak: a closure/);
  });
});

describe('the allocations alive at the peak', () => {
  test('largest first, ties by id; holders matched by id', () => {
    const live = [allocation({ id: 3, bytes: MiB }), allocation({ id: 1, bytes: MiB }), allocation({ id: 2, bytes: 3 * MiB })];
    const held: PeakHolders = { status: 'complete', held: [{ id: 1, holders: [holder()] }], frames: [], heap: [] };
    const out = explain(tiny, CODE, report({ live_at_peak: live }), held).live_at_peak;
    assert.deepEqual(out.map((a) => a.id), [2, 1, 3]);
    assert.deepEqual(out.map((a) => a.holders.length), [0, 1, 0]);
  });

  test('eight holders are listed, the rest counted', () => {
    const many = Array.from({ length: 11 }, (_, i) => holder({ name: `v${i}` }));
    const held: PeakHolders = { status: 'complete', held: [{ id: 1, holders: many }], frames: [], heap: [] };
    const [a] = explain(tiny, CODE, report({ live_at_peak: [allocation()] }), held).live_at_peak;
    assert.deepEqual(a.holders.map((h) => h.name), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
    assert.equal(a.holders_omitted, 3);
  });
});

describe('the summary', () => {
  test('counts in the unit of the exercise, and says what the limit holds and what is possible', () => {
    const { explanation } = explain(tiny, CODE, report(), HOLDERS);
    assert.deepEqual(explanation, {
      status: 'complete',
      reason: null,
      summary:
        '2 allocations were alive at the peak (2.1 x 1 MB array); the limit holds 2 x 1 MB array, and the exercise can be done in 1.9 MiB (2 x 1 MB array).',
      lower_bound_bytes: 2_000_000,
      heap_holders: [],
    });
  });

  test('one allocation is singular; missing holders keep their reason and leave no hints', () => {
    const missing: PeakHolders = { status: 'missing', reason: 'the replay ran out of time' };
    const out = explain(tiny, CODE, report({ live_at_peak: [allocation()], peak_external_bytes: MiB }), missing);
    assert.match(out.explanation!.summary, /^1 allocation was alive at the peak \(1 x 1 MB array\);/);
    assert.equal(out.explanation!.status, 'missing');
    assert.equal(out.explanation!.reason, 'the replay ran out of time');
    assert.deepEqual([out.live_at_peak[0].holders, out.live_at_peak[0].hint], [[], null]);
  });
});

describe('who keeps the JS heap', () => {
  const heapHolder = (overrides: Partial<HeapHolderRecord>): HeapHolderRecord => ({
    name: 'output',
    kind: 'local',
    function: 'fibonacci',
    file: 'submission.js',
    line: 8,
    path: '',
    bytes: 3 * MiB,
    ...overrides,
  });
  const heapHints = (heap: HeapHolderRecord[]) =>
    explain(tiny, CODE, report(), { status: 'complete', held: [], frames: [], heap }).explanation?.heap_holders.map((h) => h.hint) ?? [];

  test('a local: make the values one at a time; a class or a closure: keep it with its object; the stack: pass them lazily', () => {
    const [local, top, temporary, helper] = heapHints([
      heapHolder({}),
      heapHolder({ name: 'Algorithms', kind: 'global', function: '(top level)', file: null, line: null, path: '.prototype.f <closure memo>' }),
      heapHolder({ name: 'a temporary of main', kind: 'temporary', function: 'main', path: ' (3 Array)' }),
      heapHolder({ file: HELPERS_FILE }),
    ]);
    assert.match(local ?? '', /^`output`, a local of fibonacci, keeps 3\.0 MiB alive: .*\(a generator/);
    assert.match(top ?? '', /^the top-level `Algorithms` keeps 3\.0 MiB alive through `Algorithms\.prototype\.f <closure memo>` .*an instance field/);
    assert.match(temporary ?? '', /^values passed between calls in main keep 3\.0 MiB alive/);
    assert.equal(helper, null, "a holder in the helpers' code is not the student's to change");
  });
});

