// Nothing accepted is lost: not when the process is killed with work queued and running, not when
// it is shut down gracefully. The service runs here as `npm start` runs it, in its own process.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { startApi, type StartedApi } from '../processes.ts';
import { finished, slowPassing, startTestService, TINY, until } from './support.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memgrade-restart-'));
  dirs.push(dir);
  return dir;
}

type Running = StartedApi;

/** Starts src/main.ts like npm start does, on a free port, and waits until it listens. */
const startProcess = (dir: string, env: Record<string, string> = {}) => startApi({ MEMGRADE_DATA_DIR: dir, ...env });

const submit = (http: Running['http'], code: string, wait?: number) =>
  http.post('/v1/submissions').send({ assignment: TINY, code, ...(wait === undefined ? {} : { wait }) });

async function untilRunning(http: Running['http'], id: string): Promise<void> {
  await until(`${id} to run`, async () => ((await http.get(`/v1/submissions/${id}`)).body.status === 'running' ? true : undefined));
}

test('killed with work running and queued: a restart grades all of it', async () => {
  const dir = dataDir();
  const first = await startProcess(dir);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await submit(first.http, slowPassing(300)).expect(202)).body.id);
  const store = new SqliteStore(dir);
  await until('a grading to run', async () => ((await Promise.all(ids.map((id) => store.get(id)))).some((s) => s?.status === 'running') ? true : undefined));
  await store.close();
  first.child.kill('SIGKILL');
  await first.exited;

  const second = await startTestService({}, dir);
  try {
    for (const id of ids) { const r = (await finished(second.http, id)).result; assert.equal(r.status, 'passed', r.message); }
  } finally {
    await second.close({ keepData: true });
  }
});

test('SIGTERM: waiting requests are answered, the running grading finishes, the queued one waits for the next start', async () => {
  const dir = dataDir();
  const service = await startProcess(dir);
  const running = (await submit(service.http, slowPassing(600)).expect(202)).body.id;
  await untilRunning(service.http, running);
  // Sent now (supertest sends only once awaited); answered once the shutdown releases it.
  const waiting = Promise.resolve(submit(service.http, slowPassing(200), 60));
  await until('the second submission to be stored', async () => {
    const store = new SqliteStore(dir);
    try {
      return (await store.list({ limit: 2 })).items.length === 2 ? true : undefined;
    } finally {
      await store.close();
    }
  });
  service.child.kill('SIGTERM');
  const answer = await waiting;
  assert.equal(answer.status, 202, 'a request waiting for its result gets the id, not a dropped connection');
  assert.equal(await service.exited, 0);

  const store = new SqliteStore(dir);
  assert.equal((await store.get(running))?.status, 'done');
  assert.equal((await store.get(answer.body.id))?.status, 'queued');
  await store.close();

  const next = await startTestService({}, dir);
  try {
    assert.equal((await finished(next.http, answer.body.id)).result.status, 'passed');
  } finally {
    await next.close({ keepData: true });
  }
});

test('SIGTERM with a short grace: the running grading is put back and graded after the restart', async () => {
  const dir = dataDir();
  const service = await startProcess(dir, { MEMGRADE_SHUTDOWN_GRACE_MS: '100' });
  const id = (await submit(service.http, slowPassing(600)).expect(202)).body.id;
  await untilRunning(service.http, id);
  service.child.kill('SIGTERM');
  assert.equal(await service.exited, 0);
  const store = new SqliteStore(dir);
  assert.equal((await store.get(id))?.status, 'queued');
  await store.close();

  const next = await startTestService({}, dir);
  try {
    const r = (await finished(next.http, id)).result;
    assert.equal(r.status, 'passed', r.message);
  } finally {
    await next.close({ keepData: true });
  }
});

test('closing: new submissions are refused at once, the running grading finishes first', async () => {
  const t = await startTestService();
  const id = (await t.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(600) }).expect(202)).body.id;
  await until('the grading to start', () => (t.service.queue.running().length > 0 ? true : undefined));
  const closing = t.service.close();
  const refused = await t.service.queue.submit({ assignment: TINY, code: 'x', student: null, client: 'test', callbackUrl: null, requestId: 'r' });
  assert.deepEqual(refused, { accepted: false, why: 'closing', retryAfterS: 10 });
  await closing;
  const store = new SqliteStore(t.dataDir);
  assert.equal((await store.get(id))?.result?.status, 'passed');
  assert.equal((await store.list({ limit: 10 })).items.length, 1);
  await store.close();
  await t.close();
});
