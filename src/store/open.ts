// The one place that picks the backend: PostgreSQL when a URL is given, SQLite in the data folder
// otherwise. The service, the worker and `memgrade tokens` all open their store here.
import { PostgresStore } from './postgres-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { SubmissionStore } from './store.ts';

export async function openStore(where: { databaseUrl: string; dataDir: string }): Promise<SubmissionStore> {
  return where.databaseUrl === '' ? new SqliteStore(where.dataDir) : PostgresStore.open(where.databaseUrl);
}
