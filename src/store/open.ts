// The one place that picks the backend: PostgreSQL when a URL is given, SQLite in the data folder
// otherwise. The service, the worker and `memgrade tokens` all open their store here. The
// PostgreSQL driver is loaded only when it is used: the embedded setup never needs it.
import { SqliteStore } from './sqlite-store.ts';
import type { OpenedStore } from './store.ts';

export async function openStore(where: { databaseUrl: string; dataDir: string }): Promise<OpenedStore> {
  if (where.databaseUrl === '') return new SqliteStore(where.dataDir);
  const { PostgresStore } = await import('./postgres-store.ts');
  return PostgresStore.open(where.databaseUrl);
}
