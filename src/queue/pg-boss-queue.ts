// The scaled-out queue: pg-boss jobs in the same PostgreSQL database as the submissions. Any
// number of API processes submit and wait; any number of grading processes (a service with a
// sandbox pool, or `memgrade worker`) take jobs. A submission row and its job commit together;
// a grading process that dies stops sending heartbeats and pg-boss hands its job to another; a
// job delivered twice is stored once (the store's claim and finish refuse a done submission).
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { NewSubmission, Priority, SharedStore, SqlExecutor } from '../store/index.ts';
import {
  gradeStored,
  MAX_STARTS,
  RetryAfter,
  type AdmittedOrRetry,
  type Grader,
  type GradingQueue,
  type QueueLimits,
  type RunningGrading,
} from './queue.ts';
import { Waiters } from './waiters.ts';

export const GRADING_QUEUE = 'memgrade-grading';
/** A job's pg-boss priority, which takes the higher first (the store's priority column takes the lower). */
const JOB_PRIORITY = { live: 1, regrade: 0 } as const satisfies Record<Priority, number>;

/**
 * How a dead grading process is noticed: a job whose heartbeat is older than this (pg-boss's minimum) is
 * failed by the supervisor and retried. Heartbeats are sent at half of it.
 */
export const HEARTBEAT_S = 10;
/** How often a process looks for jobs whose heartbeat stopped (pg-boss's supervise and monitor passes). */
const SUPERVISE_S = 5;
/**
 * The longest a live grading process may hold one job before pg-boss retries it elsewhere: far above one
 * grading, which its own deadlines bound to well under a minute.
 */
const EXPIRE_S = 600;
/**
 * A grading process's poll, pg-boss's shortest. A new job wakes an idle one at once through
 * NOTIFY, but a job retried after its grading process died sends none, and one that has just
 * finished a job waits out what is left of this interval before it takes the next (pg-boss's
 * worker loop): at 2 s, one sandbox process graded 0.53 full-size submissions a second instead
 * of about 1.2.
 */
const POLL_S = 0.5;
/**
 * A waiter re-reads its submission this often, in case a NOTIFY was lost with a dropped listening
 * connection (the store re-checks at once when it reconnects); the NOTIFY wakes it within
 * milliseconds otherwise.
 */
const WAIT_RECHECK_MS = 5000;
/** Jobs read at a time when a deletion looks through the whole queue for its submissions'. */
const JOBS_PAGE = 10_000;

/** The pg-boss settings that make the bound above hold, for the constructor of every process. */
export const BOSS_OPTIONS = {
  useListenNotify: true,
  superviseIntervalSeconds: SUPERVISE_S,
  monitorIntervalSeconds: SUPERVISE_S,
} as const;

interface JobData {
  id: string;
}

export class PgBossQueue implements GradingQueue {
  private readonly store: SharedStore;
  private readonly boss: PgBoss;
  /** Null in an API process alone (MEMGRADE_POOL_SIZE=0): it submits and waits, never grades. */
  private readonly grader: Grader | null;
  private readonly limits: QueueLimits;
  private readonly log: Logger;
  private readonly waiters = new Waiters();
  private readonly active = new Map<string, RunningGrading>();
  /** Set once pg-boss has stopped: what a grading still running gives after that is not stored. */
  private stopped = false;
  private stopListening: (() => Promise<void>) | null = null;
  private recheck: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly retryAfter: RetryAfter;

  constructor(store: SharedStore, boss: PgBoss, grader: Grader | null, limits: QueueLimits, log: Logger) {
    this.store = store;
    this.boss = boss;
    this.grader = grader;
    this.limits = limits;
    this.log = log;
    this.retryAfter = new RetryAfter(grader?.pool.size ?? 1);
  }

  async start(): Promise<void> {
    // Every process declares the queue: whichever starts first creates it, the rest find it; the
    // update brings a queue made by an earlier version to these settings.
    const settings = { retryLimit: MAX_STARTS, heartbeatSeconds: HEARTBEAT_S, expireInSeconds: EXPIRE_S, notify: true };
    await this.boss.createQueue(GRADING_QUEUE, settings);
    await this.boss.updateQueue(GRADING_QUEUE, settings);
    this.store.deleteAlso((db, ids) => this.deleteJobs(db, ids));
    this.stopListening = await this.store.listen(
      (id) => this.waiters.wake(id),
      () => void this.recheckWaiters(),
    );
    this.recheck = setInterval(() => void this.recheckWaiters(), WAIT_RECHECK_MS);
    this.recheck.unref();
    if (this.grader === null) return;
    await this.boss.work<JobData>(
      GRADING_QUEUE,
      { batchSize: 1, localConcurrency: this.grader.pool.size, pollingIntervalSeconds: POLL_S, notifyPollingIntervalSeconds: POLL_S },
      async ([job]) => this.work(job.data.id),
    );
  }

  async submit(submission: NewSubmission): Promise<AdmittedOrRetry> {
    if (this.closing) return this.retryAfter.refuse('closing');
    const admitted = await this.store.admit(submission, this.limits, async (db, stored) => {
      await this.boss.send(GRADING_QUEUE, { id: stored.id } satisfies JobData, { db, priority: JOB_PRIORITY.live });
    });
    return admitted.accepted ? admitted : this.retryAfter.refuse(admitted);
  }

  async waitFor(id: string, ms: number): Promise<void> {
    if (this.closing) return;
    const woken = this.waiters.wait(id, ms);
    // Listening first, then looking: a NOTIFY sent in between is not lost.
    const now = await this.store.get(id);
    if (now === null || now.status === 'done') this.waiters.wake(id);
    return woken;
  }

  async forget(id: string): Promise<boolean> {
    // Its job, if still waiting, finds the submission gone and ends without grading.
    return (await this.store.get(id))?.status !== 'running';
  }

  async regrade(ids: string[]): Promise<number> {
    if (this.closing) return 0;
    const requeued = await this.store.regradeWith(ids, async (db, requeuedIds) => {
      for (const id of requeuedIds) await this.boss.send(GRADING_QUEUE, { id } satisfies JobData, { db, priority: JOB_PRIORITY.regrade });
    });
    return requeued.length;
  }

  depth(): Promise<number> {
    return this.store.waiting();
  }

  running(): RunningGrading[] {
    return [...this.active.values()].map(({ id, pid, attempt }) => ({ id, pid, attempt }));
  }

  async close(graceMs: number): Promise<number> {
    this.closing = true;
    clearInterval(this.recheck);
    this.waiters.wakeAll();
    // pg-boss waits for running handlers up to the timeout, then fails their jobs, which retries
    // them with another grading process at once. Their rows are left as they are: marking them
    // queued here could overwrite the claim of the process that took them meanwhile.
    await this.boss.stop({ graceful: true, timeout: Math.max(graceMs, 1000), close: true });
    this.stopped = true;
    const left = [...this.active.keys()];
    if (left.length > 0) this.log.info({ handed_back: left }, 'shutdown: running gradings handed back to the queue');
    await this.stopListening?.();
    return left.length;
  }

  private async work(id: string): Promise<void> {
    const grader = this.grader as Grader;
    const entry: RunningGrading = { id, pid: undefined, attempt: 0 };
    this.active.set(id, entry);
    try {
      const outcome = await gradeStored(grader, id, entry, () => this.stopped);
      this.retryAfter.record(outcome);
      // Thrown, the job fails and pg-boss retries it, with another grading process if there is one.
      if (outcome.kind === 'abandoned') throw new Error('grading abandoned at shutdown');
      if (outcome.kind === 'foreign') throw new Error(`this process does not have assignment "${outcome.assignment}"`);
    } finally {
      this.active.delete(id);
    }
  }

  /**
   * A deleted submission's jobs go with it: they hold its id (a failed try, also what it threw),
   * and pg-boss keeps a finished one for days. One submission's are found by their data; many
   * (retention's) in one pass over the queue's jobs, not a pass each.
   */
  private async deleteJobs(db: SqlExecutor, ids: string[]): Promise<void> {
    const wanted = new Set(ids);
    const jobs = ids.length === 1 ? await this.boss.findJobs<JobData>(GRADING_QUEUE, { data: { id: ids[0] }, db }) : await this.everyJob(db);
    const theirs = jobs.filter((job) => wanted.has(job.data.id)).map((job) => job.id);
    if (theirs.length > 0) await this.boss.deleteJob(GRADING_QUEUE, theirs, { db });
  }

  private async everyJob(db: SqlExecutor) {
    const jobs = [];
    for (let after: string | undefined; ; ) {
      const page = await this.boss.findJobs<JobData>(GRADING_QUEUE, { db, limit: JOBS_PAGE, after });
      jobs.push(...page);
      if (page.length < JOBS_PAGE) return jobs;
      after = page[page.length - 1].id;
    }
  }

  private async recheckWaiters(): Promise<void> {
    for (const id of this.waiters.ids()) {
      try {
        const now = await this.store.get(id);
        if (now === null || now.status === 'done') this.waiters.wake(id);
      } catch (error) {
        this.log.warn({ err: error }, 'could not re-check a waited-for submission');
        return;
      }
    }
  }
}
