// What every SubmissionStore must do, run against each backend (sqlite.test.ts, postgres.test.ts):
// the queue, the routes and the deliverer rely on these answers whichever store is configured.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GradeResult } from '../../src/grading/result.ts';
import {
  InvalidCursorError,
  TokenNameTakenError,
  type NewDelivery,
  type NewSubmission,
  type StoredSubmission,
  type SubmissionStore,
} from '../../src/store/store.ts';

export interface OpenedStore {
  store: SubmissionStore;
  /** Once the store is closed: removes what it stored. */
  remove(): Promise<void>;
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function newSubmission(change: Partial<NewSubmission> = {}): NewSubmission {
  return {
    assignment: 'sum-array',
    code: 'function process_data() {\n  return "\u00e9\u{1F600}";\n}\n',
    student: 'ada',
    client: 'token:ada',
    requestId: 'req-1',
    callbackUrl: null,
    ...change,
  };
}

/**
 * A result as the engine makes one. Its keys are in the schema's order, which is not the order a
 * JSON column (jsonb) would keep: a store that reorders them fails the tests that compare text.
 */
export function gradeResult(change: Partial<GradeResult> = {}): GradeResult {
  return {
    assignment: 'sum-array',
    status: 'failed',
    reason: 'memory_limit',
    message: 'peak 2,048 bytes is over the limit of 1,024 bytes',
    correct: true,
    check: { correct: true, message: null, first_bad_index: null },
    hidden_check: null,
    peak_bytes: 2048,
    peak_external_bytes: 2000,
    peak_heap_bytes: 48,
    limit_bytes: 1024,
    peak_step: 'load',
    steps: [{ name: 'load', calls: 1, allocated_bytes: 2048, peak_live_bytes: 2048, live_after_bytes: 0, duration_ms: 0.25 }],
    live_at_peak: [],
    explanation: null,
    untracked_at_peak_bytes: 0,
    allocations: [],
    timeline: [],
    error: null,
    limits: { peak_bytes: 1024, memory_cap_bytes: 1 << 26, timeout_ms: 5000, cpu_time_ms: 5000, max_code_bytes: 65536 },
    measurement: { gc_count: 2, measure_ms: 1.5, tolerance_bytes: 0, heap_figure: 'data_spaces' },
    duration_ms: 12.5,
    score: 2.5,
    max_score: 10,
    score_parts: [
      { part: 'correct', score: 2.5, max_score: 5 },
      { part: 'memory', score: 0, max_score: 5 },
    ],
    versions: { memgrade: '0.1.0', node: '24.21.0', v8: '13.6', isolated_vm: '7.0.1' },
    ...change,
  };
}

let deliveries = 0;
export function newDelivery(submissionId: string): NewDelivery {
  deliveries++;
  return { id: `msg_${deliveries}_${submissionId}`, submissionId, url: 'https://hooks.example.test/done', payload: `{"n":${deliveries}}` };
}

const later = (ms: number) => new Date(Date.now() + ms).toISOString();

export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name}: the SubmissionStore contract`, () => {
    let opened: OpenedStore;
    let store: SubmissionStore;
    let closed: boolean;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      closed = false;
    });
    afterEach(async () => {
      if (!closed) await store.close();
      await opened.remove();
    });

    test('insert answers the stored submission, get and code read it back', async () => {
      const stored = await store.insert(newSubmission({ callbackUrl: 'https://hooks.example.test/x' }));
      assert.equal(stored.status, 'queued');
      assert.equal(stored.priority, 'live');
      assert.equal(stored.attempts, 0);
      assert.equal(stored.result, null);
      assert.equal(stored.startedAt, null);
      assert.equal(stored.finishedAt, null);
      assert.match(stored.createdAt, ISO);
      assert.deepEqual(
        { assignment: stored.assignment, student: stored.student, client: stored.client, requestId: stored.requestId, callbackUrl: stored.callbackUrl },
        { assignment: 'sum-array', student: 'ada', client: 'token:ada', requestId: 'req-1', callbackUrl: 'https://hooks.example.test/x' },
      );
      assert.deepEqual(await store.get(stored.id), stored);
      assert.equal(await store.code(stored.id), newSubmission().code);
      const anonymous = await store.insert(newSubmission({ student: null, code: 'a\u0000b' }));
      assert.equal((await store.get(anonymous.id))?.student, null);
      assert.equal(await store.code(anonymous.id), 'a\u0000b', 'the code exactly as sent, U+0000 included');
      assert.notEqual(anonymous.id, stored.id);
      assert.equal(await store.get('no-such-id'), null);
      assert.equal(await store.code('no-such-id'), null);
    });

    test('list pages newest first with a cursor, filters, and shows verdicts', async () => {
      const made: StoredSubmission[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await store.insert(newSubmission({ assignment: i % 2 ? 'b' : 'a', student: i < 3 ? 'ada' : 'bob', client: i < 3 ? 'token:ada' : 'token:bob' })),
        );
      }
      const ids = made.map((s) => s.id).reverse();
      const first = await store.list({ limit: 2 });
      assert.deepEqual(
        first.items.map((s) => s.id),
        ids.slice(0, 2),
      );
      assert.ok(first.next);
      const second = await store.list({ limit: 2, cursor: first.next });
      assert.deepEqual(
        second.items.map((s) => s.id),
        ids.slice(2, 4),
      );
      const last = await store.list({ limit: 2, cursor: second.next ?? undefined });
      assert.deepEqual(
        last.items.map((s) => s.id),
        ids.slice(4),
      );
      assert.equal(last.next, null);
      assert.equal((await store.list({ limit: 5 })).next, null, 'no cursor when the page holds the rest exactly');

      const byAssignment = await store.list({ limit: 10, assignment: 'b' });
      assert.deepEqual(
        byAssignment.items.map((s) => s.id),
        [made[3].id, made[1].id],
      );
      const byStudent = await store.list({ limit: 10, student: 'bob' });
      assert.deepEqual(
        byStudent.items.map((s) => s.id),
        [made[4].id, made[3].id],
      );
      const byClient = await store.list({ limit: 10, client: 'token:ada', assignment: 'a' });
      assert.deepEqual(
        byClient.items.map((s) => s.id),
        [made[2].id, made[0].id],
      );

      await store.finish(made[0].id, gradeResult({ peak_bytes: null }));
      const items = (await store.list({ limit: 10 })).items;
      const listed = items.find((s) => s.id === made[0].id);
      assert.ok(listed);
      assert.equal('result' in listed, false);
      assert.deepEqual(listed.verdict, {
        status: 'failed',
        reason: 'memory_limit',
        message: 'peak 2,048 bytes is over the limit of 1,024 bytes',
        peak_bytes: null,
        limit_bytes: 1024,
        score: 2.5,
        max_score: 10,
      });
      assert.equal(listed.status, 'done');
      assert.equal(items.find((s) => s.id === made[1].id)?.verdict, null);
      const { verdict: _verdict, ...common } = listed;
      const { result: _result, ...got } = (await store.get(made[0].id))!;
      assert.deepEqual(common, got, 'a listed submission is the stored one, its result left out');
    });

    test('a cursor the store did not hand out is refused', async () => {
      await store.insert(newSubmission());
      await assert.rejects(store.list({ limit: 1, cursor: 'not-a-cursor' }), InvalidCursorError);
      await assert.rejects(store.list({ limit: 1, cursor: Buffer.from('s-1').toString('base64url') }), InvalidCursorError);
      await assert.rejects(store.list({ limit: 1, cursor: '' }), InvalidCursorError);
    });

    test('a cursor tells nothing of the position it stands for, and opens in its own store only', async () => {
      for (let i = 0; i < 3; i++) await store.insert(newSubmission());
      const { next } = await store.list({ limit: 1 });
      assert.ok(next);
      assert.equal((await store.list({ limit: 1, cursor: next })).items.length, 1);
      // What cursors used to be, the base64 of `s` and the row's sequence number: the count of
      // every submission the service has taken, to anyone who can list.
      for (const seq of [1, 2, 3, 4]) {
        await assert.rejects(store.list({ limit: 1, cursor: Buffer.from(`s${seq}`).toString('base64url') }), InvalidCursorError);
      }
      const bytes = Buffer.from(next, 'base64url');
      for (const at of [0, bytes.length >> 1, bytes.length - 1]) {
        const forged = Buffer.from(bytes);
        forged[at] ^= 1;
        await assert.rejects(store.list({ limit: 1, cursor: forged.toString('base64url') }), InvalidCursorError, `byte ${at} changed`);
      }
      await assert.rejects(store.list({ limit: 1, cursor: `${next}A` }), InvalidCursorError);

      const other = await open();
      try {
        for (let i = 0; i < 3; i++) await other.store.insert(newSubmission());
        const foreign = (await other.store.list({ limit: 1 })).next;
        assert.ok(foreign);
        await assert.rejects(store.list({ limit: 1, cursor: foreign }), InvalidCursorError, "another database's cursor");
      } finally {
        await other.store.close();
        await other.remove();
      }
    });

    test('claim marks running and counts the start; null when done or gone', async () => {
      const { id } = await store.insert(newSubmission());
      const claimed = await store.claim(id);
      assert.equal(claimed?.status, 'running');
      assert.equal(claimed?.attempts, 1);
      assert.match(claimed?.startedAt ?? '', ISO);
      assert.deepEqual(await store.get(id), claimed);
      assert.equal((await store.claim(id))?.attempts, 2, 'a job run again after a crash claims it again');
      assert.equal(await store.finish(id, gradeResult()), true);
      assert.equal(await store.claim(id), null);
      assert.equal((await store.get(id))?.attempts, 2);
      assert.equal(await store.claim('no-such-id'), null);
    });

    test('finish stores the result once, with its delivery; a second finish stores nothing', async () => {
      const { id } = await store.insert(newSubmission({ callbackUrl: 'https://hooks.example.test/done' }));
      await store.claim(id);
      const result = gradeResult();
      const delivery = newDelivery(id);
      assert.equal(await store.finish(id, result, delivery), true);
      const done = await store.get(id);
      assert.equal(done?.status, 'done');
      assert.match(done?.finishedAt ?? '', ISO);
      assert.deepEqual(done?.result, result);
      assert.equal(JSON.stringify(done?.result), JSON.stringify(result), 'the result keeps its keys in their order');

      assert.equal(await store.finish(id, gradeResult({ status: 'passed', reason: null, score: 10 }), newDelivery(id)), false);
      assert.equal(JSON.stringify((await store.get(id))?.result), JSON.stringify(result));
      assert.equal((await store.get(id))?.finishedAt, done?.finishedAt);
      const taken = await store.takeDueDeliveries(later(0), later(60_000), 10);
      assert.deepEqual(
        taken.map((d) => [d.id, d.submissionId, d.url, d.payload]),
        [[delivery.id, id, delivery.url, delivery.payload]],
      );

      assert.equal(await store.finish('no-such-id', result, newDelivery('no-such-id')), false);
      assert.deepEqual(await store.takeDueDeliveries(later(0), later(180_000), 10), [], 'no delivery for a finish that stored nothing');
      assert.equal(await store.nextDeliveryAt(), taken[0].nextAttemptAt);
    });

    test('finish works on a queued submission, as recovery finishes one it will not start again', async () => {
      const { id } = await store.insert(newSubmission());
      assert.equal(await store.finish(id, gradeResult({ status: 'error', reason: 'internal' })), true);
      assert.equal((await store.get(id))?.result?.reason, 'internal');
    });

    test('a result keeps strings no JSON column type would (U+0000, lone surrogates)', async () => {
      const { id } = await store.insert(newSubmission());
      const result = gradeResult({
        message: 'thrown: a\u0000b',
        error: { name: 'Error', message: 'a\u0000b \ud800', line: 1, column: 2, stack: null },
      });
      assert.equal(await store.finish(id, result), true);
      assert.equal(JSON.stringify((await store.get(id))?.result), JSON.stringify(result));
      const [listed] = (await store.list({ limit: 1 })).items;
      assert.equal(listed.verdict?.status, 'failed');
      assert.match(listed.verdict?.message ?? '', /^thrown: a.b$/);
      assert.equal((await store.gradebook('sum-array'))[0].score, 2.5);
    });

    test('requeueForRegrade puts done submissions back below live ones and answers their ids', async () => {
      const a = await store.insert(newSubmission());
      const b = await store.insert(newSubmission());
      const queued = await store.insert(newSubmission());
      await store.claim(a.id);
      await store.finish(a.id, gradeResult());
      await store.finish(b.id, gradeResult());
      const requeued = await store.requeueForRegrade([b.id, queued.id, 'no-such-id', a.id, b.id]);
      assert.deepEqual(requeued, [b.id, a.id], 'done ones only, once each, in the order asked');
      for (const id of [a.id, b.id]) {
        const again = await store.get(id);
        assert.equal(again?.status, 'queued');
        assert.equal(again?.priority, 'regrade');
        assert.equal(again?.result, null);
        assert.equal(again?.attempts, 0);
        assert.equal(again?.startedAt, null);
        assert.equal(again?.finishedAt, null);
      }
      assert.equal((await store.get(queued.id))?.priority, 'live');
      const listed = (await store.list({ limit: 10 })).items.find((s) => s.id === a.id);
      assert.equal(listed?.verdict, null, 'the cleared result shows no verdict');
      assert.equal((await store.gradebook('sum-array')).find((e) => e.id === a.id)?.score, null);
      assert.deepEqual(await store.requeueForRegrade([]), []);
    });

    test('waiting counts live queued and running submissions, everyone’s or one client’s', async () => {
      assert.equal(await store.waiting(), 0);
      const a1 = await store.insert(newSubmission({ client: 'token:a' }));
      const a2 = await store.insert(newSubmission({ client: 'token:a' }));
      await store.insert(newSubmission({ client: 'token:b' }));
      const regraded = await store.insert(newSubmission({ client: 'token:b' }));
      await store.finish(regraded.id, gradeResult());
      assert.deepEqual(await store.requeueForRegrade([regraded.id]), [regraded.id]);
      await store.claim(a1.id);
      assert.equal(await store.waiting(), 3);
      assert.equal(await store.waiting('token:a'), 2);
      assert.equal(await store.waiting('token:b'), 1, 'the regrade is not counted');
      assert.equal(await store.waiting('token:c'), 0);
      await store.finish(a2.id, gradeResult());
      assert.equal(await store.waiting('token:a'), 1);
      assert.equal(await store.waiting(), 2);
    });

    test('gradebook: oldest first, verdicts and scores as numbers', async () => {
      const first = await store.insert(newSubmission({ student: 'ada' }));
      const second = await store.insert(newSubmission({ student: null, client: 'address:10.0.0.1' }));
      await store.insert(newSubmission({ assignment: 'other' }));
      await store.finish(first.id, gradeResult({ status: 'passed', reason: null, message: 'ok', peak_bytes: 512, score: 10, max_score: 10 }));
      const book = await store.gradebook('sum-array');
      assert.deepEqual(book, [
        {
          id: first.id,
          student: 'ada',
          client: 'token:ada',
          status: 'done',
          createdAt: first.createdAt,
          verdict: { status: 'passed', reason: null, message: 'ok', peak_bytes: 512, limit_bytes: 1024, score: 10, max_score: 10 },
          score: 10,
          maxScore: 10,
        },
        {
          id: second.id,
          student: null,
          client: 'address:10.0.0.1',
          status: 'queued',
          createdAt: second.createdAt,
          verdict: null,
          score: null,
          maxScore: null,
        },
      ]);
      await store.finish(second.id, gradeResult({ score: 2.25, max_score: 7.5 }));
      const [, graded] = await store.gradebook('sum-array');
      assert.equal(graded.score, 2.25);
      assert.equal(graded.maxScore, 7.5);
      assert.equal(graded.verdict?.peak_bytes, 2048);
      assert.deepEqual(await store.gradebook('no-such-assignment'), []);
    });

    test('takeDueDeliveries leases: taken ones are not taken again until the lease ends', async () => {
      assert.deepEqual(await store.takeDueDeliveries(later(0), later(1000), 10), []);
      const sent: NewDelivery[] = [];
      for (let i = 0; i < 3; i++) {
        const { id } = await store.insert(newSubmission());
        const delivery = newDelivery(id);
        sent.push(delivery);
        await store.finish(id, gradeResult(), delivery);
      }
      const now = later(0);
      const lease = later(30_000);
      const taken = await store.takeDueDeliveries(now, lease, 2);
      assert.equal(taken.length, 2);
      assert.equal(new Set(taken.map((d) => d.id)).size, 2);
      for (const d of taken) {
        assert.equal(d.status, 'pending');
        assert.equal(d.attempts, 0);
        assert.equal(d.nextAttemptAt, lease, 'answered as they now are: due again at the lease’s end');
        assert.equal(d.lastStatus, null);
        assert.equal(d.lastError, null);
      }
      const rest = await store.takeDueDeliveries(now, lease, 10);
      assert.equal(rest.length, 1);
      assert.deepEqual(
        new Set([...taken, ...rest].map((d) => d.id)),
        new Set(sent.map((d) => d.id)),
      );
      assert.deepEqual(await store.takeDueDeliveries(now, lease, 10), [], 'taken ones are not due again before the lease ends');
      assert.equal(await store.nextDeliveryAt(), lease);
      const again = await store.takeDueDeliveries(lease, later(60_000), 10);
      assert.equal(again.length, 3, 'a lease that ran out (its taker died) makes them due again');
    });

    test('takeDueDeliveries answers the oldest due first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { id } = await store.insert(newSubmission());
        const delivery = newDelivery(id);
        ids.push(delivery.id);
        await store.finish(id, gradeResult(), delivery);
        await sleep(2);
      }
      // Due in the reverse order of their creation.
      const base = Date.now() - 10_000;
      for (const [i, id] of ids.entries()) {
        await store.updateDelivery(id, {
          status: 'pending',
          attempts: 1,
          nextAttemptAt: new Date(base - i * 1000).toISOString(),
          lastStatus: 503,
          lastError: null,
        });
      }
      const taken = await store.takeDueDeliveries(later(0), later(1000), 10);
      assert.deepEqual(
        taken.map((d) => d.id),
        [...ids].reverse(),
      );
      const limited = await store.takeDueDeliveries(later(5000), later(6000), 1);
      assert.deepEqual(
        limited.map((d) => d.id),
        [ids[0]],
        'ties in due time (all leased to the same end) go by age',
      );
    });

    test('updateDelivery records a try; delivered and given-up ones are never due', async () => {
      const a = await store.insert(newSubmission());
      const b = await store.insert(newSubmission());
      const da = newDelivery(a.id);
      const db = newDelivery(b.id);
      assert.equal(await store.nextDeliveryAt(), null);
      await store.finish(a.id, gradeResult(), da);
      const first = await store.nextDeliveryAt();
      assert.match(first ?? '', ISO);
      assert.ok(Date.parse(first!) <= Date.now());
      await store.finish(b.id, gradeResult(), db);

      const retryAt = later(5000);
      await store.updateDelivery(da.id, { status: 'pending', attempts: 1, nextAttemptAt: retryAt, lastStatus: 500, lastError: null });
      await store.updateDelivery(db.id, { status: 'delivered', attempts: 1, nextAttemptAt: later(0), lastStatus: 204, lastError: null });
      assert.equal(await store.nextDeliveryAt(), retryAt);
      assert.deepEqual(await store.takeDueDeliveries(later(0), later(1000), 10), []);
      const [retried] = await store.takeDueDeliveries(retryAt, later(60_000), 10);
      assert.deepEqual(
        { ...retried, nextAttemptAt: undefined },
        { ...da, status: 'pending', attempts: 1, nextAttemptAt: undefined, lastStatus: 500, lastError: null },
      );
      await store.updateDelivery(da.id, { status: 'failed', attempts: 2, nextAttemptAt: retryAt, lastStatus: null, lastError: 'connect ECONNREFUSED' });
      assert.equal(await store.nextDeliveryAt(), null);
      assert.deepEqual(await store.takeDueDeliveries(later(86_400_000), later(86_400_001), 10), []);
    });

    test('requeue puts back a running submission only; recover puts back all, live before regrades, oldest first', async () => {
      const regrade = await store.insert(newSubmission());
      await store.finish(regrade.id, gradeResult());
      await store.requeueForRegrade([regrade.id]);
      const running = await store.insert(newSubmission());
      const queued = await store.insert(newSubmission());
      const alsoRunning = await store.insert(newSubmission());
      const done = await store.insert(newSubmission());
      await store.claim(running.id);
      await store.claim(alsoRunning.id);
      await store.finish(done.id, gradeResult());

      await store.requeue(alsoRunning.id);
      const back = await store.get(alsoRunning.id);
      assert.equal(back?.status, 'queued');
      assert.equal(back?.startedAt, null);
      assert.equal(back?.attempts, 1, 'the start still counts');
      await store.requeue(done.id);
      assert.equal((await store.get(done.id))?.status, 'done', 'requeue leaves a done submission done');
      await store.claim(alsoRunning.id);

      const recovered = await store.recover();
      assert.deepEqual(
        recovered.map((s) => s.id),
        [running.id, queued.id, alsoRunning.id, regrade.id],
      );
      assert.ok(recovered.every((s) => s.status === 'queued' && s.startedAt === null));
      assert.deepEqual(
        recovered.map((s) => s.attempts),
        [1, 0, 2, 0],
      );
      assert.equal((await store.get(running.id))?.status, 'queued');
    });

    test('delete and deleteCreatedBefore remove submissions', async () => {
      const a = await store.insert(newSubmission());
      const b = await store.insert(newSubmission());
      assert.equal(await store.delete(a.id), true);
      assert.equal(await store.delete(a.id), false);
      assert.equal(await store.get(a.id), null);
      assert.equal(await store.code(a.id), null);
      assert.equal(await store.deleteCreatedBefore(new Date(Date.parse(b.createdAt) - 60_000).toISOString()), 0);
      await store.insert(newSubmission());
      assert.equal(await store.deleteCreatedBefore(later(60_000)), 2);
      assert.deepEqual((await store.list({ limit: 10 })).items, []);
    });

    test('delete and deleteCreatedBefore remove the webhook deliveries of what they remove', async () => {
      const graded = async () => {
        const { id } = await store.insert(newSubmission());
        await store.finish(id, gradeResult(), newDelivery(id));
        return id;
      };
      const old = [await graded(), await graded()];
      await sleep(5);
      const cut = later(0);
      await sleep(5);
      const kept = await graded();
      const deleted = await graded();
      assert.equal(await store.delete(deleted), true);
      assert.equal(await store.deleteCreatedBefore(cut), old.length);
      const left = await store.takeDueDeliveries(later(1000), later(60_000), 100);
      assert.deepEqual(
        left.map((d) => d.submissionId),
        [kept],
      );
    });

    test('storedBytes counts the UTF-8 bytes of the code and results a client keeps', async () => {
      assert.equal(await store.storedBytes('token:ada'), 0);
      const code = '\u00e9\u{1F600}\u0000x';
      const mine = await store.insert(newSubmission({ code, client: 'token:ada' }));
      const other = await store.insert(newSubmission({ code: 'abc', client: 'token:bob' }));
      assert.equal(await store.storedBytes('token:ada'), 8);
      const result = gradeResult({ message: '\u00e9 \u{1F600}' });
      await store.finish(mine.id, result);
      const whole = 8 + Buffer.byteLength(JSON.stringify(result));
      assert.equal(await store.storedBytes('token:ada'), whole);
      assert.deepEqual(await store.requeueForRegrade([mine.id]), [mine.id]);
      assert.equal(await store.storedBytes('token:ada'), 8, 'a result cleared for a regrade takes nothing');
      await store.finish(mine.id, result);
      assert.equal(await store.storedBytes('token:ada'), whole);
      assert.equal(await store.storedBytes('token:bob'), 3);
      await store.delete(mine.id);
      assert.equal(await store.storedBytes('token:ada'), 0);
      await store.deleteCreatedBefore(later(60_000));
      assert.equal(await store.storedBytes('token:bob'), 0, `${other.id} removed`);
    });

    test('tokens: add, names unique, list by name, find notes the use, revoke, count', async () => {
      assert.equal(await store.countTokens(), 0);
      const teacher = await store.addToken({ name: 'teacher', role: 'instructor', digest: 'd1' });
      assert.equal(teacher.name, 'teacher');
      assert.equal(teacher.role, 'instructor');
      assert.match(teacher.createdAt, ISO);
      assert.equal(teacher.lastUsedAt, null);
      await store.addToken({ name: 'alice', role: 'student', digest: 'd2' });
      await assert.rejects(store.addToken({ name: 'teacher', role: 'student', digest: 'd3' }), TokenNameTakenError);
      assert.equal(await store.countTokens(), 2);
      assert.deepEqual(
        (await store.listTokens()).map((t) => [t.name, t.role]),
        [
          ['alice', 'student'],
          ['teacher', 'instructor'],
        ],
      );

      const found = await store.findToken('d1');
      assert.equal(found?.id, teacher.id);
      assert.match(found?.lastUsedAt ?? '', ISO);
      const again = await store.findToken('d1');
      assert.equal(again?.lastUsedAt, found?.lastUsedAt, 'a use within the minute is not written again');
      assert.equal((await store.listTokens()).find((t) => t.name === 'teacher')?.lastUsedAt, found?.lastUsedAt);
      assert.equal(await store.findToken('no-such-digest'), null);

      assert.equal(await store.revokeToken('teacher'), true);
      assert.equal(await store.revokeToken('teacher'), false);
      assert.equal(await store.findToken('d1'), null);
      assert.equal(await store.countTokens(), 1);
      const reused = await store.addToken({ name: 'teacher', role: 'student', digest: 'd4' });
      assert.equal(reused.role, 'student', 'a revoked name can be given again');
    });

    test('ping answers true while open, false once closed', async () => {
      assert.equal(await store.ping(), true);
      closed = true;
      await store.close();
      assert.equal(await store.ping(), false);
    });
  });
}
