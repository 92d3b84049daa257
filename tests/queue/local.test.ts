// The queue contract on the in-process queue over SQLite, each process's store in a data folder of
// the test's own: a restart opens the same file, as the service does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalQueue } from '../../src/queue/index.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { queueContract } from './contract.ts';

queueContract('LocalQueue', {
  async place() {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-queue-'));
    return { where: dir, remove: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  openStore: async (dir) => new SqliteStore(dir),
  queue: async ({ grader, limits }) => new LocalQueue(grader, limits),
});
