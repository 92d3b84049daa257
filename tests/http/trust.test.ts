// Who may see what, and what the service refuses to be: two students and an instructor against
// the real app, failed logins throttled, no open service off loopback, the headers every answer
// carries, slow and malformed requests ended in the API's shape, deletion and retention, and a
// submission that stops the service on every start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startService } from '../../src/service.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { newToken, tokenDigest } from '../../src/tokens.ts';
import { FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';
import { assertAnswer, assertContract, finished, PASSING, startTestService, TINY, until, type TestService } from './support.ts';

const INSTRUCTOR = 'instructor-token-0f9e8d7c';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

let t: TestService;
const students = { ada: newToken(), bob: newToken() };
before(async () => {
  t = await startTestService({ MEMGRADE_TOKENS: INSTRUCTOR, MEMGRADE_AUTH_FAILURES: '5' });
  for (const [name, token] of Object.entries(students)) await t.service.store.addToken({ name, role: 'student', digest: tokenDigest(token) });
});
after(() => t.close());

const submit = (token: string, student: string) =>
  t.http.post('/v1/submissions').set(as(token)).send({ assignment: TINY, code: PASSING, student, wait: 30 }).expect(201);

describe('roles', () => {
  test('a student sees its own submissions only; another token\'s answer 404; an instructor sees all', async () => {
    const ada = (await submit(students.ada, 'ada')).body;
    const bob = (await submit(students.bob, 'bob')).body;
    // Bob cannot read, report or delete Ada's, and cannot tell it exists.
    for (const path of [`/v1/submissions/${ada.id}`, `/v1/submissions/${ada.id}/report`]) {
      const res = await t.http.get(path).set(as(students.bob)).expect(404);
      assert.equal(res.body.error, 'not_found');
    }
    await t.http.delete(`/v1/submissions/${ada.id}`).set(as(students.bob)).expect(404);
    const bobs = await t.http.get('/v1/submissions').set(as(students.bob)).expect(200);
    assertContract(bobs, 'GET', '/v1/submissions');
    assert.deepEqual(bobs.body.items.map((i: { id: string }) => i.id), [bob.id]);
    // Filters do not widen a student's view.
    const filtered = await t.http.get('/v1/submissions?student=ada').set(as(students.bob)).expect(200);
    assert.deepEqual(filtered.body.items, []);
    // Ada reads her own; the instructor reads both.
    await t.http.get(`/v1/submissions/${ada.id}`).set(as(students.ada)).expect(200);
    const all = await t.http.get('/v1/submissions').set(as(INSTRUCTOR)).expect(200);
    assert.deepEqual(new Set(all.body.items.map((i: { id: string }) => i.id)), new Set([ada.id, bob.id]));
    await t.http.get(`/v1/submissions/${bob.id}/report`).set(as(INSTRUCTOR)).expect(200);
  });

  test('the owner deletes a submission, code and result; then it is gone for everyone', async () => {
    const ada = (await submit(students.ada, 'ada')).body;
    const res = await t.http.delete(`/v1/submissions/${ada.id}`).set(as(students.ada)).expect(204);
    assertContract(res, 'DELETE', '/v1/submissions/{id}');
    await t.http.get(`/v1/submissions/${ada.id}`).set(as(INSTRUCTOR)).expect(404);
    assert.equal(await t.service.store.code(ada.id), null);
  });

  test('an instructor deletes anyone\'s; a submission being graded is a 409 until it is done', async () => {
    const bob = (await submit(students.bob, 'bob')).body;
    await t.http.delete(`/v1/submissions/${bob.id}`).set(as(INSTRUCTOR)).expect(204);
  });

  test('a token revoked in the store stops working at the next request', async () => {
    const token = newToken();
    await t.service.store.addToken({ name: 'carol', role: 'student', digest: tokenDigest(token) });
    await t.http.get('/v1/assignments').set(as(token)).expect(200);
    assert.ok(t.service.store.revokeToken('carol'));
    await t.http.get('/v1/assignments').set(as(token)).expect(401);
  });
});

describe('whose submission it is', () => {
  const post = (token: string, fields: Record<string, unknown>) =>
    t.http.post('/v1/submissions').set(as(token)).send({ assignment: TINY, code: PASSING, ...fields });
  const stored = async () => (await t.service.store.list({ limit: 100 })).items.length;

  test("a student token files under its own name only: another is 403 on body.student and stores nothing; an instructor's under any", async () => {
    const before = await stored();
    const refused = await post(students.ada, { student: 'bob' }).expect(403);
    assertContract(refused, 'POST', '/v1/submissions');
    assert.equal(refused.body.error, 'forbidden');
    assert.deepEqual(refused.body.details.map((d: { field: string }) => d.field), ['body.student']);
    assert.match(refused.body.message, /body\.student/);
    assert.equal(await stored(), before, 'the refused submission was stored');
    const own = await post(students.ada, { student: 'ada', wait: 30 }).expect(201);
    assert.equal(own.body.student, 'ada');
    const filed = await post(INSTRUCTOR, { student: 'bob', wait: 30 }).expect(201);
    assert.equal(filed.body.student, 'bob');
  });

  test("a student token's submission without a student is filed under the token's name, and the gradebook shows it there", async () => {
    const mine = (await post(students.bob, { wait: 30 }).expect(201)).body;
    assert.equal(mine.student, 'bob');
    const book = await t.http.get(`/v1/assignments/${TINY}/gradebook`).set(as(INSTRUCTOR)).expect(200);
    const rows = book.body.rows as { student: string; latest: { id: string } }[];
    assert.equal(rows.find((r) => r.student === 'bob')?.latest.id, mine.id);
    assert.ok(!rows.some((r) => r.student.startsWith('token:')), rows.map((r) => r.student).join(', '));
  });

  test('a name with bidirectional controls or zero-width characters is refused, as control characters are', async () => {
    for (const student of ['ada\u202Enib', '\u2066ada\u2069', 'ad\u200Ba', 'ada\uFEFF', 'ada\u061C', 'ada\u200F', 'ada\u2060', 'ada\u0007']) {
      const res = await post(INSTRUCTOR, { student }).expect(400);
      assert.deepEqual(res.body.details.map((d: { field: string }) => d.field), ['body.student'], JSON.stringify(student));
    }
    const listed = await t.http.get(`/v1/submissions?student=${encodeURIComponent('ada\u202E')}`).set(as(INSTRUCTOR)).expect(400);
    assert.equal(listed.body.details[0].field, 'query.student');
  });
});

describe('failed authentication', () => {
  test('is limited per address: 429 with Retry-After, logged at warn without the token', async () => {
    const wrong = 'wrong-token-never-logged-5a4b';
    // Five failures a minute are allowed (an earlier test spent one): then 429, and 429 only.
    const answers: number[] = [];
    for (let i = 0; i < 7; i++) answers.push((await t.http.get('/v1/assignments').set(as(wrong))).status);
    const first = answers.indexOf(429);
    assert.ok(first >= 3 && first <= 5, answers.join(' '));
    assert.ok(answers.slice(0, first).every((s) => s === 401) && answers.slice(first).every((s) => s === 429), answers.join(' '));
    const refused = await t.http.get('/v1/assignments').set(as(wrong)).expect(429);
    assertContract(refused, 'GET', '/v1/assignments');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    // A good token is not held back by the failures.
    await t.http.get('/v1/assignments').set(as(INSTRUCTOR)).expect(200);
    const warnings = t.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'authentication failed');
    assert.ok(warnings.length >= 5 && warnings.every((l) => l.level === 40));
    assert.ok(!t.logs.some((l) => l.includes(wrong)), 'the token reached the log');
  });
});

describe('headers', () => {
  test('every answer: nosniff, no framing, a strict CSP; /v1 is never cached', async () => {
    const res = await t.http.get('/v1/assignments').set(as(INSTRUCTOR)).expect(200);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(res.headers['content-security-policy'], /default-src 'none'/);
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('the report page may run no script and load nothing', async () => {
    const done = (await submit(students.ada, 'ada')).body;
    const page = await t.http.get(`/v1/submissions/${done.id}/report`).set(as(students.ada)).expect(200);
    const csp = page.headers['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  test('/docs gets what Swagger UI needs, from this server only', async () => {
    const page = await t.http.get('/docs/').expect(200);
    const csp = page.headers['content-security-policy'];
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /https:|unsafe-eval/);
  });
});

describe('requests the parser refuses keep the API\'s shape', () => {
  before(() => t.service.app.listen({ port: 0, host: '127.0.0.1' }));

  const raw = (request: string, trickle?: string) =>
    new Promise<{ text: string; ms: number }>((resolve) => {
      const started = Date.now();
      const { port } = t.service.app.server.address() as { port: number };
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(request);
        if (trickle !== undefined) {
          const drip = setInterval(() => (socket.writable ? socket.write(trickle) : clearInterval(drip)), 500);
          socket.on('close', () => clearInterval(drip));
        }
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve({ text, ms: Date.now() - started }));
      socket.on('error', () => undefined);
    });

  /** An answer read off the socket: status, headers (lower-case names) and JSON body. */
  /** A raw answer, checked against openapi.yaml as the answer to `method` `url` (none: not even a request line was read). */
  const parse = (text: string, method = '', url = '') => {
    const split = text.indexOf('\r\n\r\n');
    const [status, ...lines] = text.slice(0, split).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const answer = { status: Number(status.split(' ')[1]), headers, text: text.slice(split + 4) };
    assertAnswer(answer, method, url);
    return { ...answer, body: JSON.parse(answer.text) as { error: string; details: { field: string }[] } };
  };
  /** Helmet's headers, compared with those of an ordinary answer. */
  const SECURITY = [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'strict-transport-security',
    'referrer-policy',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
    'x-permitted-cross-domain-policies',
  ];
  const assertSecured = async (headers: Record<string, string>, what: string) => {
    const ordinary = (await t.http.get('/healthz').expect(200)).headers;
    for (const name of SECURITY) {
      assert.ok(ordinary[name], `an ordinary answer lacks ${name}`);
      assert.equal(headers[name], ordinary[name], `${what}: ${name}`);
    }
  };
  /** Header lines of about `bytes` bytes in all, each short: many headers, few bytes of names and values. */
  const shortHeaders = (bytes: number) => {
    let text = '';
    for (let i = 0; text.length < bytes; i++) text += `X-${i}: v\r\n`;
    return text;
  };
  const head = (headers: string) => `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`;

  test('a head of 15 KB is taken, in one header or in 1,500 short ones', async () => {
    for (const headers of [`X-Big: ${'a'.repeat(15 * 1024)}\r\n`, shortHeaders(15 * 1024)]) {
      const { text } = await raw(head(headers));
      const what = `${headers.length} bytes in ${headers.split('\r\n').length - 1} headers: ${text.split('\r\n')[0]}`;
      assert.equal(parse(text, 'GET', '/healthz').status, 200, what);
    }
  });

  test('a head past 16 KB is a 431 in JSON naming the headers, with the security headers, in one header or in many', async () => {
    for (const headers of [`X-Big: ${'a'.repeat(17 * 1024)}\r\n`, shortHeaders(17 * 1024)]) {
      const answer = parse((await raw(head(headers))).text, 'GET', '/healthz');
      assert.equal(answer.status, 431);
      assert.equal(answer.body.error, 'headers_too_large');
      assert.deepEqual(answer.body.details.map((d) => d.field), ['header']);
      assert.match(answer.headers['content-type'], /^application\/json/);
      await assertSecured(answer.headers, `431 of ${headers.length} bytes`);
    }
  });

  test('an overlong path parameter is a 414, a malformed URL or request a 400, each with the security headers', async () => {
    const long = await t.http.get(`/v1/submissions/${'a'.repeat(500)}`).set(as(INSTRUCTOR)).expect(414);
    assert.equal(long.body.error, 'uri_too_long');
    await assertSecured(long.headers, 'overlong path');
    const bad = await t.http.get('/v1/submissions/%zz').set(as(INSTRUCTOR)).expect(400);
    assert.equal(bad.body.error, 'invalid_request');
    await assertSecured(bad.headers, 'malformed URL');
    const garbage = parse((await raw('NOT HTTP AT ALL\r\n\r\n')).text);
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.error, 'invalid_request');
    await assertSecured(garbage.headers, 'not HTTP');
  });

  test('a body sent a byte at a time is ended within seconds with a 408', async () => {
    const request = [
      'POST /v1/submissions HTTP/1.1',
      'Host: x',
      'Content-Type: application/json',
      'Content-Length: 100000',
      `Authorization: Bearer ${INSTRUCTOR}`,
      '',
      '{',
    ].join('\r\n');
    const { text, ms } = await raw(request, ' ');
    const answer = parse(text, 'POST', '/v1/submissions');
    assert.equal(answer.status, 408);
    assert.equal(answer.body.error, 'request_timeout');
    assert.ok(ms < 15_000, `ended after ${ms} ms`);
    await assertSecured(answer.headers, '408');
  });
});

describe('never open by accident', () => {
  const logsOf = () => {
    const lines: string[] = [];
    return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) };
  };

  test('with no token, the service refuses to listen off loopback, and says how to add one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-open-'));
    try {
      const config = loadConfig({ HOST: '0.0.0.0', MEMGRADE_DATA_DIR: dir, MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, MEMGRADE_POOL_SIZE: '1' });
      await assert.rejects(startService(config, logsOf().logger), (error: Error) => error instanceof ConfigError && /memgrade tokens add/.test(error.message));
      const run = spawnSync(process.execPath, ['--no-node-snapshot', 'src/main.ts'], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { PATH: process.env.PATH, HOST: '0.0.0.0', MEMGRADE_DATA_DIR: dir },
        encoding: 'utf8',
      });
      assert.equal(run.status, 1);
      assert.match(run.stderr, /not a loopback address/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a token in the store, or MEMGRADE_ALLOW_OPEN=true with a warning, lets it start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-open-'));
    try {
      const base = { HOST: '0.0.0.0', MEMGRADE_DATA_DIR: dir, MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, MEMGRADE_POOL_SIZE: '1' };
      const open = logsOf();
      const service = await startService(loadConfig({ ...base, MEMGRADE_ALLOW_OPEN: 'true' }), open.logger);
      await service.close();
      assert.ok(open.lines.some((l) => JSON.parse(l).level === 40 && /MEMGRADE_ALLOW_OPEN/.test(l)));
      const store = new SqliteStore(dir);
      await store.addToken({ name: 'teacher', role: 'instructor', digest: tokenDigest(newToken()) });
      await store.close();
      const withToken = await startService(loadConfig(base), logsOf().logger);
      await withToken.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('behind a trusted proxy, loopback is no shelter: with no token the service refuses to start, unless MEMGRADE_ALLOW_OPEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-open-'));
    try {
      const base = { MEMGRADE_DATA_DIR: dir, MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, MEMGRADE_POOL_SIZE: '1' };
      for (const proxy of ['true', '10.0.0.1, 10.0.0.0/8']) {
        const config = loadConfig({ ...base, MEMGRADE_TRUST_PROXY: proxy });
        assert.equal(config.host, '127.0.0.1');
        await assert.rejects(
          startService(config, logsOf().logger),
          (error: Error) => error instanceof ConfigError && /MEMGRADE_TRUST_PROXY/.test(error.message) && /memgrade tokens add/.test(error.message),
        );
      }
      const open = logsOf();
      const service = await startService(loadConfig({ ...base, MEMGRADE_TRUST_PROXY: 'true', MEMGRADE_ALLOW_OPEN: 'true' }), open.logger);
      await service.close();
      assert.ok(open.lines.some((l) => JSON.parse(l).level === 40 && /MEMGRADE_ALLOW_OPEN/.test(l)), 'no warning');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('data', () => {
  test('the data folder is the service\'s alone (0700): a sandbox user can neither read nor write it', () => {
    assert.equal(statSync(t.dataDir).mode & 0o777, 0o700);
  });

  test('tokens added with the command line work at once, without a restart', async () => {
    const bin = new URL('../../bin/memgrade', import.meta.url).pathname;
    const env = { ...process.env, MEMGRADE_DATA_DIR: t.dataDir };
    const add = spawnSync(bin, ['tokens', 'add', 'dana', '--role', 'student'], { env, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    const token = add.stdout.trim().split('\n').pop()!;
    assert.match(token, /^mg_[A-Za-z0-9_-]{32}$/);
    await t.http.get('/v1/assignments').set(as(token)).expect(200);
    const list = spawnSync(bin, ['tokens', 'list'], { env, encoding: 'utf8' });
    assert.match(list.stdout, /^dana\tstudent\tcreated \S+\tlast used \S+$/m);
    assert.ok(!list.stdout.includes(token), 'the list shows a token');
    const taken = spawnSync(bin, ['tokens', 'add', 'dana', '--role', 'student'], { env, encoding: 'utf8' });
    assert.equal(taken.status, 2);
    assert.match(taken.stderr, /exists already/);
    assert.equal(spawnSync(bin, ['tokens', 'revoke', 'dana'], { env }).status, 0);
    // Refused: 401, or 429 once this address has failed too often (an earlier test saw to that).
    const refused = await t.http.get('/v1/assignments').set(as(token));
    assert.ok([401, 429].includes(refused.status), String(refused.status));
  });

  test('MEMGRADE_RETENTION_DAYS removes older submissions, code and result, at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-retention-'));
    const first = await startTestService({}, dir);
    const old = await first.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201);
    const recent = await first.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING, wait: 30 }).expect(201);
    await first.close({ keepData: true });
    const db = new DatabaseSync(join(dir, 'memgrade.sqlite'));
    db.prepare('UPDATE submissions SET created_at = ? WHERE id = ?').run(new Date(Date.now() - 3 * 86_400_000).toISOString(), old.body.id);
    db.close();
    const second = await startTestService({ MEMGRADE_RETENTION_DAYS: '2' }, dir);
    try {
      await second.http.get(`/v1/submissions/${old.body.id}`).expect(404);
      await second.http.get(`/v1/submissions/${recent.body.id}`).expect(200);
    } finally {
      await second.close();
    }
  });

  test('a submission that stopped the service on two starts is marked internal, not started again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-crashloop-'));
    const first = await startTestService({}, dir);
    const accepted = await first.http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }).expect(202);
    await finished(first.http, accepted.body.id);
    await first.close({ keepData: true });
    // As if the service had died twice while grading it.
    const db = new DatabaseSync(join(dir, 'memgrade.sqlite'));
    db.prepare("UPDATE submissions SET status = 'running', result = NULL, finished_at = NULL, attempts = 2 WHERE id = ?").run(accepted.body.id);
    db.close();
    const second = await startTestService({}, dir);
    try {
      const done = await until('the submission to be marked', async () => {
        const res = await second.http.get(`/v1/submissions/${accepted.body.id}`).expect(200);
        return res.body.status === 'done' ? res.body : undefined;
      });
      assert.equal(done.result.reason, 'internal');
      assert.match(done.result.message, /started 2 times and stopped its grader each time/);
    } finally {
      await second.close();
    }
  });
});
