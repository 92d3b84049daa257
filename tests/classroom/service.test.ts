// The service for courses: a result in a platform's format, the gradebook, regrading, and
// webhooks received by a real receiver on loopback, verified with the Standard Webhooks
// library, retried after a 500 and across a restart.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { XMLParser } from 'fast-xml-parser';
import { newToken, tokenDigest } from '../../src/tokens.ts';
import { assertContract, finished, PASSING, STARTER, startTestService, TINY, until, type TestService } from '../http/support.ts';
import { schemaErrors } from './platforms.ts';

const INSTRUCTOR = 'instructor-token-2b3c4d5e';
const SECRET = `whsec_${Buffer.from('memgrade-test-webhook-secret-24b').toString('base64')}`;
const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** A webhook receiver on loopback: answers with the statuses it is given, then 200. */
class Receiver {
  readonly received: { headers: IncomingMessage['headers']; body: string; at: number }[] = [];
  answers: number[] = [];
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body, at: Date.now() });
        res.statusCode = this.answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }
}

const receiver = new Receiver();
let t: TestService;
let student: string;
before(async () => {
  await receiver.start();
  t = await startTestService({ MEMGRADE_TOKENS: INSTRUCTOR, MEMGRADE_WEBHOOK_SECRET: SECRET, MEMGRADE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  student = newToken();
  await t.service.store.addToken({ name: 'ada', role: 'student', digest: tokenDigest(student) });
});
after(async () => {
  await t.close();
  await receiver.stop();
});

const submit = (token: string, body: Record<string, unknown>) => t.http.post('/v1/submissions').set(as(token)).send({ assignment: TINY, ...body });

describe('a result in the platforms\' formats', () => {
  test('?format=gradescope, prairielearn and junit, or by Accept', async () => {
    const done = (await submit(student, { code: STARTER, student: 'ada', wait: 30 }).expect(201)).body;
    const path = `/v1/submissions/${done.id}`;
    const gradescope = await t.http.get(`${path}?format=gradescope`).set(as(student)).expect(200);
    assert.equal(schemaErrors('gradescope', JSON.parse(gradescope.text)), null);
    const prairielearn = await t.http.get(`${path}?format=prairielearn`).set(as(student)).expect(200);
    assert.equal(schemaErrors('prairielearn', JSON.parse(prairielearn.text)), null);
    const junit = await t.http.get(path).set(as(student)).set('accept', 'application/xml').expect(200);
    assert.match(junit.headers['content-type'], /^application\/xml/);
    assert.equal(new XMLParser({ ignoreAttributes: false }).parse(junit.text).testsuites.testsuite['@_name'], TINY);
    const bad = await t.http.get(`${path}?format=yaml`).set(as(student)).expect(400);
    assertContract(bad, 'GET', '/v1/submissions/{id}');
  });
});

describe('gradebook and regrade (instructor tokens)', () => {
  test('one row per student: latest submission, best score, link to the report; CSV by Accept', async () => {
    await submit(INSTRUCTOR, { code: PASSING, student: 'bea', wait: 30 }).expect(201);
    const latest = (await submit(INSTRUCTOR, { code: STARTER, student: 'bea', wait: 30 }).expect(201)).body;
    const book = await t.http.get(`/v1/assignments/${TINY}/gradebook`).set(as(INSTRUCTOR)).expect(200);
    assertContract(book, 'GET', '/v1/assignments/{id}/gradebook');
    const bea = book.body.rows.find((r: { student: string }) => r.student === 'bea');
    assert.equal(bea.submissions, 2);
    assert.equal(bea.latest.id, latest.id);
    assert.equal(bea.latest.verdict, 'failed');
    assert.equal(bea.best_score, book.body.max_score, 'the best of the two is the passing one');
    assert.equal(bea.latest.report, `/v1/submissions/${latest.id}/report`);
    const csv = await t.http.get(`/v1/assignments/${TINY}/gradebook`).set(as(INSTRUCTOR)).set('accept', 'text/csv').expect(200);
    assert.match(csv.headers['content-type'], /^text\/csv/);
    assert.match(csv.text, /^student,submissions,best_score,max_score,latest_id,/);
    assert.match(csv.text, new RegExp(`\\r\\nbea,2,2,2,${latest.id},done,failed,memory_limit,`));
  });

  test('a student token is refused the instructor routes (403)', async () => {
    const refused = await t.http.get(`/v1/assignments/${TINY}/gradebook`).set(as(student)).expect(403);
    assertContract(refused, 'GET', '/v1/assignments/{id}/gradebook');
    await t.http.post(`/v1/assignments/${TINY}/regrade`).set(as(student)).expect(403);
  });

  test('regrade grades every student\'s latest submission again; the gradebook shows the new results', async () => {
    const before = (await t.http.get(`/v1/assignments/${TINY}/gradebook`).set(as(INSTRUCTOR)).expect(200)).body;
    const res = await t.http.post(`/v1/assignments/${TINY}/regrade`).set(as(INSTRUCTOR)).expect(202);
    assertContract(res, 'POST', '/v1/assignments/{id}/regrade');
    assert.equal(res.body.regrading, before.rows.length);
    await until('the regrades to finish', async () => ((await t.service.store.gradebook(TINY)).every((e) => e.status === 'done') ? true : undefined));
    for (const row of before.rows) {
      const again = await finished(t.http, row.latest.id, as(INSTRUCTOR));
      assert.ok(again.finished_at > row.latest.submitted_at);
      assert.equal(again.result.status, row.latest.verdict);
    }
  });
});

describe('webhooks', () => {
  test('callback_url is for instructor tokens only, and never an address the server would not call', async () => {
    const refused = await submit(student, { code: PASSING, callback_url: receiver.url }).expect(403);
    assert.equal(refused.body.details[0].field, 'body.callback_url');
    const notUrl = await submit(INSTRUCTOR, { code: PASSING, callback_url: 'ftp://example.org/x' }).expect(400);
    assert.equal(notUrl.body.details[0].field, 'body.callback_url');
  });

  test('signed as Standard Webhooks says, verified with its library; a 500 is tried again with the same id', async () => {
    receiver.answers = [500];
    const count = receiver.received.length;
    const accepted = (await submit(INSTRUCTOR, { code: PASSING, student: 'cy', callback_url: receiver.url }).expect(202)).body;
    const [first, second] = await until('two tries', () => (receiver.received.length >= count + 2 ? receiver.received.slice(count) : undefined), 20_000);
    assert.equal(first.headers['webhook-id'], second.headers['webhook-id']);
    assert.ok(second.at - first.at >= 4_500, `retried after ${second.at - first.at} ms`);
    const event = new Webhook(SECRET).verify(second.body, {
      'webhook-id': String(second.headers['webhook-id']),
      'webhook-timestamp': String(second.headers['webhook-timestamp']),
      'webhook-signature': String(second.headers['webhook-signature']),
    }) as { type: string; data: Record<string, unknown> };
    assert.equal(event.type, 'submission.done');
    assert.deepEqual(
      { id: event.data.id, student: event.data.student, status: event.data.status, score: event.data.score },
      { id: accepted.id, student: 'cy', status: 'passed', score: 2 },
    );
    const otherSecret = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;
    assert.throws(() => new Webhook(otherSecret).verify(second.body, second.headers as Record<string, string>));
  });

  test('410 ends the tries', async () => {
    receiver.answers = [410];
    const count = receiver.received.length;
    await submit(INSTRUCTOR, { code: PASSING, callback_url: receiver.url, wait: 30 }).expect(201);
    await until('one try', () => (receiver.received.length > count ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal(receiver.received.length, count + 1);
  });
});

describe('webhooks across a restart', () => {
  test('a delivery that failed before a restart is made after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-webhooks-'));
    const late = new Receiver();
    await late.start();
    const port = late.port;
    await late.stop();
    const env = { MEMGRADE_TOKENS: INSTRUCTOR, MEMGRADE_WEBHOOK_SECRET: SECRET, MEMGRADE_WEBHOOK_ALLOW_PRIVATE: 'true' };
    const first = await startTestService(env, dir);
    // Nobody listens yet: the first try fails.
    const url = `http://127.0.0.1:${port}/hooks`;
    const submission = { assignment: TINY, code: PASSING, callback_url: url, wait: 30 };
    const done = (await first.http.post('/v1/submissions').set(as(INSTRUCTOR)).send(submission).expect(201)).body;
    await until('the first try', () => (first.logs.some((l) => l.includes('webhook not delivered')) ? true : undefined));
    await first.close({ keepData: true });
    await late.start(port);
    const second = await startTestService(env, dir);
    try {
      const [hit] = await until('the delivery after the restart', () => (late.received.length > 0 ? late.received : undefined), 20_000);
      assert.equal(JSON.parse(hit.body).data.id, done.id);
    } finally {
      await second.close();
      await late.stop();
    }
  });
});
