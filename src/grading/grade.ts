// Grading orchestration: turns an assignment and a submission into a sandbox job, runs it on
// whatever runner it is given (one child process, or a pool), and draws the verdict.
import type { Static } from '@sinclair/typebox';
import {
  SUBMISSION_FILE,
  type HiddenCheck,
  type IsolateReport,
  type PeakHolders,
  type PeakSoFar,
  type RunOutcome,
  type SandboxJob,
  type ThrownError,
} from '../sandbox-host/index.ts';
import type { Assignment } from './assignments.ts';
import { explain } from './explain.ts';
import { withScore } from './score.ts';
import { sizes } from './format.ts';
import { Value } from '@sinclair/typebox/value';
import { GradeResult, type GradeReason, type GradeStatus, type SubmissionError } from './result.ts';
import { versions } from './versions.ts';

export interface SandboxRunner {
  run(job: SandboxJob): Promise<RunOutcome>;
}

export function codeBytes(code: string): number {
  return Buffer.byteLength(code, 'utf8');
}

export function buildJob(assignment: Assignment, code: string): SandboxJob {
  const { manifest } = assignment;
  return {
    code,
    helpers: { source: assignment.helpersSource, filename: assignment.helpersFile, globals: manifest.globals },
    entryPoint: manifest.entry_point,
    entryArgs: manifest.entry_args ?? [],
    steps: manifest.steps,
    check: manifest.check,
    checkUses: manifest.check_uses ?? [],
    hiddenSetup: manifest.hidden_check?.setup ?? null,
    limits: {
      memoryCapMb: manifest.limits.memory_cap_mb,
      peakBytes: manifest.limits.peak_bytes,
      timeoutMs: manifest.limits.timeout_ms,
      cpuTimeMs: manifest.limits.cpu_time_ms,
      explainMs: manifest.limits.explain_ms,
    },
  };
}

type Verdict = { status: GradeStatus; reason: GradeReason; message: string };

function emptyResult(assignment: Assignment, verdict: Verdict, durationMs: number): GradeResult {
  const { limits } = assignment.manifest;
  return {
    assignment: assignment.manifest.id,
    ...verdict,
    correct: null,
    check: null,
    hidden_check: null,
    peak_bytes: null,
    peak_external_bytes: null,
    peak_heap_bytes: null,
    limit_bytes: limits.peak_bytes,
    peak_step: null,
    steps: [],
    live_at_peak: [],
    explanation: null,
    untracked_at_peak_bytes: 0,
    allocations: [],
    timeline: [],
    error: null,
    limits: {
      peak_bytes: limits.peak_bytes,
      memory_cap_bytes: limits.memory_cap_mb * 1024 * 1024,
      timeout_ms: limits.timeout_ms,
      cpu_time_ms: limits.cpu_time_ms,
      max_code_bytes: limits.max_code_bytes,
    },
    measurement: { gc_count: 0, measure_ms: 0, tolerance_bytes: 0, heap_figure: null },
    duration_ms: durationMs,
    score: 0,
    max_score: 0,
    score_parts: [],
    versions,
  };
}

/** A result for a submission that was refused before it ran. */
export function invalidSubmission(assignment: Assignment, message: string): GradeResult {
  return withScore(assignment.manifest, emptyResult(assignment, { status: 'error', reason: 'invalid_submission', message }, 0));
}

/** Line and column of the innermost submission frame of a stack. */
function submissionPosition(stack: string | null): { line: number | null; column: number | null } {
  const match = stack === null ? null : new RegExp(`${SUBMISSION_FILE.replace('.', '\\.')}:(\\d+):(\\d+)`).exec(stack);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : { line: null, column: null };
}

function submissionError(error: ThrownError): Static<typeof SubmissionError> {
  return { name: error.name, message: error.message, ...submissionPosition(error.stack), stack: error.stack };
}

function withPeak(result: GradeResult, peak: PeakSoFar | null): GradeResult {
  if (peak === null) return result;
  return { ...result, ...peak };
}

function fromReport(
  assignment: Assignment,
  report: IsolateReport,
  holders: PeakHolders,
  hidden: HiddenCheck | null,
  code: string,
  durationMs: number,
): GradeResult {
  const limit = assignment.manifest.limits.peak_bytes;
  const listed = report.live_at_peak.reduce((sum, a) => sum + a.bytes, 0);
  const base = emptyResult(assignment, { status: 'error', reason: 'internal', message: '' }, durationMs);
  const result: GradeResult = {
    ...base,
    correct: report.check === null ? null : report.check.correct && hidden?.correct !== false,
    check: report.check,
    hidden_check: hidden,
    peak_bytes: report.peak_bytes,
    peak_external_bytes: report.peak_external_bytes,
    peak_heap_bytes: report.peak_heap_bytes,
    peak_step: report.peak_step,
    steps: report.steps,
    ...explain(assignment, code, report, holders),
    untracked_at_peak_bytes: Math.max(0, report.peak_external_bytes - listed),
    allocations: report.allocations,
    timeline: report.timeline,
    error: report.error === null ? null : submissionError(report.error),
    measurement: { gc_count: report.gc_count, measure_ms: report.measure_ms, tolerance_bytes: report.tolerance_bytes, heap_figure: report.heap_figure },
  };
  const shown = sizes(limit);
  const peakText = `peak ${shown(report.peak_bytes)}${report.peak_step ? ` (in ${report.peak_step})` : ''}`;
  switch (report.outcome) {
    case 'memory_cap':
      return {
        ...result,
        status: 'error',
        reason: 'memory_cap',
        message:
          `allocation of ${shown(report.cap_request_bytes)} failed: ` +
          `the isolate's ${assignment.manifest.limits.memory_cap_mb} MB memory cap was reached (${peakText} so far)`,
      };
    case 'threw':
      return {
        ...result,
        status: 'error',
        reason: 'runtime_error',
        message: `${assignment.manifest.entry_point} threw ${report.error?.name ?? 'an error'}: ${report.error?.message ?? ''}`,
      };
    case 'check_threw':
      return {
        ...result,
        correct: false,
        status: 'failed',
        reason: 'wrong_result',
        message: `the result could not be checked: ${report.error?.message ?? ''}`,
      };
    case 'load_failed':
      // The caller reports the load error itself; this case carries the measurement only.
      return { ...result, status: 'error', reason: 'runtime_error', message: 'the submission failed while loading' };
    case 'returned': {
      const over = report.peak_bytes > limit;
      const checkText = report.check?.message ?? 'no correctness check';
      const also = over ? `; also, ${peakText} is over the ${shown(limit)} limit` : '';
      if (report.check !== null && !report.check.correct) {
        return { ...result, status: 'failed', reason: 'wrong_result', message: `wrong result: ${checkText}${also}` };
      }
      if (hidden !== null && !hidden.correct) {
        return {
          ...result,
          status: 'failed',
          reason: 'wrong_result',
          message:
            'wrong result on hidden input (made from a seed the submission cannot know; a result must be computed from the input): ' +
            `${hidden.message}${also}`,
        };
      }
      if (over) {
        return {
          ...result,
          status: 'failed',
          reason: 'memory_limit',
          message: `limited to ${shown(limit)} but allocated ${shown(report.peak_bytes)} at the peak${report.peak_step ? `, in ${report.peak_step}` : ''}`,
        };
      }
      return {
        ...result,
        status: 'passed',
        reason: null,
        message: `passed: ${peakText} is within the ${shown(limit)} limit, and ${checkText}`,
      };
    }
  }
}

/** The result of a run, scored. `code` is the submission, which hints quote line numbers of. */
export function verdict(assignment: Assignment, outcome: RunOutcome, durationMs: number, code = ''): GradeResult {
  return withScore(assignment.manifest, resultOf(assignment, outcome, durationMs, code));
}

function resultOf(assignment: Assignment, outcome: RunOutcome, durationMs: number, code: string): GradeResult {
  const error = (reason: GradeReason, message: string) => emptyResult(assignment, { status: 'error', reason, message }, durationMs);
  switch (outcome.kind) {
    case 'report':
      return fromReport(assignment, outcome.report, outcome.holders, outcome.hidden, code, durationMs);
    case 'syntax_error': {
      const where = outcome.line === null ? '' : ` at line ${outcome.line}, column ${outcome.column}`;
      return {
        ...error('syntax_error', `syntax error${where}: ${outcome.message}`),
        error: { name: 'SyntaxError', message: outcome.message, line: outcome.line, column: outcome.column, stack: null },
      };
    }
    case 'missing_entry_point':
      return error('missing_entry_point', outcome.message);
    case 'invalid':
      return error('invalid_submission', outcome.message);
    case 'load_error': {
      // What its top level did before it threw was measured like any step.
      const measured =
        outcome.report === null
          ? error('runtime_error', '')
          : fromReport(assignment, outcome.report, { status: 'missing', reason: 'the submission failed while loading' }, null, code, durationMs);
      return {
        ...measured,
        status: 'error',
        reason: 'runtime_error',
        message: `the submission failed while loading: ${outcome.error.name}: ${outcome.error.message}`,
        error: submissionError(outcome.error),
      };
    }
    case 'timeout': {
      const what = outcome.limit === 'cpu' ? 'CPU-time' : 'time';
      return withPeak(error('timeout', `the submission ran past its ${what} limit of ${outcome.limit_ms} ms`), outcome.peak);
    }
    case 'memory_cap':
      return withPeak(error('memory_cap', outcome.message), outcome.peak);
    case 'crashed':
      return withPeak(error('internal', outcome.message), outcome.peak);
  }
}

/** Grades one submission on the given runner. Never throws for anything the submission does. */
export async function grade(assignment: Assignment, code: string, runner: SandboxRunner): Promise<GradeResult> {
  const max = assignment.manifest.limits.max_code_bytes;
  const size = codeBytes(code);
  if (size > max) return invalidSubmission(assignment, `code is ${size} bytes, more than the ${max} this assignment accepts`);
  if (code.trim() === '') return invalidSubmission(assignment, 'code is empty');
  const started = performance.now();
  const outcome = await runner.run(buildJob(assignment, code));
  return checked(assignment, verdict(assignment, outcome, Math.round(performance.now() - started), code));
}

/**
 * The result as its schema allows it, or an internal error in its place: what comes out of a
 * sandbox process is not trusted to be well formed (a compromised child could send markup or
 * oversized fields) before it is stored or rendered.
 */
export function checked(assignment: Assignment, result: GradeResult): GradeResult {
  const durationMs = result.duration_ms;
  if (Value.Check(GradeResult, result)) return result;
  const first = [...Value.Errors(GradeResult, result)][0];
  const where = first === undefined ? '' : ` (at ${first.path || '/'}: ${first.message})`;
  return emptyResult(assignment, { status: 'error', reason: 'internal', message: `the sandbox returned a result that breaks its schema${where}` }, durationMs);
}
