// The embedded queue: one process, the SQLite store as its durable copy. A submission is written
// before it is admitted and keeps its place across restarts; this module only decides what runs
// next, how much may wait, and who is waiting for what.
import type { Logger } from 'pino';
import { codeBytes } from '../grading/index.ts';
import { refusalAt, type NewSubmission, type StoredSubmission } from '../store/index.ts';
import { gradeStored, RetryAfter, type AdmittedOrRetry, type Grader, type GradingQueue, type QueueLimits, type RunningGrading } from './queue.ts';
import { Waiters } from './waiters.ts';

interface Active extends RunningGrading {
  done: Promise<void>;
}

/** Regrades are counted against no client's share. */
const REGRADE_CLIENT = '(regrade)';

export class LocalQueue implements GradingQueue {
  /** Waiting submissions, live ones first: regrades run only when no live one waits. */
  private readonly pending: string[] = [];
  private readonly pendingRegrades: string[] = [];
  private readonly active = new Map<string, Active>();
  /** Each client's live submissions queued or running, and those being stored now: what the bounds count. */
  private readonly clients = new Map<string, number>();
  private readonly clientOf = new Map<string, string>();
  private readonly waiters = new Waiters();
  /** Each client's admission under way, the last of a chain: one client's are decided one after the other. */
  private readonly admitting = new Map<string, Promise<unknown>>();
  /** Gradings a shutdown gave up on: their late outcome must not overwrite the requeue. */
  private readonly abandoned = new Set<string>();
  private closing = false;
  private readonly retryAfter: RetryAfter;

  private readonly grader: Grader;
  private readonly limits: QueueLimits;
  private readonly log: Logger;

  constructor(grader: Grader, limits: QueueLimits) {
    this.grader = grader;
    this.limits = limits;
    this.log = grader.log;
    this.retryAfter = new RetryAfter(grader.pool.size);
  }

  async start(): Promise<void> {
    let recovered = 0;
    for (const submission of await this.grader.store.recover()) {
      if (!this.grader.assignments.has(submission.assignment)) {
        this.log.warn({ submission_id: submission.id, assignment: submission.assignment }, 'queued for an unknown assignment; left queued');
        continue;
      }
      this.enqueue(submission);
      recovered++;
    }
    if (recovered > 0) this.log.info({ recovered }, 'requeued submissions left by the previous run');
    this.pump();
  }

  async depth(): Promise<number> {
    return this.live();
  }

  /** Regrades take no place: only live submissions are counted against the bounds. */
  private live(): number {
    let live = 0;
    for (const count of this.clients.values()) live += count;
    return live;
  }

  running(): RunningGrading[] {
    return [...this.active.values()].map(({ id, pid, attempt }) => ({ id, pid, attempt }));
  }

  /**
   * A client's stored bytes are read, then added to by its insert: two of its submissions decided
   * at once would both count the bytes from before either, and together pass its bound. So one
   * client's admissions wait for each other; other clients' go on meanwhile.
   */
  async submit(submission: NewSubmission): Promise<AdmittedOrRetry> {
    const { client } = submission;
    const turn = (this.admitting.get(client) ?? Promise.resolve()).then(() => this.admit(submission));
    const done = turn.catch(() => {});
    this.admitting.set(client, done);
    void done.then(() => {
      if (this.admitting.get(client) === done) this.admitting.delete(client);
    });
    return turn;
  }

  private async admit(submission: NewSubmission): Promise<AdmittedOrRetry> {
    const storedBytes = this.limits.storedBytesPerClient === Infinity ? 0 : await this.grader.store.storedBytes(submission.client);
    // From here to the reservation below nothing is awaited: what is counted is what is decided on.
    if (this.closing) return this.retryAfter.refuse('closing');
    const mine = this.clients.get(submission.client) ?? 0;
    const refused = refusalAt(this.limits, { total: this.live(), mine, storedBytes }, codeBytes(submission.code));
    if (refused !== null) return this.retryAfter.refuse(refused);
    // Counted before the insert is awaited, so that submissions arriving together meet the bounds.
    this.clients.set(submission.client, mine + 1);
    let stored: StoredSubmission;
    try {
      stored = await this.grader.store.insert(submission);
    } finally {
      this.clients.set(submission.client, (this.clients.get(submission.client) ?? 1) - 1);
    }
    this.enqueue(stored);
    this.pump();
    return { accepted: true, submission: stored };
  }

  waitFor(id: string, ms: number): Promise<void> {
    if (this.closing || !this.clientOf.has(id)) return Promise.resolve();
    return this.waiters.wait(id, ms);
  }

  async close(graceMs: number): Promise<number> {
    this.closing = true;
    this.waiters.wakeAll();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.active.values()].map((a) => a.done)), grace]);
    clearTimeout(timer);
    const unfinished = [...this.active.keys()];
    for (const id of unfinished) {
      this.abandoned.add(id);
      await this.grader.store.requeue(id);
    }
    if (unfinished.length > 0) this.log.info({ requeued: unfinished }, 'shutdown: running gradings put back in the queue');
    return unfinished.length;
  }

  async forget(id: string): Promise<boolean> {
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

  async regrade(ids: string[]): Promise<number> {
    if (this.closing) return 0;
    const requeued = await this.grader.store.requeueForRegrade(ids);
    for (const id of requeued) {
      const submission = await this.grader.store.get(id);
      if (submission?.status === 'queued' && !this.clientOf.has(id)) this.enqueue(submission);
    }
    this.pump();
    return requeued.length;
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

  private pump(): void {
    while (!this.closing && this.active.size < this.grader.pool.size && this.pending.length + this.pendingRegrades.length > 0) {
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
    this.waiters.wake(id);
    this.pump();
  }

  private async grade(entry: Active): Promise<void> {
    try {
      const outcome = await gradeStored(this.grader, entry.id, entry, () => this.abandoned.has(entry.id));
      this.retryAfter.record(outcome);
      if (outcome.kind === 'foreign') {
        this.log.warn({ submission_id: entry.id, assignment: outcome.assignment }, 'queued for an unknown assignment; left queued');
      }
    } catch (error) {
      this.log.error({ err: error, submission_id: entry.id }, 'could not store the result; the submission stays running until the next start');
    }
  }
}
