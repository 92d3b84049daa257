// A client's share of the storage, on both stores: past MEMGRADE_STORAGE_PER_CLIENT_MB of code
// and results kept, its next submission is refused with a message that says to delete old ones,
// until it does; submissions that arrive together never take it past the bound (on SQLite the
// local queue decides, on PostgreSQL the admission transaction).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { codeBytes } from '../../src/grading/index.ts';
import { testDatabase, type TestDatabase } from '../support/postgres.ts';
import { assertContract, PASSING, slowPassing, startTestService, TINY, until, type TestService } from './support.ts';

const ALPHA = 'alpha-token-5e6f7a8b';
const BETA = 'beta-token-9c0d1e2f';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

const MiB = 1024 * 1024;
const SIZE = 60_000;
/** Correct code of exactly SIZE bytes: 17 of them fit in 1 MiB, with room for a few results; 18 do not. */
const CODE = `${PASSING}\n//${'x'.repeat(SIZE - codeBytes(PASSING) - 3)}`;
const FIT = Math.floor(MiB / SIZE);

const databases: TestDatabase[] = [];
after(async () => {
  for (const database of databases) await database.drop();
});

const backends: Record<string, () => Promise<Record<string, string>>> = {
  SQLite: async () => ({}),
  PostgreSQL: async () => {
    const database = await testDatabase();
    databases.push(database);
    return { MEMGRADE_DATABASE_URL: database.url };
  },
};

for (const [name, backend] of Object.entries(backends)) {
  describe(`${name}: stored bytes per client`, () => {
    test('submissions past the bound are refused, all at once or one by one, until old ones are deleted', async () => {
      assert.equal(codeBytes(CODE), SIZE);
      const t: TestService = await startTestService({
        ...(await backend()),
        MEMGRADE_TOKENS: `${ALPHA},${BETA}`,
        MEMGRADE_STORAGE_PER_CLIENT_MB: '1',
        MEMGRADE_QUEUE_PER_CLIENT: '50',
        MEMGRADE_QUEUE_LIMIT: '100',
      });
      try {
        const submit = (token: string, code: string) => t.http.post('/v1/submissions').set(as(token)).send({ assignment: TINY, code });
        // Another client's slow grading holds the one sandbox process: what follows stays queued,
        // its stored bytes its code's alone.
        const busy = (await submit(BETA, slowPassing(2000)).expect(202)).body.id;
        await until('the busy grading to start', async () => {
          const res = await t.http.get(`/v1/submissions/${busy}`).set(as(BETA)).expect(200);
          return res.body.status === 'queued' ? undefined : true;
        });

        const burst = await Promise.all(Array.from({ length: FIT + 8 }, () => submit(ALPHA, CODE)));
        const accepted = burst.filter((r) => r.status === 202).map((r) => r.body.id as string);
        const refused = burst.filter((r) => r.status !== 202);
        assert.equal(accepted.length, FIT, `${FIT} fit in 1 MiB: ${burst.map((r) => r.status).join(' ')}`);
        for (const res of refused) {
          assert.equal(res.status, 429);
          assertContract(res, 'POST', '/v1/submissions');
          assert.equal(res.body.error, 'quota_exceeded');
          assert.match(res.body.message, /delete/);
        }
        await submit(BETA, PASSING).expect(202);

        // Deleting one makes room for one.
        let deleted = false;
        for (const id of accepted) {
          const res = await t.http.delete(`/v1/submissions/${id}`).set(as(ALPHA));
          if (res.status === 204) {
            deleted = true;
            break;
          }
        }
        assert.ok(deleted);
        await submit(ALPHA, CODE).expect(202);
        await submit(ALPHA, CODE).expect(429);

        // Submitted in one tick, as no burst of requests can: each would read the client's stored
        // bytes before any of them is inserted, were one client's admissions not decided in turn.
        const together = await Promise.all(
          Array.from({ length: FIT + 3 }, (_, i) =>
            t.service.queue.submit({ assignment: TINY, code: CODE, student: null, client: 'test:one-tick', requestId: `r${i}`, callbackUrl: null }),
          ),
        );
        assert.equal(together.filter((a) => a.accepted).length, FIT);
        for (const refusal of together.filter((a) => !a.accepted)) assert.equal(refusal.why, 'client_storage');
      } finally {
        await t.close();
      }
    });
  });
}
