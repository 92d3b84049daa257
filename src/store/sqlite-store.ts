// The embedded store: one SQLite file in the data directory. WAL with synchronous=FULL makes each
// insert durable before the API answers, so an accepted submission survives a crash or a power cut.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { GradeResult } from '../grading/result.ts';
import {
  InvalidCursorError,
  TokenNameTakenError,
  type Delivery,
  type DeliveryStatus,
  type GradebookEntry,
  type ListedSubmission,
  type NewDelivery,
  type Role,
  type StoredToken,
  type ListQuery,
  type Verdict,
  type NewSubmission,
  type Page,
  type StoredSubmission,
  type SubmissionStatus,
  type SubmissionStore,
} from './store.ts';

export const DATABASE_FILE = 'memgrade.sqlite';

/** Each entry upgrades the schema by one version (PRAGMA user_version). */
const MIGRATIONS = [
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
];

const PRIORITY = { live: 0, regrade: 1 } as const;

/** A token's last use is written at most this often: a request is not a write. */
const LAST_USED_EVERY_MS = 60_000;

interface Row {
  seq: number;
  id: string;
  assignment: string;
  student: string | null;
  client: string;
  request_id: string;
  status: SubmissionStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  callback_url: string | null;
  priority: number;
  result: string | null;
}

interface DeliveryRow {
  id: string;
  submission_id: string;
  url: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
}

const deliveryFromRow = (row: DeliveryRow): Delivery => ({
  id: row.id,
  submissionId: row.submission_id,
  url: row.url,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastStatus: row.last_status,
  lastError: row.last_error,
});

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  last_used_at: string | null;
}

const tokenFromRow = (row: TokenRow): StoredToken => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

const BASE_COLUMNS =
  'seq, id, assignment, student, client, request_id, status, created_at, started_at, finished_at, attempts, callback_url, priority';
const COLUMNS = `${BASE_COLUMNS}, result`;
// A list reads the verdict out of the stored JSON: a page never parses whole results.
const VERDICT_COLUMNS =
  `json_extract(result, '$.status') AS v_status, json_extract(result, '$.reason') AS v_reason, ` +
  `json_extract(result, '$.message') AS v_message, json_extract(result, '$.peak_bytes') AS v_peak_bytes, ` +
  `json_extract(result, '$.limit_bytes') AS v_limit_bytes`;

interface ListRow extends Omit<Row, 'result'> {
  v_status: Verdict['status'] | null;
  v_reason: Verdict['reason'];
  v_message: string | null;
  v_peak_bytes: number | null;
  v_limit_bytes: number | null;
}

const verdictOf = (row: Omit<ListRow, keyof Row>): Verdict | null =>
  row.v_status === null
    ? null
    : { status: row.v_status, reason: row.v_reason, message: row.v_message ?? '', peak_bytes: row.v_peak_bytes, limit_bytes: row.v_limit_bytes ?? 0 };

function listedFromRow(row: ListRow): ListedSubmission {
  const { result: _none, ...common } = fromRow({ ...row, result: null });
  return { ...common, verdict: verdictOf(row) };
}

function fromRow(row: Row): StoredSubmission {
  return {
    id: row.id,
    assignment: row.assignment,
    student: row.student,
    client: row.client,
    requestId: row.request_id,
    status: row.status,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    callbackUrl: row.callback_url,
    priority: row.priority === PRIORITY.regrade ? 'regrade' : 'live',
    result: row.result === null ? null : (JSON.parse(row.result) as GradeResult),
  };
}

const encodeCursor = (seq: number) => Buffer.from(`s${seq}`).toString('base64url');

function decodeCursor(cursor: string): number {
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidCursorError('cursor is not one this service handed out');
  return Number(match[1]);
}

const now = () => new Date().toISOString();

export class SqliteStore implements SubmissionStore {
  private readonly db: DatabaseSync;

  /** Opens (creating if needed) the database in `dataDir`; ':memory:' gives a throw-away one. */
  constructor(dataDir: string) {
    // The data folder is the service's alone: sandbox processes, which run as another user where
    // the service is root, can neither read the submissions nor write the database.
    if (dataDir !== ':memory:') {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      chmodSync(dataDir, 0o700);
    }
    this.db = new DatabaseSync(dataDir === ':memory:' ? ':memory:' : join(dataDir, DATABASE_FILE));
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;');
    const { user_version: version } = this.db.prepare('PRAGMA user_version').get() as { user_version: number };
    this.transaction(() => {
      for (const sql of MIGRATIONS.slice(version)) this.db.exec(sql);
      this.db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    });
  }

  /** Runs `work` in one IMMEDIATE transaction: all of it is stored, or none. */
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

  insert(submission: NewSubmission): StoredSubmission {
    const row = this.db
      .prepare(
        `INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at, callback_url)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING ${COLUMNS}`,
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
      ) as unknown as Row;
    return fromRow(row);
  }

  get(id: string): StoredSubmission | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM submissions WHERE id = ?`).get(id) as unknown as Row | undefined;
    return row ? fromRow(row) : null;
  }

  code(id: string): string | null {
    const row = this.db.prepare('SELECT code FROM submissions WHERE id = ?').get(id) as unknown as { code: string } | undefined;
    return row ? row.code : null;
  }

  list(query: ListQuery): Page {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.assignment !== undefined) {
      where.push('assignment = ?');
      params.push(query.assignment);
    }
    if (query.student !== undefined) {
      where.push('student = ?');
      params.push(query.student);
    }
    if (query.client !== undefined) {
      where.push('client = ?');
      params.push(query.client);
    }
    if (query.cursor !== undefined) {
      where.push('seq < ?');
      params.push(decodeCursor(query.cursor));
    }
    const rows = this.db
      .prepare(
        `SELECT ${BASE_COLUMNS}, ${VERDICT_COLUMNS} FROM submissions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...params, query.limit + 1) as unknown as ListRow[];
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    return { items: page.map(listedFromRow), next: more ? encodeCursor(page[page.length - 1].seq) : null };
  }

  markRunning(id: string): void {
    this.db.prepare(`UPDATE submissions SET status = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ?`).run(now(), id);
  }

  delete(id: string): boolean {
    return this.db.prepare('DELETE FROM submissions WHERE id = ?').run(id).changes > 0;
  }

  deleteCreatedBefore(before: string): number {
    return Number(this.db.prepare('DELETE FROM submissions WHERE created_at < ?').run(before).changes);
  }

  addToken(token: { name: string; role: Role; digest: string }): StoredToken {
    try {
      const row = this.db
        .prepare('INSERT INTO tokens (id, name, role, digest, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id, name, role, created_at, last_used_at')
        .get(randomUUID(), token.name, token.role, token.digest, now()) as unknown as TokenRow;
      return tokenFromRow(row);
    } catch (error) {
      if (/UNIQUE constraint failed: tokens\.name/.test(String(error))) throw new TokenNameTakenError(`a token named "${token.name}" exists already`);
      throw error;
    }
  }

  listTokens(): StoredToken[] {
    const rows = this.db.prepare('SELECT id, name, role, created_at, last_used_at FROM tokens ORDER BY name').all() as unknown as TokenRow[];
    return rows.map(tokenFromRow);
  }

  revokeToken(name: string): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE name = ?').run(name).changes > 0;
  }

  findToken(digest: string): StoredToken | null {
    const row = this.db.prepare('SELECT id, name, role, created_at, last_used_at FROM tokens WHERE digest = ?').get(digest) as unknown as
      | TokenRow
      | undefined;
    if (!row) return null;
    const at = new Date();
    if (row.last_used_at === null || at.getTime() - Date.parse(row.last_used_at) > LAST_USED_EVERY_MS) {
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at.toISOString(), row.id);
      row.last_used_at = at.toISOString();
    }
    return tokenFromRow(row);
  }

  countTokens(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
  }

  finish(id: string, result: GradeResult, delivery: NewDelivery | null = null): void {
    this.transaction(() => {
      const at = now();
      this.db.prepare(`UPDATE submissions SET status = 'done', finished_at = ?, result = ? WHERE id = ?`).run(at, JSON.stringify(result), id);
      if (delivery !== null) {
        this.db
          .prepare(
            `INSERT INTO webhook_deliveries (id, submission_id, url, payload, status, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
          )
          .run(delivery.id, delivery.submissionId, delivery.url, delivery.payload, at, at);
      }
    });
  }

  requeueForRegrade(ids: string[]): number {
    return this.transaction(() => {
      const update = this.db.prepare(
        `UPDATE submissions SET status = 'queued', result = NULL, started_at = NULL, finished_at = NULL, attempts = 0, priority = ?
         WHERE id = ? AND status = 'done'`,
      );
      let count = 0;
      for (const id of ids) count += Number(update.run(PRIORITY.regrade, id).changes);
      return count;
    });
  }

  gradebook(assignment: string): GradebookEntry[] {
    const rows = this.db
      .prepare(
        `SELECT id, student, client, status, created_at, ${VERDICT_COLUMNS},
                json_extract(result, '$.score') AS score, json_extract(result, '$.max_score') AS max_score
         FROM submissions WHERE assignment = ? ORDER BY seq`,
      )
      .all(assignment) as unknown as (ListRow & { score: number | null; max_score: number | null })[];
    return rows.map((row) => ({
      id: row.id,
      student: row.student,
      client: row.client,
      status: row.status,
      createdAt: row.created_at,
      verdict: verdictOf(row),
      score: row.score,
      maxScore: row.max_score,
    }));
  }

  dueDeliveries(at: string, limit: number): Delivery[] {
    const rows = this.db
      .prepare(`SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`)
      .all(at, limit) as unknown as DeliveryRow[];
    return rows.map(deliveryFromRow);
  }

  nextDeliveryAt(): string | null {
    const row = this.db.prepare(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`).get() as { at: string | null };
    return row.at;
  }

  updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): void {
    this.db
      .prepare('UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?')
      .run(change.status, change.attempts, change.nextAttemptAt, change.lastStatus, change.lastError, id);
  }

  requeue(id: string): void {
    this.db.prepare(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE id = ? AND status = 'running'`).run(id);
  }

  recover(): StoredSubmission[] {
    return this.transaction(() => {
      this.db.prepare(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE status = 'running'`).run();
      const rows = this.db.prepare(`SELECT ${COLUMNS} FROM submissions WHERE status = 'queued' ORDER BY priority, seq`).all() as unknown as Row[];
      return rows.map(fromRow);
    });
  }

  ping(): boolean {
    try {
      return this.db.isOpen && this.db.prepare('SELECT 1 AS one').get() !== undefined;
    } catch {
      return false;
    }
  }

  close(): void {
    this.db.close();
  }
}
