// The runs of one job, in this process (the sandbox process): up to three runs of the
// submission, each in a fresh isolate (fresh-isolate-run.ts):
// - the measured run, which also reads who holds what at each new peak (up to MAX_HOLDER_READS);
// - the hidden check, a small run on input the submission cannot predict, when the assignment
//   has one: a submission that returns a hard-coded answer fails it;
// - a replay that pauses at the peak, when the measured run could not read its holders (the
//   peak rose more often than it reads, or a read failed), or when the peak is mostly JS heap
//   (1 MiB or more of it): the replay then also takes a heap snapshot there, to learn which
//   variables keep the heap alive (heap-holders.ts), which the measured run cannot afford at
//   every new peak.
// The verdict needs the first two only: `onMeasured` hands it out before a replay starts.
import { randomInt } from 'node:crypto';
import type { PausedState } from './holders.ts';
import { instrument, type Instrumented } from './instrument.ts';
import { runInFreshIsolate, type IsolateRunResult } from './fresh-isolate-run.ts';
import { SUBMISSION_FILE } from './constants.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import type { Timeline } from './timings.ts';
import {
  MAX_HOLDERS_SENT,
  type HeapHolderRecord,
  type HiddenCheck,
  type HolderRecord,
  type IsolateReport,
  type PeakHolders,
  type PeakSoFar,
  type RunOutcome,
  type SandboxJob,
} from './types.ts';

/** Peaks at which the measured run reads who holds what; past them, a replay reads the last. */
const MAX_HOLDER_READS = 24;
/** A peak with at least this much JS heap, and more heap than ArrayBuffers, has its heap explained. */
const HEAP_HOLDERS_MIN_BYTES = 1024 * 1024;

interface JobRunHooks {
  /** Called whenever the exact live figure reaches a new high, so a parent can keep it. */
  onPeak?: (peak: PeakSoFar) => void;
  /** Called with everything the verdict needs, before a replay explains the peak. */
  onMeasured?: (outcome: RunOutcome) => void;
  /** Where the job's time goes, run by run (bench:cli). */
  timeline?: Timeline;
}

/**
 * Set when a run left isolated-vm in a state this process should not run another isolate in
 * (an isolate it disposed itself, a session it could not close): the child then asks its parent
 * to replace it once the result is out.
 */
let recycleAfterRun = false;

/** Whether this process should be replaced; reading it starts the next run afresh. */
export function takeRecycle(): boolean {
  const value = recycleAfterRun;
  recycleAfterRun = false;
  return value;
}

const noted = (result: IsolateRunResult) => {
  if (result.recycle) recycleAfterRun = true;
  return result;
};

/** Runs the job: the measured run, the hidden check, and a replay when one is needed (above). */
export async function runJob(job: SandboxJob, hooks: JobRunHooks = {}): Promise<RunOutcome> {
  // The submission's own functions that are steps are rebound to their wrappers once it loaded.
  const ownSteps = job.steps.filter((step) => !step.includes('.') && !job.helpers.globals.includes(step));
  const transformed = instrument(job.code, ownSteps);
  // The message quotes a name of the submission's.
  if (transformed.ok === false) return { kind: 'invalid', message: cutText(transformed.message, TEXT_LIMITS.message) };
  const instrumented = transformed.ok === true ? transformed.instrumented : null;
  const explaining = job.limits.explainMs > 0;
  const first = noted(
    await runInFreshIsolate(job, {
      explain: explaining ? { mode: 'peaks', maxPauses: MAX_HOLDER_READS } : { mode: 'off' },
      explainBudgetMs: job.limits.explainMs,
      onPeak: hooks.onPeak,
      instrumented,
      timeline: hooks.timeline?.under('measured.'),
    }),
  );
  if (first.measured.kind !== 'report') return first.measured;
  const { report } = first.measured;
  const hidden = await hiddenCheck(job, report, instrumented, hooks.timeline?.under('hidden.'));
  if (!explaining) {
    return { kind: 'report', report, hidden, holders: { status: 'missing', reason: 'the explanation is turned off for this assignment' } };
  }
  if (report.peak_mark.reason === 'collector') {
    const reason = "the peak was found by V8's own collector, inside a call the run cannot pause in (a built-in's)";
    return { kind: 'report', report, hidden, holders: { status: 'missing', reason } };
  }
  const read = first.paused.get(report.peak_seq);
  const onHeap = report.peak_heap_bytes >= HEAP_HOLDERS_MIN_BYTES && report.peak_heap_bytes > report.peak_external_bytes;
  if (!onHeap && (read !== undefined || report.live_at_peak.length === 0)) {
    return { kind: 'report', report, hidden, holders: holdersAtPeak(job, report, read, []) };
  }
  const why = onHeap ? 'the peak is mostly JS heap' : (first.explainFailure ?? `the peak rose more than ${MAX_HOLDER_READS} times`);
  hooks.onMeasured?.({ kind: 'report', report, hidden, holders: { status: 'missing', reason: `${why}; a replay was not finished` } });
  return { kind: 'report', report, hidden, holders: await replayToPeak(job, report, why, onHeap, instrumented, hooks.timeline?.under('replay.')) };
}

/**
 * Runs the submission again with the inspector on, pauses at the sample that was the peak (the
 * run is deterministic: same clock, same random numbers, so the same allocation is the same
 * sample) and reads every frame's scopes, and with `onHeap` a heap snapshot. Its own time
 * budget; the grade stands whatever happens here.
 */
async function replayToPeak(
  job: SandboxJob,
  report: IsolateReport,
  why: string,
  onHeap: boolean,
  instrumented: Instrumented | null,
  timeline: Timeline | undefined,
): Promise<PeakHolders> {
  const budget = job.limits.explainMs;
  const replay = noted(
    await runInFreshIsolate(
      { ...job, limits: { ...job.limits, timeoutMs: budget } },
      {
        explain: { mode: 'at', external: report.peak_external_bytes, ...report.peak_mark },
        explainBudgetMs: budget,
        instrumented,
        timeline,
        heapHolders: onHeap ? { heapBytes: report.peak_heap_bytes } : undefined,
      },
    ),
  );
  // The replay numbers its samples its own way: its one read is the peak's.
  const read = [...replay.paused.values()][0];
  if (read !== undefined && (!onHeap || replay.heap !== null)) return holdersAtPeak(job, report, read, replay.heap ?? []);
  const failure =
    replay.explainFailure ?? (replay.measured.kind === 'timeout' ? `the replay ran past its ${budget} ms budget` : 'the replay did not reach the same peak');
  return { status: 'missing', reason: `${why}, and ${failure}` };
}

/**
 * The holders of every allocation alive at the peak. The allocation that made the peak has not
 * reached any variable yet: it is being built. Anything else no binding holds is held by a
 * temporary: V8's interpreter keeps the call arguments of nested expressions in frame
 * registers, which the inspector does not show.
 */
function holdersAtPeak(job: SandboxJob, report: IsolateReport, state: PausedState | undefined, heap: HeapHolderRecord[]): PeakHolders {
  if (state === undefined) return { status: 'complete', held: [], frames: [], heap: named(heap) };
  const frames = named(state.frames);
  const caller = frames.find((f) => f.file === SUBMISSION_FILE) ?? frames[0];
  const innermost = frames[0];
  const unnamed = (a: IsolateReport['live_at_peak'][number]): HolderRecord =>
    a.born_seq === report.peak_seq
      ? { name: `being built by ${a.step}`, kind: 'new', function: innermost?.function ?? a.step, file: innermost?.file ?? null, line: innermost?.line ?? null }
      : {
          name: `a temporary of ${caller?.function ?? job.entryPoint}`,
          kind: 'temporary',
          function: caller?.function ?? job.entryPoint,
          file: caller?.file ?? null,
          line: caller?.line ?? null,
        };
  return {
    status: 'complete',
    held: report.live_at_peak.map((a) => ({ id: a.id, holders: named(state.held.get(a.id) ?? [unnamed(a)]) })),
    frames,
    heap: named(heap),
  };
}

/** Bounded as the parent's check requires: function names are the submission's to choose, and a
 * deep recursion has as many frames, and holders, as it likes. */
function named<T extends { function: string }>(list: T[]): T[] {
  return list.slice(0, MAX_HOLDERS_SENT).map((entry) => ({ ...entry, function: cutText(entry.function, TEXT_LIMITS.name) }));
}

/**
 * The hidden check: once the measured run returned a correct result, the submission runs again
 * on input the helpers make from a seed it never sees. Answers null when the assignment has no
 * hidden check or the measured run already decided the verdict.
 */
async function hiddenCheck(
  job: SandboxJob,
  report: IsolateReport,
  instrumented: Instrumented | null,
  timeline: Timeline | undefined,
): Promise<HiddenCheck | null> {
  if (job.hiddenSetup === null || report.outcome !== 'returned' || report.check?.correct === false) return null;
  const seed = randomInt(1, 2 ** 31);
  const { measured } = noted(await runInFreshIsolate(job, { explain: { mode: 'off' }, explainBudgetMs: 0, hiddenSeed: seed, instrumented, timeline }));
  const on = job.entryPoint;
  switch (measured.kind) {
    case 'report': {
      const r = measured.report;
      if (r.outcome === 'returned' && r.check !== null) return { correct: r.check.correct, message: r.check.message ?? '' };
      if (r.outcome === 'memory_cap') return { correct: false, message: `${on} ran past the memory cap` };
      return { correct: false, message: `${on} threw ${r.error?.name ?? 'an error'}: ${r.error?.message ?? ''}` };
    }
    case 'timeout':
      return { correct: false, message: `${on} ran past its ${measured.limit === 'cpu' ? 'CPU-time' : 'time'} limit of ${measured.limit_ms} ms` };
    case 'memory_cap':
      return { correct: false, message: `${on} ran past the memory cap` };
    case 'load_error':
      return { correct: false, message: `the submission failed while loading: ${measured.error.name}: ${measured.error.message}` };
    case 'crashed':
      // memgrade's failure, not the submission's: the grading is tried again elsewhere.
      throw new Error(`the hidden check's run failed: ${measured.message}`);
    default:
      return { correct: false, message: `the submission could not be run: ${measured.message}` };
  }
}
