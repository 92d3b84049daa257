// Scaled out on PostgreSQL as docs/scale-out.md runs it: two API processes that grade nothing and
// three workers, each process with a data folder of its own, on one real database. A worker is
// killed (SIGKILL) in the middle of a grading; every accepted submission must still be done, with
// its right verdict, readable from either API process, and a submission's own fault graded once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { finished, PASSING, slowPassing, STARTER, TINY, until } from '../http/support.ts';
import { startApi, startWorkerProcess, type Started, type StartedApi } from '../processes.ts';
import { testDatabase } from '../support/postgres.ts';

const dirs: string[] = [];
let database: Awaited<ReturnType<typeof testDatabase>>;
const apis: StartedApi[] = [];
const workers: Started[] = [];

function ownDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memgrade-scale-'));
  dirs.push(dir);
  return dir;
}

const env = () => ({
  MEMGRADE_DATABASE_URL: database.url,
  MEMGRADE_DATA_DIR: ownDataDir(),
  MEMGRADE_QUEUE_LIMIT: '100',
  MEMGRADE_QUEUE_PER_CLIENT: '100',
});

before(async () => {
  database = await testDatabase();
  // The first API process creates the schema and the queue; the others find them.
  apis.push(await startApi({ ...env(), MEMGRADE_POOL_SIZE: '0' }));
  apis.push(await startApi({ ...env(), MEMGRADE_POOL_SIZE: '0' }));
  for (let i = 0; i < 3; i++) workers.push(await startWorkerProcess({ ...env(), MEMGRADE_POOL_SIZE: '1' }));
});

after(async () => {
  for (const p of [...apis, ...workers]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all([...apis, ...workers].map((p) => p.exited));
  await database?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const INFINITE = 'function process_data() { for (;;) {} }\n';
/** Whether a worker's log line says that it started grading this submission. */
const startOf = (id: string) => (line: string) => line.includes(`"submission_id":"${id}"`) && line.includes('"msg":"grading started"');
/** Log lines of every worker that started grading this submission. */
const startsOf = (id: string) => workers.flatMap((w) => w.logs.filter(startOf(id)));

test('an API process that grades nothing answers Prefer: wait with the result a worker stored', async () => {
  const res = await apis[0].http.post('/v1/submissions').set('prefer', 'wait=60').send({ assignment: TINY, code: PASSING }).expect(201);
  assert.equal(res.body.result.status, 'passed');
  const other = await apis[1].http.get(`/v1/submissions/${res.body.id}`).expect(200);
  assert.equal(other.body.result.peak_bytes, res.body.result.peak_bytes);
  const ready = await apis[1].http.get('/readyz').expect(200);
  assert.equal(ready.body.checks.workers.size, 0, 'an API process alone has no pool of its own');
});

test('text PostgreSQL cannot store is refused at the door, with the field named', async () => {
  const res = await apis[0].http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, student: 'ada\u0000' }).expect(400);
  assert.equal(res.body.details[0].field, 'body.student');
  await apis[0].http.get('/v1/submissions/%00').expect(400);
  await apis[1].http.get('/v1/submissions?student=%00').expect(400);
});

test('a worker killed mid-grading: its job is finished by another worker, every verdict right, each readable from both API processes', async () => {
  const expected = new Map<string, string>();
  const send = async (i: number, code: string, verdict: string) => {
    const res = await apis[i % 2].http.post('/v1/submissions').send({ assignment: TINY, code, student: `s${i}` }).expect(202);
    expected.set(res.body.id, verdict);
    return res.body.id as string;
  };
  const slow = await send(0, slowPassing(1000), 'passed');
  const own = await send(1, INFINITE, 'error');
  for (let i = 2; i < 8; i++) await send(i, i % 2 ? STARTER : slowPassing(300), i % 2 ? 'failed' : 'passed');

  // Whichever worker took the slow one is killed while it grades it.
  const victim = await until('the slow submission to be graded', () => workers.find((w) => w.logs.some(startOf(slow))), 60_000);
  victim.child.kill('SIGKILL');
  await victim.exited;

  for (const [id, verdict] of expected) {
    const body = await finished(apis[0].http, id);
    assert.equal(body.result.status, verdict, `${id}: ${body.result.message}`);
    const again = await apis[1].http.get(`/v1/submissions/${id}`).expect(200);
    assert.deepEqual(again.body.result, body.result, 'both API processes read the same stored result');
  }
  const elsewhere = startsOf(slow).filter((line) => !victim.logs.includes(line));
  assert.equal(elsewhere.length, 1, 'the killed worker\'s job ran once more, in another worker');
  assert.match(elsewhere[0], /"attempt":2/);
  const ownBody = await finished(apis[1].http, own);
  assert.equal(ownBody.result.reason, 'timeout');
  assert.equal(startsOf(own).length, 1, 'a submission\'s own fault is a verdict, never retried');
});
