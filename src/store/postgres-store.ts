// The shared store: PostgreSQL, so that several service processes (the pg-boss queue) grade from
// one database. Same tables, same answers as SqliteStore; each write that decides something is one
// statement or one transaction, because another process may be making the same decision now.
import { randomUUID } from 'node:crypto';
import { DatabaseError, Pool, TypeOverrides, types, type ClientConfig, type PoolClient } from 'pg';
import { codeBytes, type GradeResult } from '../grading/index.ts';
import { DONE_CHANNEL, listenForDone } from './listener.ts';
import { LOCK_SPACE, LOCKS, migratePostgres } from './migrations.ts';
import {
  CURSOR_SECRET,
  CursorSeal,
  DELIVERY_COLUMNS,
  PRIORITY_COLUMN,
  WAITING,
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
  refusalAt,
  TokenNameTakenError,
  type AdmissionBounds,
  type AdmittedOrCount,
  type Delivery,
  type DependentRows,
  type GradebookEntry,
  type ListQuery,
  type NewDelivery,
  type NewSubmission,
  type Page,
  type Role,
  type SharedStore,
  type SqlExecutor,
  type StoredSubmission,
  type StoredToken,
} from './store.ts';

const POOL_SIZE = 10;
/** A database that does not answer makes ping() false and requests fail, rather than hang. */
const CONNECT_TIMEOUT_MS = 10_000;

// Rows come back in the shapes SqliteStore's have, so both share one mapping: times as
// toISOString() strings (the store writes them from JavaScript dates, to the millisecond, so
// nothing is lost), and bigints (seq, counts) as numbers, which they fit by far.
const TYPES = new TypeOverrides();
const parseTimestamp = types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (value: string) => Date;
TYPES.setTypeParser(types.builtins.TIMESTAMPTZ, 'text', (value: string) => parseTimestamp(value).toISOString());
TYPES.setTypeParser(types.builtins.INT8, 'text', Number);

const VERDICT_COLUMNS =
  'verdict_status AS v_status, verdict_reason AS v_reason, verdict_message AS v_message, peak_bytes AS v_peak_bytes, limit_bytes AS v_limit_bytes, ' +
  'score AS v_score, max_score AS v_max_score';
const VERDICT_SET =
  'verdict_status = $4, verdict_reason = $5, verdict_message = $6, peak_bytes = $7, limit_bytes = $8, score = $9, max_score = $10';
const VERDICT_CLEAR =
  'verdict_status = NULL, verdict_reason = NULL, verdict_message = NULL, peak_bytes = NULL, limit_bytes = NULL, score = NULL, max_score = NULL';

/**
 * The verdict columns' values, for VERDICT_SET's $4 to $10. U+0000 in the message, which text
 * cannot hold, reads as U+FFFD; the result itself keeps it.
 */
const verdictValues = (result: GradeResult) => [
  result.status,
  result.reason ?? null,
  result.message.replaceAll('\0', '\uFFFD'),
  result.peak_bytes ?? null,
  result.limit_bytes,
  result.score,
  result.max_score,
];

type Queryable = Pick<PoolClient, 'query'>;

const executor = (client: Queryable): SqlExecutor => ({ executeSql: (text, values) => client.query(text, values) });

const SQL = statements('postgres', VERDICT_COLUMNS);

export class PostgresStore implements SharedStore {
  readonly shared = true;
  /** The pool's connections and the listeners' are made alike. */
  private readonly connection: ClientConfig;
  private readonly pool: Pool;
  private readonly listeners = new Set<() => Promise<void>>();
  private readonly dependents: DependentRows[] = [];
  /** Set by open(), from the database's secret, before the store is handed out. */
  private cursors!: CursorSeal;
  private closed = false;

  private constructor(url: string) {
    this.connection = { connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true };
    this.pool = new Pool({ ...this.connection, max: POOL_SIZE, types: TYPES, application_name: 'memgrade' });
    // An idle connection that breaks (the server restarts, a network cut) is reported here; the
    // pool drops it and opens another when one is needed, and the next query that fails tells its
    // caller. Unhandled, this event would end the process; the store has no logger to tell.
    this.pool.on('error', () => {});
  }

  /** Connects and brings the schema up to date; any number of processes may do it at once. */
  static async open(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(url);
    try {
      const key = await store.transaction(async (client) => {
        await migratePostgres(client);
        await client.query(SQL.addSecret, [CURSOR_SECRET, newSecret()]);
        const { rows } = await client.query<{ value: Buffer }>(SQL.secret, [CURSOR_SECRET]);
        return rows[0].value;
      });
      store.cursors = new CursorSeal(key);
    } catch (error) {
      await store.pool.end();
      throw error;
    }
    return store;
  }

  /** Runs `work` in one transaction on one connection: all of it is stored, or none. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // The pool listens for a connection's errors only while it is idle: one that breaks while
    // checked out here would throw an unhandled 'error' and end the process. The query waiting on
    // it fails all the same, and the connection is closed rather than put back.
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollback) {
        // A connection that cannot roll back is closed rather than handed out mid-transaction.
        broken = rollback as Error;
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async insert(submission: NewSubmission): Promise<StoredSubmission> {
    return this.insertWith(this.pool, submission);
  }

  private async insertWith(client: Queryable, submission: NewSubmission): Promise<StoredSubmission> {
    const { rows } = await client.query<Row>(SQL.insert, [
      randomUUID(),
      submission.assignment,
      submission.student,
      submission.client,
      submission.requestId,
      Buffer.from(submission.code, 'utf8'),
      now(),
      submission.callbackUrl,
      codeBytes(submission.code),
    ]);
    return fromRow(rows[0]);
  }

  async get(id: string): Promise<StoredSubmission | null> {
    const { rows } = await this.pool.query<Row>(SQL.get, [id]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async code(id: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ code: Buffer }>(SQL.code, [id]);
    return rows.length ? rows[0].code.toString('utf8') : null;
  }

  async list(query: ListQuery): Promise<Page> {
    const { text, values } = SQL.list(query, this.cursors);
    const { rows } = await this.pool.query<ListRow>(text, values);
    return pageOf(rows, query.limit, this.cursors);
  }

  async claim(id: string): Promise<StoredSubmission | null> {
    const { rows } = await this.pool.query<Row>(SQL.claim, [now(), id]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** Also notifies DONE_CHANNEL with the id, when the transaction commits (see listen). */
  async finish(id: string, result: GradeResult, delivery: NewDelivery | null = null): Promise<boolean> {
    return this.transaction(async (client) => {
      const at = now();
      // Of two processes finishing one submission, the second waits for the first's row lock,
      // then finds it done: it stores nothing.
      const json = JSON.stringify(result);
      const stored = await client.query(
        `UPDATE submissions SET status = 'done', finished_at = $1, result = $2, ${VERDICT_SET}, result_bytes = $11
         WHERE id = $3 AND status <> 'done'`,
        [at, json, id, ...verdictValues(result), Buffer.byteLength(json)],
      );
      if (stored.rowCount === 0) return false;
      if (delivery !== null) await client.query(SQL.addDelivery, [delivery.id, delivery.submissionId, delivery.url, delivery.payload, at]);
      await client.query('SELECT pg_notify($1, $2)', [DONE_CHANNEL, id]);
      return true;
    });
  }

  async requeueForRegrade(ids: string[]): Promise<string[]> {
    return this.requeueWith(this.pool, ids);
  }

  /** Answers the requeued ids in the order they were asked for, as SqliteStore does. */
  private async requeueWith(client: Queryable, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await client.query<{ id: string }>(
      `UPDATE submissions SET status = 'queued', result = NULL, result_bytes = 0, ${VERDICT_CLEAR}, started_at = NULL, finished_at = NULL,
         attempts = 0, priority = $1
       WHERE id = ANY($2::text[]) AND status = 'done' RETURNING id`,
      [PRIORITY_COLUMN.regrade, ids],
    );
    const requeued = new Set(rows.map((row) => row.id));
    return [...new Set(ids)].filter((id) => requeued.has(id));
  }

  async waiting(client?: string): Promise<number> {
    const { rows } =
      client === undefined ? await this.pool.query<{ n: number }>(SQL.waiting) : await this.pool.query<{ n: number }>(SQL.waitingOf, [client]);
    return rows[0].n;
  }

  async storedBytes(client: string): Promise<number> {
    return this.storedBytesWith(this.pool, client);
  }

  private async storedBytesWith(client: Queryable, of: string): Promise<number> {
    const { rows } = await client.query<{ n: number | string }>(SQL.storedBytes, [of]);
    // sum() of bigints is numeric, which pg reads as a string.
    return Number(rows[0].n);
  }

  async gradebook(assignment: string): Promise<GradebookEntry[]> {
    const { rows } = await this.pool.query<GradebookRow>(SQL.gradebook, [assignment]);
    return rows.map(gradebookFromRow);
  }

  /**
   * The deliveries come back as they now are: their next try at `leaseUntil`. Rows another
   * process is taking at this moment are skipped, not waited for: it leases them.
   */
  async takeDueDeliveries(at: string, leaseUntil: string, limit: number): Promise<Delivery[]> {
    const { rows } = await this.pool.query<DeliveryRow & { due_at: string; due_created_at: string }>(
      `WITH due AS (
         SELECT id, next_attempt_at, created_at FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, created_at, id LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE webhook_deliveries AS d SET next_attempt_at = $2 FROM due WHERE d.id = due.id
       RETURNING ${qualified('d', DELIVERY_COLUMNS)}, due.next_attempt_at AS due_at, due.created_at AS due_created_at`,
      [at, leaseUntil, limit],
    );
    // RETURNING has no order of its own: the oldest due first, as they were chosen.
    const order = (row: (typeof rows)[number]) => [row.due_at, row.due_created_at, row.id];
    rows.sort((a, b) => compareTuples(order(a), order(b)));
    return rows.map(({ due_at: _at, due_created_at: _created, ...row }) => deliveryFromRow(row));
  }

  async nextDeliveryAt(): Promise<string | null> {
    const { rows } = await this.pool.query<{ at: string | null }>(SQL.nextDeliveryAt);
    return rows[0].at;
  }

  async updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): Promise<void> {
    await this.pool.query(SQL.updateDelivery, [change.status, change.attempts, change.nextAttemptAt, change.lastStatus, change.lastError, id]);
  }

  async requeue(id: string): Promise<void> {
    await this.pool.query(SQL.requeue, [id]);
  }

  /**
   * As SqliteStore's, this puts back every running submission, those other processes are grading
   * now included: it is for a start with no other process running.
   */
  async recover(): Promise<StoredSubmission[]> {
    return this.transaction(async (client) => {
      await client.query(SQL.requeueRunning);
      const { rows } = await client.query<Row>(SQL.queued);
      return rows.map(fromRow);
    });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.erase(SQL.deleteById, id)) > 0;
  }

  async deleteCreatedBefore(before: string): Promise<number> {
    return this.erase(SQL.deleteCreatedBefore, before);
  }

  deleteAlso(dependent: DependentRows): void {
    this.dependents.push(dependent);
  }

  /**
   * Deletes the submissions `deletion` picks, then the deliveries and dependent rows of those it
   * deleted; answers how many. The submissions go first: their row locks make a finish running
   * now wait, then find them gone and add no delivery.
   */
  private async erase(deletion: string, value: string): Promise<number> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(deletion, [value]);
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return 0;
      await client.query('DELETE FROM webhook_deliveries WHERE submission_id = ANY($1::text[])', [ids]);
      for (const dependent of this.dependents) await dependent(executor(client), ids);
      return ids.length;
    });
  }

  async addToken(token: { name: string; role: Role; digest: string }): Promise<StoredToken> {
    try {
      const { rows } = await this.pool.query<TokenRow>(SQL.addToken, [randomUUID(), token.name, token.role, token.digest, now()]);
      return tokenFromRow(rows[0]);
    } catch (error) {
      if (error instanceof DatabaseError && error.code === '23505' && error.constraint === 'tokens_name_key') {
        throw new TokenNameTakenError(`a token named "${token.name}" exists already`);
      }
      throw error;
    }
  }

  async listTokens(): Promise<StoredToken[]> {
    const { rows } = await this.pool.query<TokenRow>(SQL.listTokens);
    return rows.map(tokenFromRow);
  }

  async revokeToken(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(SQL.revokeToken, [name]);
    return (rowCount ?? 0) > 0;
  }

  async findToken(digest: string): Promise<StoredToken | null> {
    const { rows } = await this.pool.query<TokenRow>(SQL.findToken, [digest]);
    if (rows.length === 0) return null;
    const row = rows[0];
    const at = new Date();
    if (lastUseIsStale(row.last_used_at, at)) {
      await this.pool.query(SQL.touchToken, [at.toISOString(), row.id]);
      row.last_used_at = at.toISOString();
    }
    return tokenFromRow(row);
  }

  async countTokens(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(SQL.countTokens);
    return rows[0].n;
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((stop) => stop()));
    await this.pool.end();
  }

  async admit(
    submission: NewSubmission,
    bounds: AdmissionBounds,
    send: (db: SqlExecutor, stored: StoredSubmission) => Promise<void>,
  ): Promise<AdmittedOrCount> {
    return this.transaction(async (client) => {
      // Without the lock, two processes could each count one place left and both take it.
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCKS.admission]);
      const { rows } = await client.query<{ total: number; mine: number }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE client = $1) AS mine FROM submissions WHERE ${WAITING}`,
        [submission.client],
      );
      const storedBytes = bounds.storedBytesPerClient === Infinity ? 0 : await this.storedBytesWith(client, submission.client);
      const refused = refusalAt(bounds, { ...rows[0], storedBytes }, codeBytes(submission.code));
      if (refused !== null) return refused;
      const stored = await this.insertWith(client, submission);
      await send(executor(client), stored);
      return { accepted: true, submission: stored };
    });
  }

  async regradeWith(ids: string[], send: (db: SqlExecutor, ids: string[]) => Promise<void>): Promise<string[]> {
    return this.transaction(async (client) => {
      const requeued = await this.requeueWith(client, ids);
      if (requeued.length > 0) await send(executor(client), requeued);
      return requeued;
    });
  }

  async listen(onDone: (id: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    const stopListening = await listenForDone(this.connection, onDone, onReconnect);
    const stop = async () => {
      this.listeners.delete(stop);
      await stopListening();
    };
    this.listeners.add(stop);
    return stop;
  }
}

const qualified = (table: string, columns: string) =>
  columns
    .split(', ')
    .map((column) => `${table}.${column}`)
    .join(', ');

function compareTuples(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
