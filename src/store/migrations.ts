// Each store's schema, as the migrations that build it one version at a time, and how each store
// applies them when it opens. Both stores end with the same tables and columns (PostgreSQL's with
// the verdict copied out of the result), which statements.ts relies on.
import type { DatabaseSync } from 'node:sqlite';
import type { PoolClient } from 'pg';

/**
 * Files every submission a student token made under that token's name. Before the rule that a
 * student token submits as itself, such a submission could name anyone in `student`; a migration
 * runs this once, in both stores.
 */
const OWNER_FROM_TOKEN =
  `UPDATE submissions SET student = (SELECT name FROM tokens WHERE 'token:' || tokens.id = submissions.client)
   WHERE client IN (SELECT 'token:' || id FROM tokens WHERE role = 'student');`;

/** Each entry upgrades the SQLite schema by one version (PRAGMA user_version). */
export const SQLITE_MIGRATIONS = [
  `CREATE TABLE submissions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     assignment TEXT NOT NULL,
     student TEXT,
     client TEXT NOT NULL,
     request_id TEXT NOT NULL,
     code TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done')),
     created_at TEXT NOT NULL,
     started_at TEXT,
     finished_at TEXT,
     result TEXT
   );
   CREATE INDEX submissions_by_status ON submissions (status, seq);
   CREATE INDEX submissions_by_assignment ON submissions (assignment, seq);
   CREATE INDEX submissions_by_student ON submissions (student, seq);`,
  `ALTER TABLE submissions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX submissions_by_client ON submissions (client, seq);
   CREATE INDEX submissions_by_created ON submissions (created_at);
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     role TEXT NOT NULL CHECK (role IN ('student', 'instructor')),
     digest TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     last_used_at TEXT
   );`,
  `ALTER TABLE submissions ADD COLUMN callback_url TEXT;
   ALTER TABLE submissions ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE webhook_deliveries (
     id TEXT PRIMARY KEY,
     submission_id TEXT NOT NULL,
     url TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'gone')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     last_status INTEGER,
     last_error TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);`,
  `ALTER TABLE submissions ADD COLUMN code_bytes INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE submissions ADD COLUMN result_bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE submissions SET code_bytes = length(CAST(code AS BLOB)), result_bytes = coalesce(length(CAST(result AS BLOB)), 0);
   CREATE INDEX webhook_deliveries_by_submission ON webhook_deliveries (submission_id);
   CREATE TABLE memgrade_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);`,
  OWNER_FROM_TOKEN,
];

/** The first schema whose deletions erase (secure_delete): an older one may hold deleted rows in its free space. */
export const ERASING_SINCE = 4;

/**
 * Brings a SQLite database up to date; the caller holds a write transaction. Answers the version it
 * found.
 */
export function migrateSqlite(db: DatabaseSync): number {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  for (const sql of SQLITE_MIGRATIONS.slice(version)) db.exec(sql);
  db.exec(`PRAGMA user_version = ${SQLITE_MIGRATIONS.length}`);
  return version;
}

/**
 * Each entry upgrades the PostgreSQL schema by one version (memgrade_schema.version). The first is
 * the SQLite schema as its three first migrations left it, in PostgreSQL's types, plus the verdict
 * columns.
 */
const POSTGRES_MIGRATIONS = [
  `CREATE TABLE submissions (
     seq bigserial PRIMARY KEY,
     id text NOT NULL UNIQUE,
     assignment text NOT NULL,
     student text,
     client text NOT NULL,
     request_id text NOT NULL,
     -- UTF-8 bytes: text cannot hold U+0000, which a submission may (SQLite keeps it)
     code bytea NOT NULL,
     status text NOT NULL CHECK (status IN ('queued', 'running', 'done')),
     created_at timestamptz NOT NULL,
     started_at timestamptz,
     finished_at timestamptz,
     -- text, not jsonb: the result is kept exactly as produced, its keys in their order
     result text,
     attempts integer NOT NULL DEFAULT 0,
     callback_url text,
     priority integer NOT NULL DEFAULT 0,
     -- Copied out of the result with it (postgres-store.ts, verdictValues): lists and gradebooks read these, as
     -- SQLite's read json_extract(result, ...), because PostgreSQL's JSON types refuse strings a
     -- result may hold (U+0000, lone surrogates), and one such result would fail a whole page.
     verdict_status text,
     verdict_reason text,
     verdict_message text,
     peak_bytes bigint,
     limit_bytes bigint,
     score double precision,
     max_score double precision
   );
   CREATE INDEX submissions_by_status ON submissions (status, seq);
   CREATE INDEX submissions_by_assignment ON submissions (assignment, seq);
   CREATE INDEX submissions_by_student ON submissions (student, seq);
   CREATE INDEX submissions_by_client ON submissions (client, seq);
   CREATE INDEX submissions_by_created ON submissions (created_at);
   CREATE TABLE tokens (
     id text PRIMARY KEY,
     name text NOT NULL CONSTRAINT tokens_name_key UNIQUE,
     role text NOT NULL CHECK (role IN ('student', 'instructor')),
     digest text NOT NULL UNIQUE,
     created_at timestamptz NOT NULL,
     last_used_at timestamptz
   );
   CREATE TABLE webhook_deliveries (
     id text PRIMARY KEY,
     submission_id text NOT NULL,
     url text NOT NULL,
     payload text NOT NULL,
     status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'gone')),
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at timestamptz NOT NULL,
     last_status integer,
     last_error text,
     created_at timestamptz NOT NULL
   );
   CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);`,
  `ALTER TABLE submissions ADD COLUMN code_bytes bigint NOT NULL DEFAULT 0, ADD COLUMN result_bytes bigint NOT NULL DEFAULT 0;
   UPDATE submissions SET code_bytes = octet_length(code), result_bytes = coalesce(octet_length(result), 0);
   CREATE INDEX webhook_deliveries_by_submission ON webhook_deliveries (submission_id);
   CREATE TABLE memgrade_secrets (name text PRIMARY KEY, value bytea NOT NULL);`,
  OWNER_FROM_TOKEN,
];

// memgrade's advisory locks are (LOCK_SPACE, n), n one of LOCKS: two int4 keys cannot collide with
// pg-boss's, which takes single bigint keys.
export const LOCK_SPACE = 0x6d656d67; // "memg"
export const LOCKS = { migration: 1, admission: 2 } as const;

/**
 * Brings a PostgreSQL database up to date, in the caller's transaction, holding the migration lock:
 * a process that starts while another migrates waits, then finds the schema done. The lock goes
 * with the transaction, even if this one dies.
 */
export async function migratePostgres(client: Pick<PoolClient, 'query'>): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCKS.migration]);
  await client.query('CREATE TABLE IF NOT EXISTS memgrade_schema (version integer NOT NULL)');
  const found = await client.query<{ version: number }>('SELECT version FROM memgrade_schema');
  let version = found.rows[0]?.version;
  if (version === undefined) {
    version = 0;
    await client.query('INSERT INTO memgrade_schema (version) VALUES (0)');
  }
  // An older memgrade would misread a schema it does not know; it stops instead.
  if (version > POSTGRES_MIGRATIONS.length) {
    throw new Error(`the database's schema is version ${version}, newer than this memgrade knows (${POSTGRES_MIGRATIONS.length})`);
  }
  for (const sql of POSTGRES_MIGRATIONS.slice(version)) await client.query(sql);
  await client.query('UPDATE memgrade_schema SET version = $1', [POSTGRES_MIGRATIONS.length]);
}
