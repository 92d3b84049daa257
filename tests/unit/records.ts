// Made-up records for the unit tier, in one place: an isolate report, allocations, holders and
// results as the sandbox would send them, without running one. The assignment is the test-only
// tiny-sum fixture (read from disk, nothing run), whose figures the tests' numbers follow:
// limit 2,500,000 bytes, partial credit down to 4,000,000, unit "1 MB array" of 1,000,000 bytes.
import { join } from 'node:path';
import { loadAssignments, type Assignment } from '../../src/grading/assignments.ts';
import { verdict } from '../../src/grading/grade.ts';
import type { GradeResult } from '../../src/grading/result.ts';
import type { AllocationRecord, HolderRecord, IsolateReport, PeakHolders, RunOutcome } from '../../src/sandbox-host/types.ts';

export const tiny: Assignment = loadAssignments([join(import.meta.dirname, '..', 'fixtures', 'assignments')]).get('tiny-sum')!;

export const HELPERS_FILE = 'tiny-sum/helpers.js';
export const MiB = 1024 * 1024;

/** A submission whose `d` is last read on line 3, for hints that quote line numbers. */
export const CODE = ['function process_data() {', '  const d = load(SIZE);', '  const e = double_it(d);', '  return double_it(e);', '}'].join('\n');

export function allocation(overrides: Partial<AllocationRecord> = {}): AllocationRecord {
  return {
    id: 1,
    step: 'load',
    site: `load (${HELPERS_FILE}:4)`,
    function: 'load',
    file: HELPERS_FILE,
    line: 4,
    bytes: MiB,
    born_seq: 1,
    died_seq: null,
    ...overrides,
  };
}

export function holder(overrides: Partial<HolderRecord> = {}): HolderRecord {
  return { name: 'd', kind: 'local', function: 'process_data', file: 'submission.js', line: 3, ...overrides };
}

/**
 * A correct run that peaked in double_it with two 1 MiB buffers alive; the heap share and the
 * timeline's last sample follow `peak_bytes` (2,400,000 unless overridden).
 */
export function report(overrides: Partial<IsolateReport> = {}): IsolateReport {
  const peak = overrides.peak_bytes ?? 2_400_000;
  const made = allocation({ id: 2, step: 'double_it', site: `double_it (${HELPERS_FILE}:9)`, function: 'double_it', line: 9, born_seq: 2 });
  const live = [allocation({ id: 1 }), made];
  return {
    outcome: 'returned',
    error: null,
    check: { correct: true, message: 'all 1000 values match', first_bad_index: null },
    peak_bytes: peak,
    peak_external_bytes: 2 * MiB,
    peak_heap_bytes: peak - 2 * MiB,
    peak_seq: 2,
    peak_mark: { ticks: 10, allocations: 2, reason: 'allocation' },
    peak_step: 'double_it',
    cap_hit: false,
    cap_request_bytes: 0,
    gc_count: 4,
    liveness_reads: 3,
    heap_checks: 1,
    liveness_failures: 0,
    tolerance_bytes: 0,
    heap_figure: 'data_spaces',
    measure_ms: 1.5,
    run_ms: 9,
    steps: [
      { name: 'load', calls: 1, allocated_bytes: MiB, peak_live_bytes: MiB, live_after_bytes: MiB, duration_ms: 2 },
      { name: 'double_it', calls: 2, allocated_bytes: 2 * MiB, peak_live_bytes: 2 * MiB, live_after_bytes: 2 * MiB, duration_ms: 3 },
    ],
    live_at_peak: live,
    allocations: live,
    timeline: [
      { seq: 0, t_ms: 0, live_bytes: 0, external_bytes: 0, heap_bytes: 0, step: 'process_data', reason: 'start' },
      { seq: 1, t_ms: 1, live_bytes: MiB, external_bytes: MiB, heap_bytes: 0, step: 'load', reason: 'allocation' },
      { seq: 2, t_ms: 2, live_bytes: peak, external_bytes: 2 * MiB, heap_bytes: peak - 2 * MiB, step: 'double_it', reason: 'allocation' },
    ],
    ...overrides,
  };
}

/** `d` (line 3 of CODE) holds the first buffer; the second is the one being made. */
export const HOLDERS: PeakHolders = {
  status: 'complete',
  held: [
    { id: 1, holders: [holder()] },
    { id: 2, holders: [holder({ name: 'the array being allocated', kind: 'new', function: 'double_it', file: HELPERS_FILE, line: 9 })] },
  ],
  frames: [{ function: 'process_data', file: 'submission.js', line: 3 }],
  heap: [],
};

export function reportOutcome(overrides: Partial<IsolateReport> = {}, hidden: { correct: boolean; message: string } | null = null): RunOutcome {
  return { kind: 'report', report: report(overrides), holders: HOLDERS, hidden };
}

/** What the graders would store for a run over the limit: failed, memory_limit, 1.5 of 2 points. */
export function overLimit(): GradeResult {
  return verdict(tiny, reportOutcome({ peak_bytes: 3_250_000 }), 12, CODE);
}

export function passed(): GradeResult {
  return verdict(tiny, reportOutcome(), 12, CODE);
}
