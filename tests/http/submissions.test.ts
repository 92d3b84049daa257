// The API's everyday flows against the real service: grading synchronously and asynchronously,
// reading and listing submissions, assignments, probes, docs, and every refusal.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Response } from 'supertest';
import { SHIPPED_ASSIGNMENTS } from '../support.ts';
import { assertContract, finished, PASSING, slowPassing, STARTER, startTestService, TINY, type TestService } from './support.ts';

let t: TestService;
before(async () => {
  t = await startTestService();
});
after(() => t.close());

const post = (body: unknown) => t.http.post('/v1/submissions').send(body as object);

describe('grading', () => {
  test('with wait, a passing solution answers 201 with the engine result', async () => {
    const res = await post({ assignment: TINY, code: PASSING, student: 'ada', wait: 30 }).expect(201);
    assertContract(res, 'POST', '/v1/submissions');
    assert.equal(res.body.status, 'done');
    assert.equal(res.body.student, 'ada');
    assert.equal(res.headers.location, `/v1/submissions/${res.body.id}`);
    assert.equal(res.body.result.status, 'passed');
    assert.equal(res.body.result.assignment, TINY);
    assert.ok(res.body.result.peak_bytes <= res.body.result.limit_bytes);
    assert.match(res.body.result.versions.node, /^24\./);
    assert.match(res.body.result.versions.isolated_vm, /^7\./);
    // GET returns the same stored result, unchanged.
    const again = await t.http.get(res.headers.location).expect(200);
    assertContract(again, 'GET', '/v1/submissions/{id}');
    assert.deepEqual(again.body.result, res.body.result);
  });

  test('Prefer: wait=N works like wait and says it was applied', async () => {
    const res = await post({ assignment: TINY, code: STARTER }).set('Prefer', 'wait=30').expect(201);
    assertContract(res, 'POST', '/v1/submissions');
    assert.equal(res.headers['preference-applied'], 'wait=30');
    assert.equal(res.body.result.status, 'failed');
    assert.equal(res.body.result.reason, 'memory_limit');
  });

  test('without wait, 202 at once with the id, then the result by polling', async () => {
    const res = await post({ assignment: TINY, code: PASSING }).expect(202);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(Object.keys(res.body).sort(), ['id', 'links', 'status']);
    assert.ok(['queued', 'running'].includes(res.body.status));
    assert.equal(res.body.links.self, `/v1/submissions/${res.body.id}`);
    const done = await finished(t.http, res.body.id);
    assert.equal(done.result.status, 'passed');
    assert.ok(done.started_at <= done.finished_at);
  });

  test('a submission that cannot be graded is still a 201 with an error verdict', async () => {
    const res = await post({ assignment: TINY, code: 'function process_data( {', wait: 30 }).expect(201);
    assertContract(res, 'POST', '/v1/submissions');
    assert.equal(res.body.result.status, 'error');
    assert.equal(res.body.result.reason, 'syntax_error');
  });
});

describe('report page', () => {
  test('a done submission links its report, an HTML page with the verdict and the holders', async () => {
    const res = await post({ assignment: TINY, code: STARTER, wait: 30 }).expect(201);
    assert.equal(res.body.links.report, `/v1/submissions/${res.body.id}/report`);
    const page = await t.http.get(res.body.links.report).expect(200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.text, /<h1 id="verdict">Not yet: process_data peaked at/);
    assert.match(page.text, /<svg id="timeline"/);
    assert.match(page.text, /<table id="holders">/);
  });

  test('an unknown submission is a 404 and one not graded yet a 409, both JSON', async () => {
    const missing = await t.http.get('/v1/submissions/nope/report').expect(404);
    assertContract(missing, 'GET', '/v1/submissions/{id}/report');
    const queued = await post({ assignment: TINY, code: slowPassing(400) }).expect(202);
    // Its grading is busy for about 400 ms after the 202, so it cannot be done yet.
    const early = await t.http.get(`/v1/submissions/${queued.body.id}/report`).expect(409);
    assertContract(early, 'GET', '/v1/submissions/{id}/report');
    assert.equal(early.body.error, 'not_ready');
    assert.equal(early.headers['retry-after'], '1');
    await finished(t.http, queued.body.id);
    await t.http.get(`/v1/submissions/${queued.body.id}/report`).expect(200);
  });
});

describe('listing', () => {
  test('filters by student and assignment, pages with a cursor, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post({ assignment: TINY, code: PASSING, student: 'lister' }).expect(202);
      ids.push(res.body.id);
    }
    await Promise.all(ids.map((id) => finished(t.http, id)));
    const seen: string[] = [];
    let url: string | null = '/v1/submissions?student=lister&limit=2';
    while (url !== null) {
      const res: Response = await t.http.get(url).expect(200);
      assertContract(res, 'GET', '/v1/submissions');
      assert.ok(res.body.items.length <= 2);
      for (const item of res.body.items) {
        assert.equal(item.student, 'lister');
        assert.equal(item.verdict.status, 'passed');
        assert.equal('result' in item, false);
      }
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      url = res.body.links.next;
      assert.equal(url === null, res.body.next_cursor === null);
    }
    assert.deepEqual(seen, [...ids].reverse());

    const byAssignment = await t.http.get('/v1/submissions?assignment=clinging-onto-memory').expect(200);
    assert.deepEqual(byAssignment.body.items, []);
    const all = await t.http.get('/v1/submissions').expect(200);
    assert.ok(all.body.items.length >= 5);
  });

  test('a cursor it did not hand out is a 400 naming the field', async () => {
    const res = await t.http.get('/v1/submissions?cursor=bogus').expect(400);
    assertContract(res, 'GET', '/v1/submissions');
    assert.equal(res.body.details[0].field, 'query.cursor');
  });
});

describe('assignments', () => {
  test('list and one: description, starter code, limit and hard caps', async () => {
    const list = await t.http.get('/v1/assignments').expect(200);
    assertContract(list, 'GET', '/v1/assignments');
    assert.deepEqual(list.body.items.map((a: { id: string }) => a.id).sort(), [...SHIPPED_ASSIGNMENTS, TINY].sort());
    const one = await t.http.get(`/v1/assignments/${TINY}`).expect(200);
    assertContract(one, 'GET', '/v1/assignments/{id}');
    assert.equal(one.body.starter_code, STARTER);
    assert.match(one.body.description, /Tiny sum/);
    assert.equal(one.body.limit_bytes, 2_500_000);
    assert.equal(one.body.limits.max_code_bytes, 65536);
    assert.equal(one.body.limits.memory_cap_bytes, 64 * 1024 * 1024);
  });

  test('an unknown one is a 404', async () => {
    const res = await t.http.get('/v1/assignments/nope').expect(404);
    assertContract(res, 'GET', '/v1/assignments/{id}');
  });
});

describe('refusals: every 4xx is JSON naming the field', () => {
  const field = (res: { body: { details: Array<{ field: string }> } }) => res.body.details.map((d) => d.field);

  test('malformed JSON is a 400', async () => {
    const res = await t.http.post('/v1/submissions').set('content-type', 'application/json').send('{"code": ').expect(400);
    assertContract(res, 'POST', '/v1/submissions');
    assert.equal(res.body.error, 'invalid_json');
    assert.deepEqual(field(res), ['body']);
  });

  test('a field of the wrong type is a 400, not coerced', async () => {
    const res = await post({ assignment: TINY, code: 1 }).expect(400);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(field(res), ['body.code']);
  });

  test('an unknown field is a 400, not dropped', async () => {
    const res = await post({ assignment: TINY, code: PASSING, priority: 'high' }).expect(400);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(field(res), ['body.priority']);
  });

  test('a missing field is a 400', async () => {
    const res = await post({ assignment: TINY }).expect(400);
    assert.deepEqual(field(res), ['body.code']);
  });

  test('a wait out of range is a 400', async () => {
    const res = await post({ assignment: TINY, code: PASSING, wait: -1 }).expect(400);
    assert.deepEqual(field(res), ['body.wait']);
  });

  test('a bad query parameter is a 400', async () => {
    const res = await t.http.get('/v1/submissions?limit=0').expect(400);
    assertContract(res, 'GET', '/v1/submissions');
    assert.deepEqual(field(res), ['query.limit']);
  });

  test('an unknown assignment is a 404', async () => {
    const res = await post({ assignment: 'no-such-thing', code: PASSING }).expect(404);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(field(res), ['body.assignment']);
  });

  test('an unknown submission is a 404', async () => {
    const res = await t.http.get('/v1/submissions/00000000-0000-0000-0000-000000000000').expect(404);
    assertContract(res, 'GET', '/v1/submissions/{id}');
    assert.deepEqual(field(res), ['path.id']);
  });

  test("code over the assignment's max_code_bytes is a 413", async () => {
    const code = `${PASSING}//${'x'.repeat(65536)}`;
    const res = await post({ assignment: TINY, code }).expect(413);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(field(res), ['body.code']);
  });

  test('a body over the server limit is a 413', async () => {
    const res = await post({ assignment: TINY, code: 'x'.repeat(2_000_000) }).expect(413);
    assertContract(res, 'POST', '/v1/submissions');
    assert.deepEqual(field(res), ['body']);
  });

  test('a body that is not JSON is a 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await t.http.post('/v1/submissions').set('content-type', type).send('code=1').expect(415);
      assertContract(res, 'POST', '/v1/submissions');
      assert.deepEqual(field(res), ['header.content-type']);
    }
  });

  test('an unknown route is a JSON 404', async () => {
    const res = await t.http.get('/v2/nothing').expect(404);
    assert.equal(res.body.error, 'not_found');
  });
});

describe('auth off', () => {
  test('with no token at all, on loopback, /v1 is open and rate-limited per address; a token it does not know is refused', async () => {
    const res = await t.http.get('/v1/assignments').expect(200);
    assert.equal(res.headers['ratelimit-limit'], '100000');
    assert.ok(Number(res.headers['ratelimit-remaining']) < 100000);
    await t.http.get('/v1/assignments').set('authorization', 'Bearer anything').expect(401);
  });
});

describe('operations', () => {
  test("a caller's sane X-Request-Id is kept, any other replaced", async () => {
    const kept = await t.http.get('/healthz').set('x-request-id', 'trace-42.a').expect(200);
    assert.equal(kept.headers['x-request-id'], 'trace-42.a');
    const replaced = await t.http.get('/healthz').set('x-request-id', 'no spaces or "quotes"').expect(200);
    assert.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  });

  test('healthz and readyz', async () => {
    const health = await t.http.get('/healthz').expect(200);
    assertContract(health, 'GET', '/healthz');
    const ready = await t.http.get('/readyz').expect(200);
    assertContract(ready, 'GET', '/readyz');
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.checks.workers, { ok: true, alive: 1, size: 1 });
  });

  test('the served openapi.yaml is the committed one', async () => {
    const res = await t.http.get('/openapi.yaml').expect(200);
    assert.match(res.headers['content-type'], /yaml/);
    assert.equal(res.text, readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
  });

  test('/docs serves the interactive page and its assets from this server', async () => {
    const page = await t.http.get('/docs/').expect(200);
    assert.match(page.text, /swagger-ui/i);
    const scripts = [...page.text.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0);
    for (const src of scripts) {
      assert.ok(!/^https?:/.test(src), `${src} would need the network`);
      await t.http.get(new URL(src, 'http://local/docs/').pathname).expect(200);
    }
    const spec = await t.http.get('/docs/json').expect(200);
    assert.equal(spec.body.openapi, '3.1.0');
  });

  test('logs carry request and submission ids, never the code', async () => {
    const marker = 'UNIQUE_MARKER_7f3a';
    const res = await post({ assignment: TINY, code: `${PASSING}// ${marker}\n`, wait: 30 }).expect(201);
    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(!t.logs.some((l) => l.includes(marker)), 'the submitted code reached the log');
    const mine = lines.filter((l) => l.submission_id === res.body.id);
    assert.ok(mine.every((l) => l.req_id === res.headers['x-request-id']));
    const graded = mine.find((l) => l.msg === 'graded');
    assert.ok(graded, 'no "graded" line');
    assert.equal(graded.status, 'passed');
    assert.equal(typeof graded.peak_bytes, 'number');
    assert.equal(typeof graded.duration_ms, 'number');
    assert.ok(mine.some((l) => l.msg === 'request completed'));
  });
});
