// The store contract on SQLite, in memory: the file-backed database runs the same statements.
// Then what only a file shows: the cursor key kept in it, and deleted content scrubbed from it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { SQLITE_MIGRATIONS } from '../../src/store/migrations.ts';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.ts';
import { InvalidCursorError } from '../../src/store/store.ts';
import { filesHolding } from './files.ts';
import { newSubmission, storeContract } from './contract.ts';

storeContract('SqliteStore', async () => ({ store: new SqliteStore(':memory:'), remove: async () => {} }));

describe('SqliteStore in a data folder', () => {
  let dirs: string[];
  const folder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'memgrade-sqlite-'));
    dirs.push(dir);
    return dir;
  };
  beforeEach(() => (dirs = []));
  afterEach(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("a cursor opens after a restart, and in no other folder's store", async () => {
    const dir = folder();
    let store = new SqliteStore(dir);
    for (let i = 0; i < 3; i++) await store.insert(newSubmission());
    const first = await store.list({ limit: 1 });
    await store.close();
    store = new SqliteStore(dir);
    const second = await store.list({ limit: 1, cursor: first.next ?? undefined });
    assert.equal(second.items.length, 1);
    assert.notEqual(second.items[0].id, first.items[0].id);
    await store.close();

    const other = new SqliteStore(folder());
    for (let i = 0; i < 3; i++) await other.insert(newSubmission());
    await assert.rejects(other.list({ limit: 1, cursor: first.next ?? undefined }), InvalidCursorError);
    await other.close();
  });

  test('what an older memgrade deleted, and left in free space, is scrubbed at the first start of this one', async () => {
    const dir = folder();
    const marker = `left-behind-${Date.now()}`;
    // A database as the last schema without secure deletion left it, with a row deleted in it.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec('PRAGMA journal_mode = WAL');
    for (const sql of SQLITE_MIGRATIONS.slice(0, 3)) db.exec(sql);
    db.exec('PRAGMA user_version = 3');
    db.prepare(
      `INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at) VALUES ('x', 'a', ?, 'c', 'r', ?, 'queued', 't')`,
    ).run(marker, `// ${marker}\n${'x'.repeat(10_000)}`);
    db.prepare('DELETE FROM submissions').run();
    db.close();
    assert.notDeepEqual(filesHolding(dir, [marker]), [], 'the deleted row is still in the file, as the old store left it');

    const store = new SqliteStore(dir);
    await store.close();
    assert.deepEqual(filesHolding(dir, [marker]), []);
  });

  test("an older database files a student token's submissions under the token's name", async () => {
    const dir = folder();
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    for (const sql of SQLITE_MIGRATIONS.slice(0, 4)) db.exec(sql);
    db.exec('PRAGMA user_version = 4');
    const token = db.prepare("INSERT INTO tokens (id, name, role, digest, created_at) VALUES (?, ?, ?, ?, 't')");
    token.run('s1', 'ada', 'student', 'd1');
    token.run('i1', 'prof', 'instructor', 'd2');
    const row = db.prepare(
      "INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at) VALUES (?, 'a', ?, ?, 'r', '', 'queued', 't')",
    );
    row.run('by-ada', 'bob', 'token:s1');
    row.run('by-prof', 'bob', 'token:i1');
    db.close();

    const store = new SqliteStore(dir);
    assert.equal((await store.get('by-ada'))?.student, 'ada', 'a student token files as itself');
    assert.equal((await store.get('by-prof'))?.student, 'bob', 'an instructor files under any name');
    await store.close();
  });
});
