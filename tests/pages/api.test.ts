// What the pages stand on, against the real service: /v1/me, the token routes, the progress
// stream (Server-Sent Events), the scores in a student's list, and the pages' own answers (their
// files, their Content-Security-Policy, whether the service is open). Every answer is checked
// against openapi.yaml (support.ts's contractChecked).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tokenDigest } from '../../src/tokens.ts';
import { buildWeb } from '../../scripts/web.ts';
import { STREAMS_PER_CLIENT } from '../../src/http/routes/events.ts';
import { finished, PASSING, slowPassing, startTestService, TINY, type TestService } from '../http/support.ts';

const INSTRUCTOR = 'instructor-token-5a4b3c2d';
const ADA = 'mg_ada-token-0000000000000000000000';
const BOB = 'mg_bob-token-0000000000000000000000';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** The events of a finished stream, in order: name and parsed data. */
function events(text: string): { event: string; data: Record<string, unknown> | null }[] {
  return text
    .split('\n\n')
    .filter((block) => /^(event|data):/m.test(block))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data === undefined ? null : (JSON.parse(data) as Record<string, unknown>) };
    });
}

let t: TestService;
before(async () => {
  await buildWeb();
  t = await startTestService({ MEMGRADE_TOKENS: INSTRUCTOR });
  await t.service.store.addToken({ name: 'ada', role: 'student', digest: tokenDigest(ADA) });
  await t.service.store.addToken({ name: 'bob', role: 'student', digest: tokenDigest(BOB) });
});
after(() => t.close());

describe('/v1/me', () => {
  test('names the caller and its role; an unknown token is 401', async () => {
    assert.deepEqual((await t.http.get('/v1/me').set(as(ADA)).expect(200)).body, { role: 'student', name: 'ada', open: false });
    assert.deepEqual((await t.http.get('/v1/me').set(as(INSTRUCTOR)).expect(200)).body, { role: 'instructor', name: null, open: false });
    const refused = await t.http.get('/v1/me').set(as('mg_not-a-token')).expect(401);
    assert.equal(refused.body.error, 'unauthorized');
    await t.http.get('/v1/me').expect(401);
  });
});

describe('/v1/tokens', () => {
  test('an instructor adds a token, shown once, that works at once; lists them without it; revokes it', async () => {
    const made = await t.http.post('/v1/tokens').set(as(INSTRUCTOR)).send({ name: 'grace', role: 'student' }).expect(201);
    assert.equal(made.body.name, 'grace');
    assert.equal(made.body.role, 'student');
    assert.match(made.body.token, /^mg_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual((await t.http.get('/v1/me').set(as(made.body.token)).expect(200)).body, { role: 'student', name: 'grace', open: false });
    const list = await t.http.get('/v1/tokens').set(as(INSTRUCTOR)).expect(200);
    assert.deepEqual(
      list.body.items.map((i: { name: string; role: string }) => [i.name, i.role]),
      [
        ['ada', 'student'],
        ['bob', 'student'],
        ['grace', 'student'],
      ],
    );
    assert.ok(!JSON.stringify(list.body).includes(made.body.token), 'the list never shows a token');
    assert.equal(list.body.items.find((i: { name: string }) => i.name === 'grace').last_used_at === null, false, 'its use is noted');
    assert.ok(t.logs.some((l) => l.includes('"token added"') && l.includes('"grace"')));
    assert.ok(!t.logs.some((l) => l.includes(made.body.token)), 'the token is never logged');

    await t.http.delete('/v1/tokens/grace').set(as(INSTRUCTOR)).expect(204);
    await t.http.get('/v1/me').set(as(made.body.token)).expect(401);
    const gone = await t.http.delete('/v1/tokens/grace').set(as(INSTRUCTOR)).expect(404);
    assert.equal(gone.body.details[0].field, 'path.name');
  });

  test('a name in use is 409, a bad name or role 400, a student 403 on all of it', async () => {
    const taken = await t.http.post('/v1/tokens').set(as(INSTRUCTOR)).send({ name: 'ada', role: 'student' }).expect(409);
    assert.equal(taken.body.error, 'conflict');
    assert.equal(taken.body.details[0].field, 'body.name');
    for (const body of [{ name: 'no spaces', role: 'student' }, { name: 'x', role: 'admin' }, { name: 'x' }, { name: 'x', role: 'student', token: 'mine' }]) {
      const refused = await t.http.post('/v1/tokens').set(as(INSTRUCTOR)).send(body).expect(400);
      assert.equal(refused.body.error, 'invalid_request');
    }
    for (const call of [
      t.http.get('/v1/tokens').set(as(ADA)),
      t.http.post('/v1/tokens').set(as(ADA)).send({ name: 'eve', role: 'instructor' }),
      t.http.delete('/v1/tokens/bob').set(as(ADA)),
    ]) {
      const res = await call.expect(403);
      assert.equal(res.body.error, 'forbidden');
    }
    assert.deepEqual((await t.http.get('/v1/me').set(as(BOB)).expect(200)).body.name, 'bob', 'bob was not revoked');
  });

  test('on an open service the first token must be an instructor\'s; once one exists, every call needs one', async () => {
    const open = await startTestService();
    try {
      assert.deepEqual((await open.http.get('/v1/me').expect(200)).body, { role: 'instructor', name: null, open: true });
      // Open to this machine, not to another site's page in its browser: no forged regrade.
      await open.http.get('/v1/me').set('sec-fetch-site', 'same-origin').expect(200);
      for (const site of ['cross-site', 'same-site']) {
        const forged = await open.http.post(`/v1/assignments/${TINY}/regrade`).set('sec-fetch-site', site).expect(403);
        assert.equal(forged.body.details[0].field, 'header.sec-fetch-site');
      }
      assert.match((await open.http.get('/').expect(200)).text, /<html lang="en" data-open="true">/);
      const refused = await open.http.post('/v1/tokens').send({ name: 'ada', role: 'student' }).expect(400);
      assert.equal(refused.body.details[0].field, 'body.role');
      const prof = await open.http.post('/v1/tokens').send({ name: 'prof', role: 'instructor' }).expect(201);
      await open.http.get('/v1/me').expect(401);
      assert.doesNotMatch((await open.http.get('/').expect(200)).text, /data-open/);
      await open.http.post('/v1/tokens').set(as(prof.body.token)).send({ name: 'ada', role: 'student' }).expect(201);
    } finally {
      await open.close();
    }
  });
});

describe('GET /v1/submissions/{id}/events', () => {
  test('streams queued or running, then done with the verdict, and ends', async () => {
    const accepted = await t.http.post('/v1/submissions').set(as(ADA)).send({ assignment: TINY, code: slowPassing(600) }).expect(202);
    const res = await t.http.get(`/v1/submissions/${accepted.body.id}/events`).set(as(ADA)).expect(200);
    assert.match(res.headers['content-type'], /^text\/event-stream/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.text, /^retry: 2000\n\n/);
    const seen = events(res.text);
    assert.ok(seen.length >= 2, res.text);
    assert.deepEqual(seen.map((e) => e.event).slice(-1), ['done']);
    assert.ok(seen.slice(0, -1).every((e) => e.event === 'status'));
    const statuses = seen.map((e) => e.data?.status);
    assert.deepEqual([...new Set(statuses)], statuses, 'each state once, in order');
    assert.ok(statuses.includes('running'), `a grading of 600 ms is seen running: ${statuses.join(', ')}`);
    const done = seen.at(-1)?.data as { id: string; verdict: { status: string; score: number; max_score: number; peak_bytes: number } };
    assert.equal(done.id, accepted.body.id);
    assert.equal(done.verdict.status, 'passed');
    assert.equal(done.verdict.score, done.verdict.max_score);
  });

  test('a done submission streams done at once; another student\'s or an unknown one is 404', async () => {
    const ada = (await t.http.post('/v1/submissions').set(as(ADA)).send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201)).body;
    const res = await t.http.get(`/v1/submissions/${ada.id}/events`).set(as(ADA)).expect(200);
    assert.deepEqual(
      events(res.text).map((e) => e.event),
      ['done'],
    );
    assert.equal((await t.http.get(`/v1/submissions/${ada.id}/events`).set(as(BOB)).expect(404)).body.error, 'not_found');
    await t.http.get('/v1/submissions/nope/events').set(as(ADA)).expect(404);
    await t.http.get(`/v1/submissions/${ada.id}/events`).expect(401);
    await t.http.get(`/v1/submissions/${ada.id}/events`).set(as(INSTRUCTOR)).expect(200);
  });

  test('one client holds at most STREAMS_PER_CLIENT streams open; one more is 429 until one ends', async () => {
    const accepted = await t.http.post('/v1/submissions').set(as(ADA)).send({ assignment: TINY, code: slowPassing(3000) }).expect(202);
    const address = await t.service.app.listen({ host: '127.0.0.1', port: 0 });
    const path = `/v1/submissions/${accepted.body.id}/events`;
    const held = Array.from({ length: STREAMS_PER_CLIENT }, () => new AbortController());
    try {
      for (const controller of held) {
        const res = await fetch(address + path, { headers: as(ADA), signal: controller.signal });
        assert.equal(res.status, 200);
      }
      const refused = await t.http.get(path).set(as(ADA)).expect(429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      // Another client is not counted against this one.
      const other = new AbortController();
      assert.equal((await fetch(address + path, { headers: as(INSTRUCTOR), signal: other.signal })).status, 200);
      other.abort();
      held[0].abort();
      let status = 429;
      for (let i = 0; i < 50 && status === 429; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const again = new AbortController();
        status = (await fetch(address + path, { headers: as(ADA), signal: again.signal })).status;
        again.abort();
      }
      assert.equal(status, 200, 'a closed stream frees its place');
    } finally {
      for (const controller of held) controller.abort();
    }
  });

  test('a submission deleted while streamed ends its stream with reason deleted', async () => {
    const accepted = await t.http.post('/v1/submissions').set(as(BOB)).send({ assignment: TINY, code: slowPassing(800) }).expect(202);
    // Queued behind nothing, it runs: wait for it to finish, but delete a second one still queued behind it.
    const queued = await t.http.post('/v1/submissions').set(as(BOB)).send({ assignment: TINY, code: PASSING }).expect(202);
    const stream = t.http.get(`/v1/submissions/${queued.body.id}/events`).set(as(BOB)).expect(200);
    const streamed = stream.then((r) => r);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await t.http.delete(`/v1/submissions/${queued.body.id}`).set(as(BOB));
    const seen = events((await streamed).text);
    const last = seen.at(-1);
    // Deleted before it ran (the usual case), or graded first on a fast machine.
    assert.ok(last?.event === 'end' ? last.data?.reason === 'deleted' : last?.event === 'done', JSON.stringify(seen));
    await finished(t.http, accepted.body.id, as(BOB));
  });
});

test('a service that shuts down ends its open streams with reason closing, and is not held up by them', async () => {
  const closing = await startTestService({ MEMGRADE_SHUTDOWN_GRACE_MS: '100' });
  await closing.service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = closing.service.app.server.address() as { port: number };
  const accepted = await closing.http.post('/v1/submissions').send({ assignment: TINY, code: slowPassing(3000) }).expect(202);
  const response = await fetch(`http://127.0.0.1:${port}/v1/submissions/${accepted.body.id}/events`);
  const text = response.text();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  await closing.close();
  assert.ok(Date.now() - started < 10_000, 'closed without waiting for the stream');
  const seen = events(await text);
  assert.deepEqual(seen.at(-1), { event: 'end', data: { id: accepted.body.id, reason: 'closing' } });
});

test("a student's list carries each verdict's score", async () => {
  const res = await t.http.get(`/v1/submissions?assignment=${TINY}`).set(as(ADA)).expect(200);
  const done = res.body.items.filter((i: { status: string }) => i.status === 'done');
  assert.ok(done.length > 0);
  for (const item of done) {
    assert.equal(typeof item.verdict.score, 'number');
    assert.equal(item.verdict.max_score, 2);
  }
  assert.ok(res.body.items.every((i: { student: string }) => i.student === 'ada'), 'her own only');
});

describe('the pages', () => {
  test('/ and /instructor are HTML under a CSP of their own: scripts, styles and fetch from this server alone', async () => {
    for (const path of ['/', '/instructor']) {
      const res = await t.http.get(path).expect(200);
      assert.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
      const csp = res.headers['content-security-policy'];
      assert.equal(
        csp,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      assert.doesNotMatch(csp, /unsafe|https?:|data:|\*/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.doesNotMatch(res.text, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handler');
      assert.doesNotMatch(res.text, /https?:\/\//, 'nothing from another host');
      assert.match(res.text, /<script type="module" src="\/assets\/(student|instructor)\.js"><\/script>/);
    }
    // The API keeps its own policy.
    assert.match((await t.http.get('/v1/me').set(as(ADA))).headers['content-security-policy'], /^default-src 'none'/);
  });

  test('their files are served with their types and an ETag; nothing else is', async () => {
    const types = { 'student.js': /^text\/javascript/, 'instructor.js': /^text\/javascript/, 'pages.css': /^text\/css/, 'report.css': /^text\/css/, 'favicon.svg': /^image\/svg\+xml/ };
    for (const [file, type] of Object.entries(types)) {
      const res = await t.http.get(`/assets/${file}`).expect(200);
      assert.match(res.headers['content-type'], type);
      assert.match(res.headers['etag'], /^"[A-Za-z0-9_-]+"$/);
      await t.http.get(`/assets/${file}`).set('if-none-match', res.headers['etag']).expect(304);
    }
    assert.match((await t.http.get('/assets/report.css')).text, /\.report header\.passed\{/, "the report's style, scoped to .report");
    for (const path of ['/assets/nope.js', '/assets/..%2Fstudent.html', '/assets/student.html', '/assets/.hidden.js']) {
      const res = await t.http.get(path);
      assert.equal(res.status, 404, path);
    }
    const res = await t.http.post('/').send({});
    assert.equal(res.status, 405);
  });
});
