// The pg-boss queue's promises, in one process with one sandbox process on a real PostgreSQL:
// live submissions go before regrades, one client's share is bounded across the whole database,
// and a worker that stops hands its unfinished grading back.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PgBoss } from 'pg-boss';
import { GRADING_QUEUE, HEARTBEAT_S } from '../../src/queue/pg-boss-queue.ts';
import { MAX_STARTS } from '../../src/queue/queue.ts';
import { finished, PASSING, slowPassing, startTestService, TINY, until, type TestService } from '../http/support.ts';
import { testDatabase } from '../support/postgres.ts';

const databases: Awaited<ReturnType<typeof testDatabase>>[] = [];
const started: TestService[] = [];

after(async () => {
  for (const t of started) await t.close();
  for (const db of databases) await db.drop();
});

/** A database of the test's own, so that no other test's process grades its queue. */
async function database(): Promise<string> {
  const db = await testDatabase();
  databases.push(db);
  return db.url;
}

async function service(url: string, env: Record<string, string> = {}): Promise<TestService> {
  const t = await startTestService({ MEMGRADE_DATABASE_URL: url, ...env });
  started.push(t);
  return t;
}

const startOrder = (t: TestService) =>
  t.logs.filter((l) => l.includes('"msg":"grading started"')).map((l) => (JSON.parse(l) as { submission_id: string }).submission_id);

test('live submissions are graded before regrades, whichever was queued first', async () => {
  const t = await service(await database());
  const students = ['ada', 'bob', 'cy'];
  for (const student of students) {
    const res = await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, student }).expect(202);
    await finished(t.http, res.body.id);
  }
  // The one sandbox process is busy first, so that what follows queues up behind it.
  const busy = (await t.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(800), student: 'busy' }).expect(202)).body.id;
  await until('the busy grading to start', () => (startOrder(t).includes(busy) ? true : undefined));
  const regrade = await t.http.post(`/v1/assignments/${TINY}/regrade`).expect(202);
  // Every student's latest but the one being graded now.
  assert.equal(regrade.body.regrading, students.length);
  const live = (await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, student: 'late' }).expect(202)).body.id;
  await finished(t.http, live);
  const book = await until('the regrades to finish', async () => {
    const body = (await t.http.get(`/v1/assignments/${TINY}/gradebook`).expect(200)).body as { rows: { latest: { status: string } }[] };
    return body.rows.every((r) => r.latest.status === 'done') ? body : undefined;
  });
  assert.equal(book.rows.length, students.length + 2);
  const order = startOrder(t);
  const afterBusy = order.slice(order.indexOf(busy) + 1);
  assert.equal(afterBusy[0], live, `the live submission ran first after the busy one: ${afterBusy.join(', ')}`);
  assert.equal(afterBusy.length, 1 + students.length, 'each regrade ran once');
});

test('one client\'s share is bounded across every process on the database: 429 past it, with Retry-After', async () => {
  const url = await database();
  const a = await service(url, { MEMGRADE_QUEUE_PER_CLIENT: '2', MEMGRADE_POOL_SIZE: '0' });
  const b = await service(url, { MEMGRADE_QUEUE_PER_CLIENT: '2', MEMGRADE_POOL_SIZE: '0' });
  // Both processes grade nothing, so what is admitted stays queued.
  await a.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(202);
  await b.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(202);
  const refused = await a.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(429);
  assert.equal(refused.body.error, 'too_many_requests');
  assert.match(refused.headers['retry-after'], /^\d+$/);
  await b.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(429);
});

test('a worker that stops mid-grading hands the grading back: another process finishes it', async () => {
  const url = await database();
  const leaving = await service(url, { MEMGRADE_SHUTDOWN_GRACE_MS: '100' });
  const id = (await leaving.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(1000) }).expect(202)).body.id;
  await until('the grading to start', () => (startOrder(leaving).includes(id) ? true : undefined));
  await leaving.close();
  started.splice(started.indexOf(leaving), 1);
  const staying = await service(url);
  const done = await finished(staying.http, id);
  assert.equal(done.result.status, 'passed', done.result.message);
  assert.deepEqual(startOrder(staying), [id]);
});

test('a grading queue made with other settings (an earlier version) is brought to the current ones', async () => {
  const url = await database();
  const boss = new PgBoss({ connectionString: url });
  await boss.start();
  await boss.createQueue(GRADING_QUEUE, { retryLimit: 5, expireInSeconds: 60 });
  await service(url, { MEMGRADE_POOL_SIZE: '0' });
  const queue = await boss.getQueue(GRADING_QUEUE);
  await boss.stop();
  assert.equal(queue?.retryLimit, MAX_STARTS);
  assert.equal(queue?.heartbeatSeconds, HEARTBEAT_S);
  assert.equal(queue?.notify, true);
});
