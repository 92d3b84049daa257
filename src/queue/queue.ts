// What the HTTP layer asks of a grading queue. Two implementations: the in-process queue over
// SQLite (one machine, the embedded default) and pg-boss over PostgreSQL (any number of API and
// worker processes). Both grade one submission the same way: gradeStored below.
import type { Logger } from 'pino';
import { grade, verdict, type Assignment, type GradeResult } from '../grading/index.ts';
import type { SandboxPool } from '../sandbox-host/index.ts';
import type { AdmissionBounds, CountedRefusal, NewSubmission, StoredSubmission, SubmissionStore } from '../store/index.ts';
import { submissionDoneDelivery, type WebhookDeliverer } from '../webhooks/index.ts';

/** The bounds a queue admits submissions within, the same on either store. */
export type QueueLimits = AdmissionBounds;

/** The submission as stored, or the refusal with its Retry-After. */
export type AdmittedOrRetry =
  | { accepted: true; submission: StoredSubmission }
  | { accepted: false; why: 'client_share' | 'full' | 'closing' | 'client_storage'; retryAfterS: number };

export interface RunningGrading {
  id: string;
  /** The sandbox process grading it now (the retry's once its first one died). */
  pid: number | undefined;
  attempt: number;
}

export interface GradingQueue {
  /** Starts grading (when this process grades) and takes back what a previous run left. */
  start(): Promise<void>;
  /** Stores and queues a submission, unless its client or the whole queue is at its bound. */
  submit(submission: NewSubmission): Promise<AdmittedOrRetry>;
  /** Resolves when the submission is done, after `ms`, or when the queue shuts down, whichever is first. */
  waitFor(id: string, ms: number): Promise<void>;
  /**
   * Takes a submission out of the queue before it is deleted: true when it is waiting (or not in
   * the queue at all), false when it is being graded now.
   */
  forget(id: string): Promise<boolean>;
  /** Grades these done submissions again, after every live submission; answers how many were put back. */
  regrade(ids: string[]): Promise<number>;
  /** Live submissions queued or running, everyone's. */
  depth(): Promise<number>;
  /** The gradings this process runs now. */
  running(): RunningGrading[];
  /**
   * Stops taking and starting work, lets running gradings finish for up to `graceMs`, and hands
   * the rest back to the queue for the next start (or another grading process). Answers how many.
   */
  close(graceMs: number): Promise<number>;
}

/** What a grading is assumed to take before any has finished; only Retry-After uses it. */
export const FIRST_ESTIMATE_MS = 2000;
const MAX_RETRY_AFTER_S = 600;
/**
 * Retry-After for a client at its stored bytes: no wait frees them, deleting does (the refusal
 * says so); the longest Retry-After keeps a client that retries anyway from retrying often.
 */
export const STORAGE_RETRY_AFTER_S = MAX_RETRY_AFTER_S;
/** Retry-After while closing: a restarting service is usually back within this. */
export const CLOSING_RETRY_AFTER_S = 10;

/**
 * The Retry-After of a queue's refusals. A full queue or share frees up as gradings finish: the
 * time for those ahead at the average of this process's last gradings (the first estimate until
 * it has stored one), shared among `graders` at once.
 */
export class RetryAfter {
  private averageMs = FIRST_ESTIMATE_MS;
  private readonly graders: number;

  constructor(graders: number) {
    this.graders = Math.max(1, graders);
  }

  /** Takes a stored grading's time into the average. */
  record(outcome: GradeOutcome): void {
    if (outcome.kind === 'stored') this.averageMs = 0.8 * this.averageMs + 0.2 * outcome.ms;
  }

  refuse(refusal: CountedRefusal | 'closing'): AdmittedOrRetry {
    if (refusal === 'closing') return { accepted: false, why: 'closing', retryAfterS: CLOSING_RETRY_AFTER_S };
    if (refusal.why === 'client_storage') return { accepted: false, why: 'client_storage', retryAfterS: STORAGE_RETRY_AFTER_S };
    const seconds = Math.ceil((this.averageMs * Math.max(1, refusal.ahead)) / this.graders / 1000);
    return { accepted: false, why: refusal.why, retryAfterS: Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds)) };
  }
}

/**
 * Starts of a grading after which a submission that never finished is not started again: twice
 * it took its grader down with it (a restart, a killed `memgrade worker`), and a third start would too.
 */
export const MAX_STARTS = 2;

export interface Grader {
  store: SubmissionStore;
  pool: SandboxPool;
  assignments: Map<string, Assignment>;
  webhooks: WebhookDeliverer | null;
  log: Logger;
}

type GradeOutcome =
  | { kind: 'stored'; result: GradeResult; ms: number }
  /** Gone or already done: nothing to do. */
  | { kind: 'skipped' }
  /** For an assignment this process does not have (processes deployed with different folders). */
  | { kind: 'foreign'; assignment: string }
  /** The grading was given up (a shutdown): the caller hands it back to the queue. */
  | { kind: 'abandoned' };

/**
 * Grades one stored submission: claims it, runs it in the pool, stores the verdict (once: a job
 * delivered twice finds it done), and queues its webhook. A verdict is stored for every fault of
 * the submission's own; only a store that cannot be written throws.
 */
export async function gradeStored(
  grader: Grader,
  id: string,
  running: RunningGrading,
  abandoned: () => boolean,
): Promise<GradeOutcome> {
  const { store, pool, assignments, webhooks } = grader;
  const found = await store.get(id);
  const assignment = found && assignments.get(found.assignment);
  if (!found) return { kind: 'skipped' };
  if (!assignment) return { kind: 'foreign', assignment: found.assignment };
  const submission = await store.claim(id);
  const code = await store.code(id);
  if (submission === null || code === null) return { kind: 'skipped' };
  const log = grader.log.child({ req_id: submission.requestId, submission_id: id });
  let result: GradeResult;
  const started = performance.now();
  if (submission.attempts > MAX_STARTS) {
    const message = `grading was started ${submission.attempts - 1} times and stopped its grader each time; it is not tried again`;
    result = verdict(assignment, { kind: 'crashed', message, peak: null }, 0);
    log.error({ attempts: submission.attempts - 1 }, 'a submission stopped its grader twice; marked internal');
  } else {
    log.info({ assignment: assignment.manifest.id, attempt: submission.attempts }, 'grading started');
    const runner = {
      run: (job: Parameters<SandboxPool['run']>[0]) =>
        pool.run(job, {
          onAttempt: ({ pid, number }) => {
            running.pid = pid;
            running.attempt = number;
            if (number > 1) log.warn({ sandbox_pid: pid, attempt: number }, 'the sandbox process died; grading again in a fresh one');
          },
        }),
    };
    try {
      result = await grade(assignment, code, runner);
    } catch (error) {
      if (abandoned()) return { kind: 'abandoned' };
      result = verdict(assignment, { kind: 'crashed', message: `grading failed: ${(error as Error).message}`, peak: null }, 0);
    }
    if (abandoned()) return { kind: 'abandoned' };
  }
  const ms = performance.now() - started;
  const delivery = submission.callbackUrl !== null && webhooks !== null ? submissionDoneDelivery(submission, result, submission.callbackUrl) : null;
  const stored = await store.finish(id, result, delivery);
  if (stored && delivery !== null) webhooks?.kick();
  log.info(
    {
      status: result.status,
      reason: result.reason,
      peak_bytes: result.peak_bytes,
      limit_bytes: result.limit_bytes,
      duration_ms: Math.round(ms),
      attempts: running.attempt,
      sandbox_pid: running.pid,
      stored,
    },
    stored ? 'graded' : 'graded, but another grading had stored its result first',
  );
  return { kind: 'stored', result, ms };
}
