// Deletion for real, through the service: once a submission is deleted (DELETE, or retention),
// its code, its student's name and its id are in no file of the SQLite data folder, while the
// service runs and after it stops; on PostgreSQL, in no row of any table of the database, the
// webhook deliveries and pg-boss's jobs included (what PostgreSQL keeps below the rows, dead
// tuples and WAL, is docs/service.md's to say). A submission kept beside it is found, so that the
// search is shown to look where the data is.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { testDatabase, type TestDatabase } from '../support/postgres.ts';
import { filesHolding } from '../store/files.ts';
import { finished, PASSING, startTestService, TINY, type TestService } from './support.ts';

const WEBHOOKS = {
  MEMGRADE_WEBHOOK_SECRET: `whsec_${Buffer.from('memgrade-test-erasure-secret-24').toString('base64')}`,
  MEMGRADE_WEBHOOK_ALLOW_PRIVATE: 'true',
};
// Nothing listens there: the delivery stays stored, payload and all, and is retried.
const CALLBACK = 'http://127.0.0.1:9/hooks';

/** What a submission leaves wherever it is stored: its id, a line of its code, its student. */
interface Traced {
  id: string;
  texts: string[];
}

/** A graded submission whose code (long enough to spill out of one database page) and student are unique. */
async function traced(t: TestService, label: string): Promise<Traced> {
  const tag = `${label}-${randomBytes(6).toString('hex')}`;
  const code = `${PASSING}\n// code-of-${tag}\n// ${'padding '.repeat(2500)}\n`;
  const student = `student-${tag}`;
  const res = await t.http.post('/v1/submissions').send({ assignment: TINY, code, student, callback_url: CALLBACK }).expect(202);
  await finished(t.http, res.body.id);
  return { id: res.body.id, texts: [res.body.id, `code-of-${tag}`, student] };
}

/** Deletes with DELETE, or with retention's own call; answers what is deleted and what is kept. */
async function deleteSome(t: TestService, how: 'request' | 'retention'): Promise<{ gone: Traced[]; kept: Traced }> {
  if (how === 'request') {
    const gone = await traced(t, 'deleted');
    const kept = await traced(t, 'kept');
    await t.http.delete(`/v1/submissions/${gone.id}`).expect(204);
    return { gone: [gone], kept };
  }
  const gone = [await traced(t, 'expired'), await traced(t, 'expired')];
  await sleep(5);
  const cut = new Date().toISOString();
  await sleep(5);
  const kept = await traced(t, 'kept');
  assert.equal(await t.service.store.deleteCreatedBefore(cut), gone.length);
  return { gone, kept };
}

const textsOf = (some: Traced[]) => some.flatMap((s) => s.texts);

describe('SQLite: a deleted submission is in no file of the data folder', () => {
  for (const how of ['request', 'retention'] as const) {
    test(`deleted by ${how}: not after the deletion, not after a clean stop`, async () => {
      const t = await startTestService(WEBHOOKS);
      let deleted: Awaited<ReturnType<typeof deleteSome>>;
      try {
        deleted = await deleteSome(t, how);
        assert.deepEqual(filesHolding(t.dataDir, textsOf(deleted.gone)), [], 'while the service runs');
      } finally {
        await t.close({ keepData: true });
      }
      try {
        assert.deepEqual(filesHolding(t.dataDir, textsOf(deleted.gone)), [], 'once it stopped');
        const found = filesHolding(t.dataDir, deleted.kept.texts);
        for (const text of deleted.kept.texts) assert.ok(found.some((f) => f.endsWith(`: ${text}`)), `the kept submission's ${text} is found`);
      } finally {
        rmSync(t.dataDir, { recursive: true, force: true });
      }
    });
  }
});

/** "schema.table: text" for each text found in a row of any table, bytea (the code) as hex. */
async function rowsHolding(url: string, texts: string[]): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    const found: string[] = [];
    for (const { name } of tables) {
      for (const text of texts) {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${name} AS r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0`,
          [text, Buffer.from(text).toString('hex')],
        );
        if (rows[0].n > 0) found.push(`${name}: ${text}`);
      }
    }
    return found;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL: a deleted submission is in no row of the database', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const database of databases) await database.drop();
  });

  for (const how of ['request', 'retention'] as const) {
    test(`deleted by ${how}: its deliveries and its grading jobs go with it`, async () => {
      const database = await testDatabase();
      databases.push(database);
      const t = await startTestService({ ...WEBHOOKS, MEMGRADE_DATABASE_URL: database.url });
      try {
        const { gone, kept } = await deleteSome(t, how);
        assert.deepEqual(await rowsHolding(database.url, textsOf(gone)), []);
        const found = await rowsHolding(database.url, kept.texts);
        for (const table of ['public.submissions', 'public.webhook_deliveries', 'pgboss.job']) {
          assert.ok(found.includes(`${table}: ${kept.id}`), `the kept submission's id is found in ${table}: ${found.join(', ')}`);
        }
      } finally {
        await t.close();
      }
    });
  }
});
