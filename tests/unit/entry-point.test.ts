// Nothing assumes process_data: the words a student reads name the assignment's own entry point
// and count in its own unit. tiny-sum's entry point is process_data; here the same made-up
// results are read as another assignment's, with another entry point and a KB unit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explain } from '../../src/grading/explain.ts';
import type { PeakHolders } from '../../src/sandbox-host/types.ts';
import { htmlReport } from '../../src/report/html-report.ts';
import { allocation, CODE, holder, overLimit, passed, report, tiny } from './records.ts';

/** tiny-sum as an exercise of the JS heap: another entry point, counted in KB, limited to 100 KB. */
const HEAP = {
  ...tiny,
  manifest: {
    ...tiny.manifest,
    entry_point: 'generate_fibonacci_hash',
    unit: { name: '1 KB', bytes: 1024 },
    lower_bound_bytes: 9048,
    limits: { ...tiny.manifest.limits, peak_bytes: 102_400 },
  },
};
const NONE: PeakHolders = { status: 'complete', held: [], frames: [], heap: [] };

describe('the entry point of the manifest, not process_data', () => {
  test("the report page's verdict names it", () => {
    const headline = (html: string) => /<h1 id="verdict">(.*?)<\/h1>/.exec(html)?.[1];
    assert.match(headline(htmlReport(passed(), HEAP)) ?? '', /^Passed: generate_fibonacci_hash peaked at /);
    assert.match(headline(htmlReport(overLimit(), HEAP)) ?? '', /^Not yet: generate_fibonacci_hash peaked at /);
    const wrong = { ...passed(), status: 'failed' as const, reason: 'wrong_result' as const };
    assert.equal(headline(htmlReport(wrong, HEAP)), 'Not yet: generate_fibonacci_hash ran, but its result is not the expected one.');
  });

  test('the hint for a top-level binding names it', () => {
    const global = holder({ name: 'data', kind: 'global', file: null, line: null });
    const held: PeakHolders = { status: 'complete', held: [{ id: 1, holders: [global] }], frames: [], heap: [] };
    const [a] = explain(HEAP, CODE, report({ live_at_peak: [allocation()] }), held).live_at_peak;
    assert.match(a.hint ?? '', /: keep the array local to generate_fibonacci_hash, or set it to null once used$/);
  });
});

describe("the summary counts in the exercise's unit", () => {
  test('a peak of JS heap is counted whole, in KB', () => {
    const heapOnly = report({ peak_bytes: 74_640, peak_external_bytes: 0, peak_heap_bytes: 74_640, live_at_peak: [] });
    assert.equal(
      explain(HEAP, CODE, heapOnly, NONE).explanation?.summary,
      '72.9 KiB was alive at the peak (72.9 x 1 KB); the limit holds 100 x 1 KB, and the exercise can be done in 8.8 KiB (8.8 x 1 KB).',
    );
  });

  test('a peak of ArrayBuffers is counted as the allocations listed, as before', () => {
    assert.match(explain(tiny, CODE, report(), NONE).explanation?.summary ?? '', /^2 allocations were alive at the peak \(2\.1 x 1 MB array\);/);
  });
});
