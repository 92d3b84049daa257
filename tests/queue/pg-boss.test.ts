// The queue contract on pg-boss over PostgreSQL, a database of each test's own; then what only it
// does: processes on one database share the bounds and hear each other's results, and a queue an
// earlier version made is brought to the current settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PgBoss } from 'pg-boss';
import { BOSS_OPTIONS, PgBossQueue } from '../../src/queue/index.ts';
import { GRADING_QUEUE, HEARTBEAT_S } from '../../src/queue/pg-boss-queue.ts';
import { MAX_STARTS } from '../../src/queue/queue.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { until } from '../http/support.ts';
import { testDatabase } from '../support/postgres.ts';
import { accepted, processesOn, queueContract, submission, type QueueKind } from './contract.ts';

const PG_BOSS: QueueKind<PostgresStore> = {
  async place() {
    const database = await testDatabase();
    return { where: database.url, remove: () => database.drop() };
  },
  openStore: (url) => PostgresStore.open(url),
  async queue({ where, store, grader, limits }) {
    const boss = new PgBoss({ connectionString: where, ...BOSS_OPTIONS });
    boss.on('error', (error) => grader.log.error({ err: error }, 'pg-boss'));
    await boss.start();
    // A process whose pool is empty is an API process alone: it submits and waits, never grades.
    return new PgBossQueue(store, boss, grader.pool.size > 0 ? grader : null, limits, grader.log);
  },
};

queueContract('PgBossQueue', PG_BOSS);

describe('PgBossQueue: processes on one database', () => {
  const { start, place } = processesOn(PG_BOSS);

  test("the bounds hold across processes: one client's share, and the whole queue", async () => {
    const limits = { total: 3, perClient: 2 };
    const [a, b] = [await start(0, limits), await start(0, limits)];
    await accepted(a.queue, { client: 'token:x' });
    await accepted(b.queue, { client: 'token:x' });
    for (const p of [a, b]) {
      const refused = await p.queue.submit(submission({ client: 'token:x' }));
      assert.ok(!refused.accepted && refused.why === 'client_share', JSON.stringify(refused));
    }
    await accepted(b.queue, { client: 'token:y' });
    const full = await a.queue.submit(submission({ client: 'token:z' }));
    assert.ok(!full.accepted && full.why === 'full', JSON.stringify(full));
    assert.deepEqual([await a.queue.depth(), await b.queue.depth()], [3, 3]);
  });

  test('an API process that grades nothing is woken by the result a worker stored', async () => {
    const api = await start(0);
    const worker = await start(1);
    const { id } = await accepted(api.queue);
    let wokenAt = 0;
    const waiting = api.queue.waitFor(id, 20_000).then(() => (wokenAt = Date.now()));
    await until('the worker to store the result', async () => ((await api.store.get(id))?.status === 'done' ? true : undefined));
    const seenAt = Date.now();
    await waiting;
    // At once, by the notification: its re-reading of waited-for submissions comes seconds apart.
    assert.ok(wokenAt - seenAt < 1000, `woken ${wokenAt - seenAt} ms after the result was seen stored`);
    assert.deepEqual(worker.started(), [id]);
    assert.deepEqual(api.started(), []);
  });

  test('a grading queue made with other settings (an earlier version) is brought to the current ones', async () => {
    const boss = new PgBoss({ connectionString: place().where });
    await boss.start();
    try {
      await boss.createQueue(GRADING_QUEUE, { retryLimit: 5, expireInSeconds: 60 });
      await start(0);
      const queue = await boss.getQueue(GRADING_QUEUE);
      assert.equal(queue?.retryLimit, MAX_STARTS);
      assert.equal(queue?.heartbeatSeconds, HEARTBEAT_S);
      assert.equal(queue?.notify, true);
    } finally {
      await boss.stop();
    }
  });
});
