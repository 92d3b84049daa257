// Tokens, rate limits and the queue's bounds: who may call, how often, and what happens when more
// work arrives than the service takes, and after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertContract, PASSING, slowPassing, startTestService, TINY, until, type TestService } from './support.ts';

const ALPHA = 'alpha-token-4d1f0c9e';
const BETA = 'beta-token-8a7b6c5d';
const GAMMA = 'gamma-token-1e2f3a4b';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

let t: TestService;
before(async () => {
  t = await startTestService({
    MEMGRADE_TOKENS: [ALPHA, BETA, GAMMA].join(','),
    MEMGRADE_QUEUE_LIMIT: '3',
    MEMGRADE_QUEUE_PER_CLIENT: '2',
    MEMGRADE_RATE_LIMIT: '10',
  });
});
after(() => t.close());

describe('auth on', () => {
  test('/v1 needs a valid bearer token', async () => {
    const none = await t.http.get('/v1/assignments').expect(401);
    assertContract(none, 'GET', '/v1/assignments');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="memgrade"');
    assert.equal(none.body.details[0].field, 'header.authorization');
    await t.http.get('/v1/assignments').set(as('not-a-token')).expect(401);
    await t.http.get('/v1/assignments').set({ authorization: ALPHA }).expect(401);
    await t.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(401);
  });

  test('probes and the API document stay open', async () => {
    await t.http.get('/healthz').expect(200);
    await t.http.get('/readyz').expect(200);
    await t.http.get('/openapi.yaml').expect(200);
  });

  test('the token never reaches the log', () => {
    assert.ok(t.logs.length > 0);
    for (const token of [ALPHA, 'not-a-token']) assert.ok(!t.logs.some((l) => l.includes(token)), `${token} was logged`);
  });
});

describe('rate limit', () => {
  test('per token, with RateLimit-* headers, then 429 with Retry-After', async () => {
    const first = await t.http.get('/v1/assignments').set(as(GAMMA)).expect(200);
    assert.equal(first.headers['ratelimit-limit'], '10');
    assert.equal(first.headers['ratelimit-remaining'], '9');
    assert.ok(Number(first.headers['ratelimit-reset']) > 0);
    for (let i = 1; i < 10; i++) await t.http.get('/v1/assignments').set(as(GAMMA)).expect(200);
    const refused = await t.http.get('/v1/assignments').set(as(GAMMA)).expect(429);
    assertContract(refused, 'GET', '/v1/assignments');
    assert.equal(refused.body.error, 'too_many_requests');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // Another token has its own budget.
    const other = await t.http.get('/v1/assignments').set(as(BETA)).expect(200);
    assert.equal(other.headers['ratelimit-remaining'], '9');
  });
});

describe('queue bounds', () => {
  test('429 for one client over its share, 503 when full, then recovery without losing anything', async () => {
    const submit = (token: string, code: string) => t.http.post('/v1/submissions').set(as(token)).send({ assignment: TINY, code });
    const accepted: string[] = [];
    for (let i = 0; i < 2; i++) accepted.push((await submit(ALPHA, slowPassing(600)).expect(202)).body.id);
    const perClient = await submit(ALPHA, PASSING).expect(429);
    assertContract(perClient, 'POST', '/v1/submissions');
    assert.ok(Number(perClient.headers['retry-after']) >= 1);

    accepted.push((await submit(BETA, PASSING).expect(202)).body.id);
    const global = await submit(BETA, PASSING).expect(503);
    assertContract(global, 'POST', '/v1/submissions');
    assert.ok(Number(global.headers['retry-after']) >= 1);

    const saturated = await t.http.get('/readyz').expect(503);
    assertContract(saturated, 'GET', '/readyz');
    assert.equal(saturated.body.checks.queue.ok, false);

    await until('the queue to drain', async () => ((await t.service.queue.depth()) === 0 ? true : undefined));
    await t.http.get('/readyz').expect(200);
    accepted.push((await submit(ALPHA, PASSING).expect(202)).body.id);
    await until('the queue to drain', async () => ((await t.service.queue.depth()) === 0 ? true : undefined));

    const list = await t.http.get('/v1/submissions?limit=10').set(as(BETA)).expect(200);
    assert.deepEqual(list.body.items.map((i: { id: string }) => i.id).sort(), [...accepted].sort());
    for (const item of list.body.items) assert.equal(item.verdict.status, 'passed', item.verdict.message);
  });
});
