// The store contract on SQLite, in memory: the file-backed database runs the same statements.
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { storeContract } from './contract.ts';

storeContract('SqliteStore', async () => ({ store: new SqliteStore(':memory:'), remove: async () => {} }));
