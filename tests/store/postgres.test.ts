// The store contract on PostgreSQL, then what only the shared store does: admissions and regrades
// in one transaction with the queue's job, several processes on one database (two stores stand
// for two processes: each has its own pool), and notifications of finished submissions.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { TokenNameTakenError, type SqlExecutor, type StoredSubmission } from '../../src/store/store.ts';
import { testDatabase, type TestDatabase } from '../support/postgres.ts';
import { gradeResult, newDelivery, newSubmission, storeContract } from './contract.ts';

storeContract('PostgresStore', async () => {
  const database = await testDatabase();
  return { store: await PostgresStore.open(database.url), remove: () => database.drop() };
});

/** The store's listening connections to the test database, by their application name. */
const LISTENERS = `SELECT pid FROM pg_stat_activity WHERE application_name = 'memgrade listen' AND datname = current_database()`;

async function sql(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const noSend = async () => {};

const UNBOUNDED = { total: 10, perClient: 10, storedBytesPerClient: Infinity };

describe('PostgresStore: what only the shared store does', () => {
  let database: TestDatabase;
  let a: PostgresStore;
  let b: PostgresStore;
  beforeEach(async () => {
    database = await testDatabase();
    [a, b] = await Promise.all([PostgresStore.open(database.url), PostgresStore.open(database.url)]);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await database.drop();
  });

  test('admit stores and sends until a bound, then refuses: the whole queue first, then a client’s share', async () => {
    const bounds = { total: 3, perClient: 2, storedBytesPerClient: Infinity };
    const sent: string[] = [];
    const send = async (db: SqlExecutor, stored: StoredSubmission) => {
      const { rows } = await db.executeSql('SELECT status FROM submissions WHERE id = $1', [stored.id]);
      assert.deepEqual(rows, [{ status: 'queued' }], 'send runs in the transaction that stored it');
      sent.push(stored.id);
    };
    const first = await a.admit(newSubmission({ client: 'token:x' }), bounds, send);
    assert.ok(first.accepted);
    assert.deepEqual(await b.get(first.submission.id), first.submission);
    const second = await b.admit(newSubmission({ client: 'token:x' }), bounds, send);
    assert.ok(second.accepted);
    assert.deepEqual(await a.admit(newSubmission({ client: 'token:x' }), bounds, send), { accepted: false, why: 'client_share', ahead: 2 });
    assert.ok((await a.admit(newSubmission({ client: 'token:y' }), bounds, send)).accepted);
    assert.deepEqual(await b.admit(newSubmission({ client: 'token:z' }), bounds, send), { accepted: false, why: 'full', ahead: 3 });
    assert.equal(sent.length, 3);
    assert.equal(await a.waiting(), 3);

    // A regrade takes no place: the finished one's place is free again.
    await a.finish(first.submission.id, gradeResult());
    await a.requeueForRegrade([first.submission.id]);
    const fourth = await b.admit(newSubmission({ client: 'token:z' }), bounds, send);
    assert.ok(fourth.accepted);
    assert.equal(fourth.submission.priority, 'live');
  });

  test('admit stores nothing when send throws, send’s own writes included', async () => {
    const failing = async (db: SqlExecutor, stored: StoredSubmission) => {
      await db.executeSql('CREATE TABLE side_effect (id text)');
      await db.executeSql('INSERT INTO side_effect (id) VALUES ($1)', [stored.id]);
      throw new Error('the queue refused the job');
    };
    await assert.rejects(a.admit(newSubmission(), UNBOUNDED, failing), /the queue refused the job/);
    assert.equal(await b.waiting(), 0);
    assert.deepEqual((await b.list({ limit: 10 })).items, []);
    assert.deepEqual(await sql(database.url, `SELECT to_regclass('side_effect') AS t`), [{ t: null }]);
    // The connection went back to the pool clean.
    const onePerClient = { ...UNBOUNDED, total: 20, perClient: 1 };
    for (let i = 0; i < 12; i++) assert.ok((await a.admit(newSubmission({ client: `token:${i}` }), onePerClient, noSend)).accepted);
  });

  test('a connection cut in a transaction fails that call, not the process, and the pool goes on', async () => {
    await assert.rejects(
      a.admit(newSubmission(), UNBOUNDED, async (db) => {
        await db.executeSql('SELECT pg_terminate_backend(pg_backend_pid())');
      }),
    );
    // Time for the broken connection's 'error' event, which would end this process unhandled.
    await sleep(50);
    assert.equal(await a.waiting(), 0);
    assert.ok((await a.admit(newSubmission(), UNBOUNDED, noSend)).accepted);
    assert.equal(await a.ping(), true);
  });

  test('admissions at once from two processes never pass the bound', async () => {
    const bounds = { ...UNBOUNDED, total: 5, perClient: 16 };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).admit(newSubmission({ client: `token:${i % 3}` }), bounds, noSend)),
    );
    assert.equal(results.filter((r) => r.accepted).length, 5);
    for (const refused of results.filter((r) => !r.accepted)) assert.deepEqual(refused, { accepted: false, why: 'full', ahead: 5 });
    assert.equal(await a.waiting(), 5);
  });

  test('admit refuses a client whose stored code and results would pass its byte bound, whatever their state', async () => {
    const bounds = { total: 10, perClient: 10, storedBytesPerClient: 100 };
    const code = 'x'.repeat(40);
    const first = await a.admit(newSubmission({ code, client: 'token:x' }), bounds, noSend);
    assert.ok(first.accepted);
    await a.finish(first.submission.id, gradeResult());
    const result = Buffer.byteLength(JSON.stringify(gradeResult()));
    // Graded, the first one takes its result's bytes too: far more than the bound.
    assert.deepEqual(await b.admit(newSubmission({ code, client: 'token:x' }), bounds, noSend), {
      accepted: false,
      why: 'client_storage',
      storedBytes: 40 + result,
    });
    assert.ok((await b.admit(newSubmission({ code, client: 'token:y' }), bounds, noSend)).accepted, 'another client has its own');
    assert.equal(await a.delete(first.submission.id), true);
    const second = await b.admit(newSubmission({ code, client: 'token:x' }), bounds, noSend);
    assert.ok(second.accepted, 'deleting makes room');
    assert.ok((await a.admit(newSubmission({ code, client: 'token:x' }), bounds, noSend)).accepted);
    assert.deepEqual(await a.admit(newSubmission({ code: 'x'.repeat(21), client: 'token:x' }), bounds, noSend), {
      accepted: false,
      why: 'client_storage',
      storedBytes: 80,
    });
    assert.ok((await a.admit(newSubmission({ code: 'x'.repeat(20), client: 'token:x' }), bounds, noSend)).accepted, 'up to the bound exactly');
  });

  test('admissions at once from two processes never pass a client’s byte bound', async () => {
    const bounds = { total: 100, perClient: 100, storedBytesPerClient: 55 };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).admit(newSubmission({ code: 'x'.repeat(10), client: 'token:x' }), bounds, noSend)),
    );
    assert.equal(results.filter((r) => r.accepted).length, 5);
    assert.equal(await a.storedBytes('token:x'), 50);
  });

  test('regradeWith requeues and sends the requeued ids in one transaction', async () => {
    const done = await a.insert(newSubmission());
    const queued = await a.insert(newSubmission());
    await a.finish(done.id, gradeResult());
    const result = (await a.get(done.id))?.result;

    await assert.rejects(
      b.regradeWith([done.id], async () => {
        throw new Error('the queue is down');
      }),
      /the queue is down/,
    );
    assert.deepEqual((await a.get(done.id))?.result, result, 'nothing requeued when send throws');

    let sent: string[] = [];
    const requeued = await b.regradeWith([queued.id, done.id, 'no-such-id'], async (db, ids) => {
      sent = ids;
      const { rows } = await db.executeSql('SELECT status, priority FROM submissions WHERE id = $1', [done.id]);
      assert.deepEqual(rows, [{ status: 'queued', priority: 1 }]);
    });
    assert.deepEqual(requeued, [done.id]);
    assert.deepEqual(sent, [done.id]);
    assert.equal((await a.get(done.id))?.priority, 'regrade');
    assert.deepEqual(
      await b.regradeWith(['no-such-id'], async () => assert.fail('send is not called when none was requeued')),
      [],
    );
  });

  test('two processes on one database see each other’s writes at once', async () => {
    const stored = await a.insert(newSubmission());
    assert.deepEqual(await b.get(stored.id), stored);
    const claimed = await b.claim(stored.id);
    assert.deepEqual(await a.get(stored.id), claimed);
    assert.equal(await a.finish(stored.id, gradeResult(), newDelivery(stored.id)), true);
    assert.equal((await b.get(stored.id))?.status, 'done');
    assert.equal((await b.list({ limit: 1 })).items[0].verdict?.status, 'failed');
    assert.equal(await b.claim(stored.id), null);
    await a.addToken({ name: 'teacher', role: 'instructor', digest: 'd' });
    await assert.rejects(b.addToken({ name: 'teacher', role: 'student', digest: 'e' }), TokenNameTakenError);
    assert.equal(await b.countTokens(), 1);
    // The cursor key is the database's: a page one process handed out, another goes on with.
    await b.insert(newSubmission());
    const page = await a.list({ limit: 1 });
    assert.equal((await b.list({ limit: 1, cursor: page.next ?? undefined })).items[0].id, stored.id);
  });

  test('one submission finished by two processes at once is stored once, with one delivery', async () => {
    for (let round = 0; round < 5; round++) {
      const { id } = await a.insert(newSubmission());
      const [one, two] = await Promise.all([
        a.finish(id, gradeResult({ message: 'from a' }), newDelivery(id)),
        b.finish(id, gradeResult({ message: 'from b' }), newDelivery(id)),
      ]);
      assert.equal(Number(one) + Number(two), 1);
      assert.equal((await a.get(id))?.result?.message, one ? 'from a' : 'from b');
    }
    assert.equal((await a.takeDueDeliveries(new Date(Date.now() + 1000).toISOString(), new Date(Date.now() + 60_000).toISOString(), 100)).length, 5);
  });

  test('deliveries taken by two processes at once are each taken by one', async () => {
    const made = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { id } = await a.insert(newSubmission());
      const delivery = newDelivery(id);
      made.add(delivery.id);
      await a.finish(id, gradeResult(), delivery);
    }
    const at = new Date(Date.now() + 1000).toISOString();
    const lease = new Date(Date.now() + 60_000).toISOString();
    const taken = (await Promise.all([a, b, a, b].map((store) => store.takeDueDeliveries(at, lease, 10)))).flat().map((d) => d.id);
    assert.equal(taken.length, new Set(taken).size, 'no delivery taken twice');
    const rest = (await b.takeDueDeliveries(at, lease, 100)).map((d) => d.id);
    assert.deepEqual(new Set([...taken, ...rest]), made);
  });

  test('listen hears a submission finished by another process, and listens again after its connection is cut', async () => {
    const heard: string[] = [];
    let reconnects = 0;
    const stop = await b.listen(
      (id) => heard.push(id),
      () => reconnects++,
    );
    const first = await a.insert(newSubmission());
    await a.finish(first.id, gradeResult());
    await until('the first notification', () => heard.includes(first.id));
    assert.equal(await a.finish(first.id, gradeResult()), false);

    const cut = await sql(
      database.url,
      `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = 'memgrade listen' AND datname = current_database()`,
    );
    assert.deepEqual(cut, [{ cut: true }]);
    await until('the reconnection', () => reconnects === 1);
    const second = await a.insert(newSubmission());
    await a.finish(second.id, gradeResult());
    await until('the notification after the reconnection', () => heard.includes(second.id));
    assert.deepEqual(heard, [first.id, second.id], 'one notification per stored result');

    await stop();
    const third = await a.insert(newSubmission());
    await a.finish(third.id, gradeResult());
    await sleep(200);
    assert.deepEqual(heard, [first.id, second.id], 'nothing heard once stopped');
    assert.deepEqual(await sql(database.url, LISTENERS), []);
  });

  test('close stops the listeners still running', async () => {
    await a.listen(
      () => {},
      () => {},
    );
    await a.close();
    assert.deepEqual(await sql(database.url, LISTENERS), []);
  });
});

describe('PostgresStore.open: the schema', () => {
  test('processes opening one new database at once migrate it once, and none fails', async () => {
    const database = await testDatabase();
    try {
      const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(database.url)));
      await Promise.all(stores.map((s) => s.close()));
      assert.deepEqual(await sql(database.url, 'SELECT version FROM memgrade_schema'), [{ version: 3 }]);
      const again = await PostgresStore.open(database.url);
      assert.equal(await again.ping(), true);
      await again.close();
    } finally {
      await database.drop();
    }
  });

  test('a schema newer than this memgrade knows is refused', async () => {
    const database = await testDatabase();
    try {
      await (await PostgresStore.open(database.url)).close();
      await sql(database.url, 'UPDATE memgrade_schema SET version = 99');
      await assert.rejects(PostgresStore.open(database.url), /schema is version 99, newer than this memgrade knows/);
    } finally {
      await database.drop();
    }
  });
});
