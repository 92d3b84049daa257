// The bounded queue between the API and the sandbox pool. The store is the queue's durable
// copy: a submission is written before it is admitted and keeps its place across restarts; this
// module only decides what runs next, how much may wait, and who is waiting for what.
import type { Logger } from 'pino';
import type { Assignment } from '../grading/assignments.ts';
import { grade, verdict } from '../grading/grade.ts';
import type { GradeResult } from '../grading/result.ts';
import type { SandboxPool } from '../sandbox-host/pool.ts';
import type { NewSubmission, StoredSubmission, SubmissionStore } from '../store/store.ts';
import { submissionDoneDelivery, type WebhookDeliverer } from '../webhooks/deliverer.ts';

export interface QueueLimits {
  /** Submissions queued or running at once, for everyone. */
  total: number;
  /** Submissions queued or running at once, for one client. */
  perClient: number;
}

export type Admission =
  | { accepted: true; submission: StoredSubmission }
  | { accepted: false; why: 'client_share' | 'full' | 'closing'; retryAfterS: number };

export interface RunningGrading {
  id: string;
  /** The worker grading it now (the retry's worker once its first one died). */
  pid: number | undefined;
  attempt: number;
}

interface Active extends RunningGrading {
  done: Promise<void>;
}

/** What a grading is assumed to take before any has finished; only Retry-After uses it. */
const FIRST_ESTIMATE_MS = 2000;
const MAX_RETRY_AFTER_S = 600;
/** Regrades are counted against no client's share. */
const REGRADE_CLIENT = '(regrade)';
/** Starts of a grading after which a submission that never finished is not started again. */
const MAX_STARTS = 2;
/** A restarting service is usually back within this. */
const CLOSING_RETRY_AFTER_S = 10;

export class GradingQueue {
  /** Waiting submissions, live ones first: regrades run only when no live one waits. */
  private readonly pending: string[] = [];
  private readonly pendingRegrades: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly clients = new Map<string, number>();
  private readonly clientOf = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Gradings a shutdown gave up on: their late outcome must not overwrite the requeue. */
  private readonly abandoned = new Set<string>();
  private closing = false;
  private averageMs = FIRST_ESTIMATE_MS;

  private readonly store: SubmissionStore;
  private readonly pool: SandboxPool;
  private readonly assignments: Map<string, Assignment>;
  private readonly limits: QueueLimits;
  private readonly log: Logger;
  private readonly webhooks: WebhookDeliverer | null;

  constructor(
    store: SubmissionStore,
    pool: SandboxPool,
    assignments: Map<string, Assignment>,
    limits: QueueLimits,
    log: Logger,
    webhooks: WebhookDeliverer | null = null,
  ) {
    this.webhooks = webhooks;
    this.store = store;
    this.pool = pool;
    this.assignments = assignments;
    this.limits = limits;
    this.log = log;
  }

  /** Takes back what a previous run left queued or running, and starts grading it. */
  start(): number {
    let recovered = 0;
    for (const submission of this.store.recover()) {
      const assignment = this.assignments.get(submission.assignment);
      // Twice started and never finished: it stopped the service itself, twice. A third start
      // would crash again, and again, after every restart.
      if (assignment && submission.attempts >= MAX_STARTS) {
        const message = `grading was started ${submission.attempts} times and stopped the service each time; it is not tried again`;
        this.store.finish(submission.id, verdict(assignment, { kind: 'crashed', message, peak: null }, 0));
        this.log.error({ submission_id: submission.id, attempts: submission.attempts }, 'a submission stopped the service twice; marked internal');
        continue;
      }
      if (!assignment) {
        this.log.warn({ submission_id: submission.id, assignment: submission.assignment }, 'queued for an unknown assignment; left queued');
        continue;
      }
      this.enqueue(submission);
      recovered++;
    }
    if (recovered > 0) this.log.info({ recovered }, 'requeued submissions left by the previous run');
    this.pump();
    return recovered;
  }

  /** Queued plus running. */
  get depth(): number {
    return this.pending.length + this.active.size;
  }

  /** Regrades waiting; they count in no admission bound. */
  get regradesWaiting(): number {
    return this.pendingRegrades.length;
  }

  get saturated(): boolean {
    return this.depth >= this.limits.total;
  }

  running(): RunningGrading[] {
    return [...this.active.values()].map(({ id, pid, attempt }) => ({ id, pid, attempt }));
  }

  /** Stores and queues a submission, unless its client or the whole queue is at its bound. */
  submit(submission: NewSubmission): Admission {
    if (this.closing) return { accepted: false, why: 'closing', retryAfterS: CLOSING_RETRY_AFTER_S };
    if (this.saturated) return { accepted: false, why: 'full', retryAfterS: this.retryAfter(this.depth) };
    const mine = this.clients.get(submission.client) ?? 0;
    if (mine >= this.limits.perClient) return { accepted: false, why: 'client_share', retryAfterS: this.retryAfter(mine) };
    const stored = this.store.insert(submission);
    this.enqueue(stored);
    this.pump();
    return { accepted: true, submission: stored };
  }

  /** Resolves when the submission is done, after `ms`, or when the queue shuts down, whichever is first. */
  waitFor(id: string, ms: number): Promise<void> {
    if (this.closing || !this.clientOf.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  /**
   * Stops taking and starting work, lets running gradings finish for up to `graceMs`, and puts
   * the rest back in the store's queue for the next start. Returns how many were put back.
   */
  async close(graceMs: number): Promise<number> {
    this.closing = true;
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.active.values()].map((a) => a.done)), grace]);
    clearTimeout(timer);
    const unfinished = [...this.active.keys()];
    for (const id of unfinished) {
      this.abandoned.add(id);
      this.store.requeue(id);
    }
    if (unfinished.length > 0) this.log.info({ requeued: unfinished }, 'shutdown: running gradings put back in the queue');
    return unfinished.length;
  }

  /**
   * Takes a submission out of the queue before it is deleted: true when it is waiting (or not
   * in the queue at all), false when it is being graded now.
   */
  forget(id: string): boolean {
    if (this.active.has(id)) return false;
    for (const lane of [this.pending, this.pendingRegrades]) {
      const at = lane.indexOf(id);
      if (at >= 0) {
        lane.splice(at, 1);
        this.settle(id);
      }
    }
    return true;
  }

  /**
   * Grades these done submissions again (an assignment's helpers or limits changed), after every
   * live submission; answers how many were put back.
   */
  regrade(ids: string[]): number {
    if (this.closing) return 0;
    const count = this.store.requeueForRegrade(ids);
    for (const id of ids) {
      const submission = this.store.get(id);
      if (submission?.status === 'queued' && !this.clientOf.has(id)) this.enqueue(submission);
    }
    this.pump();
    return count;
  }

  private enqueue(submission: StoredSubmission): void {
    if (submission.priority === 'regrade') {
      this.pendingRegrades.push(submission.id);
      this.clientOf.set(submission.id, REGRADE_CLIENT);
      return;
    }
    this.pending.push(submission.id);
    this.clientOf.set(submission.id, submission.client);
    this.clients.set(submission.client, (this.clients.get(submission.client) ?? 0) + 1);
  }

  private retryAfter(ahead: number): number {
    const seconds = Math.ceil((this.averageMs * Math.max(1, ahead)) / this.pool.size / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.pool.size && this.pending.length + this.pendingRegrades.length > 0) {
      const id = (this.pending.shift() ?? this.pendingRegrades.shift()) as string;
      const entry: Active = { id, pid: undefined, attempt: 0, done: Promise.resolve() };
      this.active.set(id, entry);
      entry.done = this.grade(entry).finally(() => this.settle(id));
    }
  }

  private settle(id: string): void {
    this.active.delete(id);
    this.abandoned.delete(id);
    const client = this.clientOf.get(id);
    this.clientOf.delete(id);
    if (client !== undefined && client !== REGRADE_CLIENT) {
      const left = (this.clients.get(client) ?? 1) - 1;
      if (left > 0) this.clients.set(client, left);
      else this.clients.delete(client);
    }
    for (const wake of [...(this.waiters.get(id) ?? [])]) wake();
    this.pump();
  }

  private async grade(entry: Active): Promise<void> {
    const submission = this.store.get(entry.id);
    const code = this.store.code(entry.id);
    const assignment = submission && this.assignments.get(submission.assignment);
    const log = this.log.child({ req_id: submission?.requestId, submission_id: entry.id });
    if (!submission || code === null || !assignment) {
      log.error('queued submission vanished from the store');
      return;
    }
    this.store.markRunning(entry.id);
    log.info({ assignment: assignment.manifest.id }, 'grading started');
    const started = performance.now();
    const runner = {
      run: (job: Parameters<SandboxPool['run']>[0]) =>
        this.pool.run(job, {
          onAttempt: ({ pid, number }) => {
            entry.pid = pid;
            entry.attempt = number;
            if (number > 1) log.warn({ worker_pid: pid, attempt: number }, 'the worker died; grading again in a fresh worker');
          },
        }),
    };
    let result: GradeResult;
    try {
      result = await grade(assignment, code, runner);
    } catch (error) {
      if (this.closing) return;
      result = verdict(assignment, { kind: 'crashed', message: `grading failed: ${(error as Error).message}`, peak: null }, 0);
    }
    if (this.abandoned.has(entry.id)) return;
    const ms = performance.now() - started;
    this.averageMs = 0.8 * this.averageMs + 0.2 * ms;
    const delivery = submission.callbackUrl !== null && this.webhooks !== null ? submissionDoneDelivery(submission, result, submission.callbackUrl) : null;
    try {
      this.store.finish(entry.id, result, delivery);
      if (delivery !== null) this.webhooks?.kick();
    } catch (error) {
      log.error({ err: error }, 'could not store the result; the submission stays running until the next start');
      return;
    }
    log.info(
      {
        status: result.status,
        reason: result.reason,
        peak_bytes: result.peak_bytes,
        limit_bytes: result.limit_bytes,
        duration_ms: Math.round(ms),
        attempts: entry.attempt,
        worker_pid: entry.pid,
      },
      'graded',
    );
  }
}
