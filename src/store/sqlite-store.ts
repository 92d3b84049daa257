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
import { ERASING_SINCE, migrateSqlite } from './migrations.ts';
import {
  CURSOR_SECRET,
  CursorSeal,
  DELIVERY_COLUMNS,
  PRIORITY_COLUMN,
  deliveryFromRow,
  fromRow,
  gradebookFromRow,
  lastUseIsStale,
  newSecret,
  now,
  pageOf,
  tokenFromRow,
  type DeliveryRow,
  type GradebookRow,
  type ListRow,
  type Row,
  type TokenRow,
} from './rows.ts';
import { statements } from './statements.ts';
import {
  TokenNameTakenError,
  type Delivery,
  type GradebookEntry,
  type ListQuery,
  type LocalStore,
  type NewDelivery,
  type NewSubmission,
  type Page,
  type Role,
  type StoredSubmission,
  type StoredToken,
} from './store.ts';

export const DATABASE_FILE = 'memgrade.sqlite';

// A list reads the verdict out of the stored JSON: a page never parses whole results.
const VERDICT_COLUMNS =
  `json_extract(result, '$.status') AS v_status, json_extract(result, '$.reason') AS v_reason, ` +
  `json_extract(result, '$.message') AS v_message, json_extract(result, '$.peak_bytes') AS v_peak_bytes, ` +
  `json_extract(result, '$.limit_bytes') AS v_limit_bytes, json_extract(result, '$.score') AS v_score, ` +
  `json_extract(result, '$.max_score') AS v_max_score`;

const SQL = statements('sqlite', VERDICT_COLUMNS);

export class SqliteStore implements LocalStore {
  readonly shared = false;
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
    const { version, key } = this.transaction(() => {
      const found = migrateSqlite(this.db);
      this.db.prepare(SQL.addSecret).run(CURSOR_SECRET, newSecret());
      return { version: found, key: (this.db.prepare(SQL.secret).get(CURSOR_SECRET) as { value: Uint8Array }).value };
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
      .prepare(SQL.insert)
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
    const row = this.db.prepare(SQL.get).get(id) as unknown as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async code(id: string): Promise<string | null> {
    const row = this.db.prepare(SQL.code).get(id) as unknown as { code: string } | undefined;
    return row ? row.code : null;
  }

  async list(query: ListQuery): Promise<Page> {
    const { text, values } = SQL.list(query, this.cursors);
    const rows = this.db.prepare(text).all(...values) as unknown as ListRow[];
    return pageOf(rows, query.limit, this.cursors);
  }

  async claim(id: string): Promise<StoredSubmission | null> {
    const row = this.db.prepare(SQL.claim).get(now(), id) as unknown as Row | undefined;
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
      if (delivery !== null) this.db.prepare(SQL.addDelivery).run(delivery.id, delivery.submissionId, delivery.url, delivery.payload, at);
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
        const row = update.get(PRIORITY_COLUMN.regrade, id) as { id: string } | undefined;
        if (row) requeued.push(row.id);
      }
      return requeued;
    });
  }

  async waiting(client?: string): Promise<number> {
    const row = (client === undefined ? this.db.prepare(SQL.waiting).get() : this.db.prepare(SQL.waitingOf).get(client)) as { n: number };
    return row.n;
  }

  async storedBytes(client: string): Promise<number> {
    return (this.db.prepare(SQL.storedBytes).get(client) as { n: number }).n;
  }

  async gradebook(assignment: string): Promise<GradebookEntry[]> {
    const rows = this.db.prepare(SQL.gradebook).all(assignment) as unknown as GradebookRow[];
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
    const row = this.db.prepare(SQL.nextDeliveryAt).get() as { at: string | null };
    return row.at;
  }

  async updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): Promise<void> {
    this.db.prepare(SQL.updateDelivery).run(change.status, change.attempts, change.nextAttemptAt, change.lastStatus, change.lastError, id);
  }

  async requeue(id: string): Promise<void> {
    this.db.prepare(SQL.requeue).run(id);
  }

  async recover(): Promise<StoredSubmission[]> {
    return this.transaction(() => {
      this.db.prepare(SQL.requeueRunning).run();
      const rows = this.db.prepare(SQL.queued).all() as unknown as Row[];
      return rows.map(fromRow);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.erase(SQL.deleteById, id) > 0;
  }

  async deleteCreatedBefore(before: string): Promise<number> {
    return this.erase(SQL.deleteCreatedBefore, before);
  }

  /** Deletes the submissions `deletion` picks and the deliveries that announce them; answers how many. */
  private erase(deletion: string, value: string): number {
    const erased = this.transaction(() => {
      const ids = this.db.prepare(deletion).all(value) as { id: string }[];
      const deliveries = this.db.prepare('DELETE FROM webhook_deliveries WHERE submission_id = ?');
      for (const { id } of ids) deliveries.run(id);
      return ids.length;
    });
    if (erased > 0) this.checkpoint();
    return erased;
  }

  async addToken(token: { name: string; role: Role; digest: string }): Promise<StoredToken> {
    try {
      const row = this.db.prepare(SQL.addToken).get(randomUUID(), token.name, token.role, token.digest, now()) as unknown as TokenRow;
      return tokenFromRow(row);
    } catch (error) {
      if (/UNIQUE constraint failed: tokens\.name/.test(String(error))) throw new TokenNameTakenError(`a token named "${token.name}" exists already`);
      throw error;
    }
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = this.db.prepare(SQL.listTokens).all() as unknown as TokenRow[];
    return rows.map(tokenFromRow);
  }

  async revokeToken(name: string): Promise<boolean> {
    return this.db.prepare(SQL.revokeToken).run(name).changes > 0;
  }

  async findToken(digest: string): Promise<StoredToken | null> {
    const row = this.db.prepare(SQL.findToken).get(digest) as unknown as TokenRow | undefined;
    if (!row) return null;
    const at = new Date();
    if (lastUseIsStale(row.last_used_at, at)) {
      this.db.prepare(SQL.touchToken).run(at.toISOString(), row.id);
      row.last_used_at = at.toISOString();
    }
    return tokenFromRow(row);
  }

  async countTokens(): Promise<number> {
    return (this.db.prepare(SQL.countTokens).get() as { n: number }).n;
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
