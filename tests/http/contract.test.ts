// What the service answers is what openapi.yaml declares, for every representation and status:
// each format of a result under its own media type (by ?format= and by Accept), 405 with Allow
// on a path asked with a method it does not take, a body refused where none is taken, HEAD. Every
// answer here, as in every HTTP test, also goes through the contract check of support.ts.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { schemaErrors } from '../classroom/platforms.ts';
import { junitConsistencyErrors, junitSchemaErrors } from '../classroom/junit-schemas.ts';
import { RESULT_FORMATS } from '../../src/http/schemas.ts';
import { FORMATS, mediaTypes, REPORTERS } from '../../src/report/index.ts';
import { contractChecked, PASSING, STARTER, startTestService, TINY, type TestService } from './support.ts';

let t: TestService;
const ids: Record<string, string> = {};
before(async () => {
  t = await startTestService();
  for (const [kind, code] of Object.entries({ passed: PASSING, failed: STARTER, syntax: 'function process_data( {' })) {
    ids[kind] = (await t.http.post('/v1/submissions').send({ assignment: TINY, code, wait: 30 }).expect(201)).body.id;
  }
});
after(() => t.close());

describe('each format of a result, under its own media type', () => {
  for (const format of RESULT_FORMATS) {
    const [media, ...also] = mediaTypes(REPORTERS[format]);
    test(`${format}: ${media}, by ?format= and by Accept${also.map((t) => ` (${t} too)`).join('')}, the same body`, async () => {
      for (const [kind, id] of Object.entries(ids)) {
        const byQuery = await t.http.get(`/v1/submissions/${id}?format=${format}`).expect(200);
        assert.equal(byQuery.headers['content-type'].split(';')[0], media, kind);
        for (const asked of [media, ...also]) {
          const byAccept = await t.http.get(`/v1/submissions/${id}`).set('accept', `${asked}, */*;q=0.1`).expect(200);
          assert.equal(byAccept.headers['content-type'], byQuery.headers['content-type'], `${kind}, Accept: ${asked}`);
          assert.equal(byAccept.text, byQuery.text, `${kind}, Accept: ${asked}`);
        }
        const text = byQuery.text ?? '';
        if (format === 'junit') {
          assert.deepEqual(await junitSchemaErrors(text), [], kind);
          assert.deepEqual(junitConsistencyErrors(text), [], kind);
        }
        if (format === 'gradescope' || format === 'prairielearn') assert.equal(schemaErrors(format, JSON.parse(text)), null, kind);
      }
    });
  }

  test("application/json (or nothing) asks for the submission itself; the format served as that is no ?format=", async () => {
    for (const accept of ['application/json', undefined]) {
      const request = t.http.get(`/v1/submissions/${ids.passed}`);
      const submission = await (accept === undefined ? request : request.set('accept', accept)).expect(200);
      assert.equal(submission.body.id, ids.passed);
    }
    const unserved = FORMATS.filter((f) => !RESULT_FORMATS.includes(f));
    assert.deepEqual(unserved.map((f) => mediaTypes(REPORTERS[f])[0]), ['application/json']);
    for (const format of unserved) await t.http.get(`/v1/submissions/${ids.passed}?format=${format}`).expect(400);
  });

  test("PrairieLearn: a syntax error is gradable: false, as the platform's convention has it", async () => {
    const res = await t.http.get(`/v1/submissions/${ids.syntax}?format=prairielearn`).expect(200);
    const body = JSON.parse(res.text);
    assert.equal(body.gradable, false);
    assert.match(body.format_errors[0], /^Syntax error/);
  });

  test('a submission not yet graded has no format yet: 409 with Retry-After', async () => {
    const queued = await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(202);
    const early = await t.http.get(`/v1/submissions/${queued.body.id}?format=junit`);
    if (early.status === 409) assert.ok(early.headers['retry-after']);
    else assert.equal(early.status, 200, 'graded already');
  });
});

describe('methods', () => {
  test('a path asked with a method it does not take: 405, with Allow naming those it takes', async () => {
    const cases: [string, 'put' | 'patch' | 'post' | 'delete', string][] = [
      [`/v1/submissions/${ids.passed}`, 'put', 'GET, HEAD, DELETE'],
      [`/v1/submissions/${ids.passed}`, 'patch', 'GET, HEAD, DELETE'],
      ['/v1/submissions', 'put', 'GET, HEAD, POST'],
      ['/v1/assignments', 'post', 'GET, HEAD'],
      [`/v1/assignments/${TINY}/regrade`, 'put', 'POST'],
      ['/healthz', 'delete', 'GET, HEAD'],
    ];
    for (const [path, method, allow] of cases) {
      const res = await t.http[method](path).expect(405);
      assert.equal(res.headers.allow, allow, `${method} ${path}`);
      assert.equal(res.body.error, 'method_not_allowed');
      assert.equal(res.body.details[0].field, 'method');
    }
  });

  test('an unknown path is still a 404, whatever the method; so is what a route that takes the method does not find', async () => {
    await t.http.put('/v2/nothing').expect(404);
    await t.http.get('/v1/nothing/at/all').expect(404);
    // The documentation's static files: a route takes GET there, and finds no such file.
    await t.http.get('/docs/static/no-such-file.js').expect(404);
    await t.http.put('/docs/static/no-such-file.js').expect(405);
  });

  test('HEAD answers as GET does, without a body', async () => {
    const res = await t.http.head('/healthz').expect(200);
    assert.equal(res.text ?? '', '');
  });

  test('a body sent where none is taken is refused (400 on body), whatever its type', async () => {
    const regrade = await t.http.post(`/v1/assignments/${TINY}/regrade`).send({ all: true }).expect(400);
    assert.equal(regrade.body.details[0].field, 'body');
    await t.http.post(`/v1/assignments/${TINY}/regrade`).set('content-type', 'text/plain').send('x').expect(400);
    await t.http.delete(`/v1/submissions/${ids.failed}`).send({ really: true }).expect(400);
    // Without a body, both work as documented.
    await t.http.post(`/v1/assignments/${TINY}/regrade`).expect(202);
  });
});

test('the contract check is on every answer of the test agent: an undocumented answer fails the request', async () => {
  const server = createServer((_req, res) => res.writeHead(418, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const http = contractChecked(supertest(server));
    await assert.rejects(http.get('/healthz'), /does not document 418 for GET \/healthz/);
    await assert.rejects(http.put('/healthz'), /405/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
