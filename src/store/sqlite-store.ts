// The embedded store: one SQLite file in the data directory. WAL with synchronous=FULL makes each
// insert durable before the API answers, so an accepted submission survives a crash or a power cut.
// A deletion erases: secure_delete zeroes what it frees in the pages, and a TRUNCATE checkpoint
// then writes those pages into the main file and empties the WAL, whose older frames still hold
// the rows as they were.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { codeBytes, type GradeResult } from '../grading/index.ts';
import {
  BASE_COLUMNS,
  COLUMNS,
  CURSOR_SECRET,
  CursorSeal,
  DELIVERY_COLUMNS,
  OWNER_FROM_TOKEN,
  PRIORITY,
  TOKEN_COLUMNS,
  WAITING,
  addSecretSql,
  deliveryFromRow,
  fromRow,
  gradebookFromRow,
  lastUseIsStale,
  listWhere,
  newSecret,
  now,
  pageOf,
  secretSql,
  storedBytesSql,
  tokenFromRow,
  type DeliveryRow,
  type GradebookRow,
  type ListRow,
  type Row,
  type TokenRow,
} from './rows.ts';
import {
  TokenNameTakenError,
  type Delivery,
  type GradebookEntry,
  type ListQuery,
  type NewDelivery,
  type NewSubmission,
  type Page,
  type Role,
  type StoredSubmission,
  type StoredToken,
  type SubmissionStore,
} from './store.ts';

export const DATABASE_FILE = 'memgrade.sqlite';

/** Each entry upgrades the schema by one version (PRAGMA user_version). */
export const MIGRATIONS = [
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
const ERASING_SINCE = 4;

// A list reads the verdict out of the stored JSON: a page never parses whole results.
const VERDICT_COLUMNS =
  `json_extract(result, '$.status') AS v_status, json_extract(result, '$.reason') AS v_reason, ` +
  `json_extract(result, '$.message') AS v_message, json_extract(result, '$.peak_bytes') AS v_peak_bytes, ` +
  `json_extract(result, '$.limit_bytes') AS v_limit_bytes, json_extract(result, '$.score') AS v_score, ` +
  `json_extract(result, '$.max_score') AS v_max_score`;

export class SqliteStore implements SubmissionStore {
  private readonly db: DatabaseSync;
  private readonly cursors: CursorSeal;

  /** Opens (creating if needed) the database in `dataDir`; ':memory:' gives a throw-away one. */
  constructor(dataDir: string) {
    // The data folder is the service's alone: sandbox processes, which run as another user where
    // the service is root, can neither read the submissions nor write the database.
    if (dataDir !== ':memory:') {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      chmodSync(dataDir, 0o700);
    }
    this.db = new DatabaseSync(dataDir === ':memory:' ? ':memory:' : join(dataDir, DATABASE_FILE));
    // secure_delete is a setting of the connection, not of the file: every connection that writes
    // (the service's, `memgrade tokens`') sets it.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;');
    const { user_version: version } = this.db.prepare('PRAGMA user_version').get() as { user_version: number };
    const key = this.transaction(() => {
      for (const sql of MIGRATIONS.slice(version)) this.db.exec(sql);
      this.db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
      this.db.prepare(addSecretSql('?', '?')).run(CURSOR_SECRET, newSecret());
      return (this.db.prepare(secretSql('?')).get(CURSOR_SECRET) as { value: Uint8Array }).value;
    });
    this.cursors = new CursorSeal(Buffer.from(key));
    // Rows an older memgrade deleted may still lie in free pages and free space: rewritten once.
    if (version > 0 && version < ERASING_SINCE) {
      this.db.exec('VACUUM');
      this.checkpoint();
    }
  }

  /**
   * Copies the WAL into the main file and empties it. A reader that holds an old snapshot (another
   * process reading the file) makes it wait, up to busy_timeout, then leave the WAL as it is: the
   * next deletion, or the last connection's close, empties it.
   */
  private checkpoint(): void {
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /**
   * Runs `work` in one IMMEDIATE transaction: all of it is stored, or none. IMMEDIATE takes the
   * write lock at once, so another process on the same file cannot slip in between a read and
   * the write it decides.
   */
  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.db.exec('COMMIT');
      return value;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async insert(submission: NewSubmission): Promise<StoredSubmission> {
    const row = this.db
      .prepare(
        `INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at, callback_url, code_bytes)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(
        randomUUID(),
        submission.assignment,
        submission.student,
        submission.client,
        submission.requestId,
        submission.code,
        now(),
        submission.callbackUrl,
        codeBytes(submission.code),
      ) as unknown as Row;
    return fromRow(row);
  }

  async get(id: string): Promise<StoredSubmission | null> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM submissions WHERE id = ?`).get(id) as unknown as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async code(id: string): Promise<string | null> {
    const row = this.db.prepare('SELECT code FROM submissions WHERE id = ?').get(id) as unknown as { code: string } | undefined;
    return row ? row.code : null;
  }

  async list(query: ListQuery): Promise<Page> {
    const { where, params } = listWhere(query, () => '?', this.cursors);
    const rows = this.db
      .prepare(`SELECT ${BASE_COLUMNS}, ${VERDICT_COLUMNS} FROM submissions ${where} ORDER BY seq DESC LIMIT ?`)
      .all(...params, query.limit + 1) as unknown as ListRow[];
    return pageOf(rows, query.limit, this.cursors);
  }

  async claim(id: string): Promise<StoredSubmission | null> {
    const row = this.db
      .prepare(
        `UPDATE submissions SET status = 'running', started_at = ?, attempts = attempts + 1
         WHERE id = ? AND status <> 'done' RETURNING ${COLUMNS}`,
      )
      .get(now(), id) as unknown as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async finish(id: string, result: GradeResult, delivery: NewDelivery | null = null): Promise<boolean> {
    return this.transaction(() => {
      const at = now();
      const json = JSON.stringify(result);
      const stored = this.db
        .prepare(`UPDATE submissions SET status = 'done', finished_at = ?, result = ?, result_bytes = ? WHERE id = ? AND status <> 'done'`)
        .run(at, json, Buffer.byteLength(json), id);
      if (stored.changes === 0) return false;
      if (delivery !== null) {
        this.db
          .prepare(
            `INSERT INTO webhook_deliveries (id, submission_id, url, payload, status, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
          )
          .run(delivery.id, delivery.submissionId, delivery.url, delivery.payload, at, at);
      }
      return true;
    });
  }

  async requeueForRegrade(ids: string[]): Promise<string[]> {
    return this.transaction(() => {
      const update = this.db.prepare(
        `UPDATE submissions SET status = 'queued', result = NULL, result_bytes = 0, started_at = NULL, finished_at = NULL, attempts = 0, priority = ?
         WHERE id = ? AND status = 'done' RETURNING id`,
      );
      const requeued: string[] = [];
      for (const id of ids) {
        const row = update.get(PRIORITY.regrade, id) as { id: string } | undefined;
        if (row) requeued.push(row.id);
      }
      return requeued;
    });
  }

  async waiting(client?: string): Promise<number> {
    const sql = `SELECT count(*) AS n FROM submissions WHERE ${WAITING}`;
    const row = (client === undefined ? this.db.prepare(sql).get() : this.db.prepare(`${sql} AND client = ?`).get(client)) as { n: number };
    return row.n;
  }

  async storedBytes(client: string): Promise<number> {
    return (this.db.prepare(storedBytesSql('?')).get(client) as { n: number }).n;
  }

  async gradebook(assignment: string): Promise<GradebookEntry[]> {
    const rows = this.db
      .prepare(
        `SELECT id, student, client, status, created_at, ${VERDICT_COLUMNS},
                json_extract(result, '$.score') AS score, json_extract(result, '$.max_score') AS max_score
         FROM submissions WHERE assignment = ? ORDER BY seq`,
      )
      .all(assignment) as unknown as GradebookRow[];
    return rows.map(gradebookFromRow);
  }

  /** The deliveries come back as they now are: their next try at `leaseUntil`. */
  async takeDueDeliveries(at: string, leaseUntil: string, limit: number): Promise<Delivery[]> {
    return this.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
           ORDER BY next_attempt_at, created_at, id LIMIT ?`,
        )
        .all(at, limit) as unknown as DeliveryRow[];
      const lease = this.db.prepare('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?');
      for (const row of rows) lease.run(leaseUntil, row.id);
      return rows.map((row) => deliveryFromRow({ ...row, next_attempt_at: leaseUntil }));
    });
  }

  async nextDeliveryAt(): Promise<string | null> {
    const row = this.db.prepare(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`).get() as { at: string | null };
    return row.at;
  }

  async updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): Promise<void> {
    this.db
      .prepare('UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?')
      .run(change.status, change.attempts, change.nextAttemptAt, change.lastStatus, change.lastError, id);
  }

  async requeue(id: string): Promise<void> {
    this.db.prepare(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE id = ? AND status = 'running'`).run(id);
  }

  async recover(): Promise<StoredSubmission[]> {
    return this.transaction(() => {
      this.db.prepare(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE status = 'running'`).run();
      const rows = this.db.prepare(`SELECT ${COLUMNS} FROM submissions WHERE status = 'queued' ORDER BY priority, seq`).all() as unknown as Row[];
      return rows.map(fromRow);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.erase('id = ?', id) > 0;
  }

  async deleteCreatedBefore(before: string): Promise<number> {
    return this.erase('created_at < ?', before);
  }

  /** Deletes the submissions `where` picks and the deliveries that announce them; answers how many. */
  private erase(where: string, value: string): number {
    const erased = this.transaction(() => {
      const ids = this.db.prepare(`DELETE FROM submissions WHERE ${where} RETURNING id`).all(value) as { id: string }[];
      const deliveries = this.db.prepare('DELETE FROM webhook_deliveries WHERE submission_id = ?');
      for (const { id } of ids) deliveries.run(id);
      return ids.length;
    });
    if (erased > 0) this.checkpoint();
    return erased;
  }

  async addToken(token: { name: string; role: Role; digest: string }): Promise<StoredToken> {
    try {
      const row = this.db
        .prepare(`INSERT INTO tokens (id, name, role, digest, created_at) VALUES (?, ?, ?, ?, ?) RETURNING ${TOKEN_COLUMNS}`)
        .get(randomUUID(), token.name, token.role, token.digest, now()) as unknown as TokenRow;
      return tokenFromRow(row);
    } catch (error) {
      if (/UNIQUE constraint failed: tokens\.name/.test(String(error))) throw new TokenNameTakenError(`a token named "${token.name}" exists already`);
      throw error;
    }
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY name`).all() as unknown as TokenRow[];
    return rows.map(tokenFromRow);
  }

  async revokeToken(name: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM tokens WHERE name = ?').run(name).changes > 0;
  }

  async findToken(digest: string): Promise<StoredToken | null> {
    const row = this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = ?`).get(digest) as unknown as TokenRow | undefined;
    if (!row) return null;
    const at = new Date();
    if (lastUseIsStale(row.last_used_at, at)) {
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at.toISOString(), row.id);
      row.last_used_at = at.toISOString();
    }
    return tokenFromRow(row);
  }

  async countTokens(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
  }

  async ping(): Promise<boolean> {
    try {
      return this.db.isOpen && this.db.prepare('SELECT 1 AS one').get() !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
