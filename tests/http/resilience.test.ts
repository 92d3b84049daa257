// Sandbox processes that die under a grading: killed from outside, or brought down by the
// submission. The service retries once in a fresh one, then gives up with reason internal, and
// carries on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { finished, PASSING, slowPassing, startTestService, TINY, until, type TestService } from './support.ts';

let t: TestService;
before(async () => {
  t = await startTestService();
});
after(() => t.close());

/** Waits for the submission's given attempt to run in a sandbox process, then kills that process. */
async function killAttempt(id: string, attempt: number): Promise<number> {
  const pid = await until(`attempt ${attempt} of ${id}`, () => {
    const running = t.service.queue.running().find((r) => r.id === id);
    return running && running.attempt === attempt && running.pid !== undefined ? running.pid : undefined;
  });
  process.kill(pid, 'SIGKILL');
  return pid;
}

test('a sandbox process killed mid-grading: the retry in a fresh one grades it', async () => {
  const res = await t.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(600) }).expect(202);
  const killed = await killAttempt(res.body.id, 1);
  const done = await finished(t.http, res.body.id);
  assert.equal(done.result.status, 'passed');
  const retried = t.logs.map((l) => JSON.parse(l)).find((l) => l.submission_id === res.body.id && l.attempt === 2);
  assert.ok(retried, 'no log line for the retry');
  assert.notEqual(retried.sandbox_pid, killed);
});

test('killed in the retry too: error with reason internal, and the service carries on', async () => {
  const res = await t.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(1500) }).expect(202);
  const first = await killAttempt(res.body.id, 1);
  const second = await killAttempt(res.body.id, 2);
  assert.notEqual(first, second);
  const done = await finished(t.http, res.body.id);
  assert.equal(done.result.status, 'error');
  assert.equal(done.result.reason, 'internal');
  assert.match(done.result.message, /in 2 sandbox processes in a row/);

  const next = await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201);
  assert.equal(next.body.result.status, 'passed');
  await t.http.get('/readyz').expect(200);
});

test('a submission that aborts its sandbox process gets a final verdict, not a retry', async () => {
  const before = t.service.pool.stats().started;
  const res = await t.http
    .post('/v1/submissions')
    .send({ assignment: TINY, code: 'function process_data() { return Array(4e8).fill(0); }', wait: 30 })
    .expect(201);
  assert.equal(res.body.result.status, 'error');
  assert.equal(res.body.result.reason, 'memory_cap');
  // One replacement for the dead sandbox process, none for a retry.
  assert.equal(t.service.pool.stats().started, before + 1);
  const next = await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201);
  assert.equal(next.body.result.status, 'passed');
});

test('a sandbox process is replaced after MEMGRADE_SANDBOX_MAX_JOBS gradings', async () => {
  const recycled = await startTestService({ MEMGRADE_SANDBOX_MAX_JOBS: '2' });
  try {
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await recycled.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201);
      assert.equal(res.body.result.status, 'passed');
      const graded = recycled.logs.map((l) => JSON.parse(l)).find((l) => l.submission_id === res.body.id && l.msg === 'graded');
      pids.push(graded.sandbox_pid);
    }
    assert.equal(pids[0], pids[1]);
    assert.notEqual(pids[1], pids[2]);
    assert.equal(recycled.service.pool.stats().started, 2);
  } finally {
    await recycled.close();
  }
});
