// What every GradingQueue promises, run against each (local.test.ts, pg-boss.test.ts) on its real
// store with real sandbox processes: the HTTP layer relies on these answers whichever queue the
// service started with. A process here is what one service process holds, its store, its sandbox
// pool and its queue; two on one place (a data folder, a database) are a restart.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadAssignments } from '../../src/grading/index.ts';
import { createLogger } from '../../src/log.ts';
import {
  CLOSING_RETRY_AFTER_S,
  FIRST_ESTIMATE_MS,
  STORAGE_RETRY_AFTER_S,
  type Grader,
  type GradingQueue,
  type QueueLimits,
} from '../../src/queue/queue.ts';
import { SandboxPool } from '../../src/sandbox-host/index.ts';
import type { NewSubmission, StoredSubmission, SubmissionStore } from '../../src/store/index.ts';
import { PASSING, TINY, until } from '../http/support.ts';
import { gradeResult, newSubmission } from '../store/contract.ts';
import { FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

const ASSIGNMENTS = loadAssignments([FIXTURE_ASSIGNMENTS_DIR]);
const UNBOUNDED: QueueLimits = { total: 100, perClient: 100, storedBytesPerClient: Infinity };
const CODE_BYTES = Buffer.byteLength(PASSING);
/** Graded until its time limit (3 s): a grading that is running whenever the test looks. */
const INFINITE = 'function process_data() { for (;;) {} }\n';

export interface Place {
  /** A data folder, a database URL. */
  where: string;
  remove(): Promise<void>;
}

/** How one kind of queue is set up, as the service sets it up. */
export interface QueueKind<S extends SubmissionStore> {
  place(): Promise<Place>;
  openStore(where: string): Promise<S>;
  /** A queue not yet started; it grades with `grader` unless its pool has no sandbox process. */
  queue(process: { where: string; store: S; grader: Grader; limits: QueueLimits }): Promise<GradingQueue>;
}

interface Process {
  queue: GradingQueue;
  store: SubmissionStore;
  /** The submissions whose grading this process started, in order, as its log says. */
  started(): string[];
  /** How long each grading it stored took, in order, as its log says (to the millisecond). */
  gradedMs(): number[];
  /** queue.close(graceMs), once: the test's call, or stop's. */
  close(graceMs: number): Promise<number>;
  /** Closes the queue, then the pool (ending a grading still running) and the store. */
  stop(): Promise<void>;
}

export const submission = (change: Partial<NewSubmission> = {}) => newSubmission({ assignment: TINY, code: PASSING, student: null, ...change });

export async function accepted(queue: GradingQueue, change: Partial<NewSubmission> = {}): Promise<StoredSubmission> {
  const answer = await queue.submit(submission(change));
  assert.ok(answer.accepted, `refused: ${JSON.stringify(answer)}`);
  return answer.submission;
}

/** Milliseconds `work` took. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

/**
 * The Retry-After for `ahead` submissions when the gradings took `ms` each (rounded, as logged):
 * the time for them at the moving average, each grading weighing a fifth, from the first estimate.
 * Answers the least and the most it can be, the rounding of the durations being unknown.
 */
function retryAfterRange(ms: number[], ahead: number): [number, number] {
  const average = (shift: number) => ms.reduce((avg, m) => 0.8 * avg + 0.2 * (m + shift), FIRST_ESTIMATE_MS);
  return [Math.ceil((ahead * average(-0.5)) / 1000), Math.ceil((ahead * average(0.5)) / 1000)];
}

/**
 * For the tests of a describe: a new place before each, processes started on it with start(), and
 * after each every process stopped and the place removed.
 */
export function processesOn<S extends SubmissionStore>(kind: QueueKind<S>) {
  let place: Place;
  let running: Process[] = [];

  async function start(graders: number, limits: Partial<QueueLimits> = {}): Promise<Process> {
    const store = await kind.openStore(place.where);
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const pool = new SandboxPool({ size: graders, maxJobsPerProcess: 50 });
    const grader: Grader = { store, pool, assignments: ASSIGNMENTS, webhooks: null, log };
    const queue = await kind.queue({ where: place.where, store, grader, limits: { ...UNBOUNDED, ...limits } });
    await queue.start();
    const logged = (msg: string) =>
      lines.map((line) => JSON.parse(line) as { msg: string; submission_id: string; duration_ms: number }).filter((line) => line.msg === msg);
    let closing: Promise<number> | null = null;
    const close = (graceMs: number) => (closing ??= queue.close(graceMs));
    let stopping: Promise<void> | null = null;
    const p: Process = {
      queue,
      store,
      started: () => logged('grading started').map((line) => line.submission_id),
      gradedMs: () => logged('graded').map((line) => line.duration_ms),
      close,
      stop: () =>
        (stopping ??= (async () => {
          await close(0);
          await pool.close();
          await store.close();
        })()),
    };
    running.push(p);
    return p;
  }

  beforeEach(async () => {
    place = await kind.place();
  });
  afterEach(async () => {
    for (const p of running) await p.stop();
    running = [];
    await place.remove();
  });
  return { start, place: () => place };
}

/** Resolves once `p`'s log says that it started grading `id`. */
const startOf = (p: Process, id: string) => until(`the grading of ${id} to start`, () => (p.started().includes(id) ? true : undefined));

export function queueContract<S extends SubmissionStore>(name: string, kind: QueueKind<S>): void {
  describe(`${name}: the GradingQueue contract`, () => {
    const { start } = processesOn(kind);

    test('a submission is stored, graded, and waited for until it is done', async () => {
      const p = await start(1);
      const stored = await accepted(p.queue);
      assert.equal(stored.status, 'queued');
      assert.equal(stored.priority, 'live');
      assert.equal((await p.store.get(stored.id))?.assignment, TINY);
      const waited = await timed(() => p.queue.waitFor(stored.id, 20_000));
      assert.ok(waited < 15_000, `woken when it was done, not at the deadline: ${waited} ms`);
      const done = await p.store.get(stored.id);
      assert.equal(done?.status, 'done');
      assert.equal(done?.result?.status, 'passed', done?.result?.message);
      assert.deepEqual(p.started(), [stored.id]);
      for (const id of [stored.id, 'no-such-id']) {
        assert.ok((await timed(() => p.queue.waitFor(id, 10_000))) < 1000, `${id}: nothing to wait for`);
      }
      assert.equal(await p.queue.depth(), 0);
      assert.deepEqual(p.queue.running(), []);
    });

    test('refusals: a client past its share or its stored bytes, a full queue; each with its Retry-After, none stored', async () => {
      // Nothing grades: what is admitted stays queued. Before any grading, a grading is estimated
      // at FIRST_ESTIMATE_MS, and those ahead share one grader.
      const p = await start(0, { total: 3, perClient: 2, storedBytesPerClient: 2 * CODE_BYTES });
      await accepted(p.queue, { client: 'token:a' });
      await accepted(p.queue, { client: 'token:a' });
      assert.deepEqual(await p.queue.submit(submission({ client: 'token:a' })), {
        accepted: false,
        why: 'client_share',
        retryAfterS: (2 * FIRST_ESTIMATE_MS) / 1000,
      });
      assert.deepEqual(await p.queue.submit(submission({ client: 'token:s', code: 'x'.repeat(2 * CODE_BYTES + 1) })), {
        accepted: false,
        why: 'client_storage',
        retryAfterS: STORAGE_RETRY_AFTER_S,
      });
      await accepted(p.queue, { client: 'token:s', code: 'x'.repeat(2 * CODE_BYTES) });
      assert.deepEqual(await p.queue.submit(submission({ client: 'token:b' })), {
        accepted: false,
        why: 'full',
        retryAfterS: (3 * FIRST_ESTIMATE_MS) / 1000,
      });
      assert.equal(await p.queue.depth(), 3);
      assert.equal((await p.store.list({ limit: 10 })).items.length, 3);
    });

    test('submissions arriving together never pass a bound', async () => {
      const p = await start(0, { total: 5, storedBytesPerClient: 3 * CODE_BYTES });
      const one = await Promise.all(Array.from({ length: 8 }, () => p.queue.submit(submission({ client: 'token:x' }))));
      assert.equal(one.filter((a) => a.accepted).length, 3, "one client's stored bytes");
      assert.ok(one.every((a) => a.accepted || a.why === 'client_storage'));
      const many = await Promise.all(Array.from({ length: 8 }, (_, i) => p.queue.submit(submission({ client: `token:${i}` }))));
      assert.equal(many.filter((a) => a.accepted).length, 2, 'the whole queue');
      assert.ok(many.every((a) => a.accepted || a.why === 'full'));
      assert.equal(await p.queue.depth(), 5);
    });

    test('waitFor ends at its deadline, and at close; a closed queue refuses submissions and regrades', async () => {
      const p = await start(0);
      const queued = await accepted(p.queue);
      const waited = await timed(() => p.queue.waitFor(queued.id, 200));
      assert.ok(waited >= 150 && waited < 5000, `${waited} ms`);
      assert.equal((await p.store.get(queued.id))?.status, 'queued');

      const waiting = timed(() => p.queue.waitFor(queued.id, 60_000));
      assert.equal(await p.close(1000), 0);
      assert.ok((await waiting) < 5000, 'the waiter is let go at close');
      assert.deepEqual(await p.queue.submit(submission()), { accepted: false, why: 'closing', retryAfterS: CLOSING_RETRY_AFTER_S });
      assert.ok((await timed(() => p.queue.waitFor(queued.id, 60_000))) < 1000);
      // Done without the queue (nothing grades here), so that a regrade would take it.
      assert.equal(await p.store.finish(queued.id, gradeResult({ assignment: TINY })), true);
      assert.equal(await p.queue.regrade([queued.id]), 0);
      assert.equal((await p.store.get(queued.id))?.status, 'done');
    });

    test('live submissions go before regrades, which take no place in the bounds', async () => {
      const first = await start(1);
      const earlier = [await accepted(first.queue, { client: 'token:a' }), await accepted(first.queue, { client: 'token:b' })];
      for (const { id } of earlier) await first.queue.waitFor(id, 20_000);
      await first.stop();
      // Queued where nothing grades, so that the next process finds them all waiting at once.
      const api = await start(0, { total: 1 });
      assert.equal(await api.queue.regrade([...earlier.map((s) => s.id), 'no-such-id']), 2, 'done ones only');
      const live = await accepted(api.queue, { client: 'token:c' });
      assert.deepEqual(await api.queue.submit(submission({ client: 'token:d' })), {
        accepted: false,
        why: 'full',
        retryAfterS: FIRST_ESTIMATE_MS / 1000,
      });
      assert.equal(await api.queue.depth(), 1);
      await api.stop();

      const next = await start(1);
      await until('the regrades to finish', async () => {
        const now = await Promise.all(earlier.map((s) => next.store.get(s.id)));
        return now.every((s) => s?.status === 'done') ? true : undefined;
      });
      const [firstStarted, ...rest] = next.started();
      assert.equal(firstStarted, live.id, `the live one first: ${next.started().join(', ')}`);
      assert.deepEqual(rest.sort(), earlier.map((s) => s.id).sort(), 'each regrade once');
      assert.equal((await next.store.get(live.id))?.status, 'done');
    });

    test("Retry-After takes the time of those ahead from this process's gradings", async () => {
      const p = await start(1, { total: 5 });
      for (let i = 0; i < 2; i++) await p.queue.waitFor((await accepted(p.queue)).id, 20_000);
      // One runs until its time limit, four wait behind it.
      for (let i = 0; i < 5; i++) await accepted(p.queue, { code: INFINITE });
      const full = await p.queue.submit(submission({ client: 'token:other' }));
      assert.ok(!full.accepted && full.why === 'full', JSON.stringify(full));
      const [least, most] = retryAfterRange(p.gradedMs(), 5);
      assert.ok(full.retryAfterS >= least && full.retryAfterS <= most, `${full.retryAfterS} s, not in [${least}, ${most}]`);
    });

    test('forget takes a waiting submission out, not a running one; running() names what runs here', async () => {
      const p = await start(1);
      const busy = await accepted(p.queue, { code: INFINITE });
      const running = await until('the grading to run in a sandbox process', () => p.queue.running().find((r) => r.pid !== undefined));
      assert.equal(running.id, busy.id);
      assert.equal(running.attempt, 1);
      const waiting = await accepted(p.queue);
      assert.equal(await p.queue.depth(), 2);
      assert.equal(await p.queue.forget(busy.id), false);
      assert.equal(await p.queue.forget(waiting.id), true);
      assert.equal(await p.store.delete(waiting.id), true);
      assert.equal(await p.queue.depth(), 1, 'the forgotten one is no longer counted');
      assert.deepEqual(p.started(), [busy.id]);
    });

    test('close lets a running grading finish within its grace', async () => {
      const p = await start(1);
      const stuck = await accepted(p.queue, { code: INFINITE });
      await startOf(p, stuck.id);
      assert.equal(await p.close(20_000), 0);
      const done = await p.store.get(stuck.id);
      assert.equal(done?.result?.reason, 'timeout', 'graded to the end: its time limit');
      assert.deepEqual(p.queue.running(), []);
    });

    test('close hands back a grading that outlasts its grace, and the next start takes it up', async () => {
      const first = await start(1);
      const stuck = await accepted(first.queue, { code: INFINITE });
      await startOf(first, stuck.id);
      assert.equal(await first.close(100), 1);
      await first.stop();
      const next = await start(1);
      await startOf(next, stuck.id);
      const again = await next.store.get(stuck.id);
      assert.equal(again?.status, 'running');
      assert.equal(again?.attempts, 2, 'both starts counted');
    });
  });
}
