// The shared store: PostgreSQL, so that several service processes (the pg-boss queue) grade from
// one database. Same tables, same answers as SqliteStore; each write that decides something is one
// statement or one transaction, because another process may be making the same decision now.
import { randomUUID } from 'node:crypto';
import { Client, DatabaseError, Pool, TypeOverrides, types, type PoolClient } from 'pg';
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

/** pg-boss's IDatabase shape, so that pg-boss `send(name, data, { db })` joins our transaction. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** What a submission is admitted within: admit counts these before it stores. */
export interface AdmissionBounds {
  /** Live submissions queued or running at once, for everyone. */
  total: number;
  /** Live submissions queued or running at once, for one client. */
  perClient: number;
  /** Bytes of code and results one client may keep stored, whatever their state; Infinity: no bound. */
  storedBytesPerClient: number;
}

export type Admitted =
  | { accepted: true; submission: StoredSubmission }
  | { accepted: false; why: 'full' | 'client_share'; ahead: number }
  | { accepted: false; why: 'client_storage'; storedBytes: number };

/** Deletes, in a deletion's transaction, more rows that name the submissions it removes. */
export type DependentRows = (db: SqlExecutor, ids: string[]) => Promise<void>;

/** Notified with a submission's id when its result is stored. */
export const DONE_CHANNEL = 'memgrade_done';

// memgrade's advisory locks are (LOCK_SPACE, n): two int4 keys cannot collide with pg-boss's,
// which takes single bigint keys.
const LOCK_SPACE = 0x6d656d67; // "memg"
const MIGRATION_LOCK = 1;
const ADMISSION_LOCK = 2;

const POOL_SIZE = 10;
/** A database that does not answer makes ping() false and requests fail, rather than hang. */
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * Each entry upgrades the schema by one version (memgrade_schema.version). The first is the
 * SQLite schema as its three migrations left it, in PostgreSQL's types, plus the verdict columns.
 */
const MIGRATIONS = [
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
     -- Copied out of the result with it (see verdictValues): lists and gradebooks read these, as
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

export class PostgresStore implements SubmissionStore {
  private readonly url: string;
  private readonly pool: Pool;
  private readonly listeners = new Set<() => Promise<void>>();
  private readonly dependents: DependentRows[] = [];
  /** Set by open(), from the database's secret, before the store is handed out. */
  private cursors!: CursorSeal;
  private closed = false;

  private constructor(url: string) {
    this.url = url;
    this.pool = new Pool({
      connectionString: url,
      max: POOL_SIZE,
      types: TYPES,
      application_name: 'memgrade',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    // An idle connection that breaks (the server restarts, a network cut) is reported here; the
    // pool drops it and opens another when one is needed, and the next query that fails tells its
    // caller. Unhandled, this event would end the process; the store has no logger to tell.
    this.pool.on('error', () => {});
  }

  /** Connects and brings the schema up to date; any number of processes may do it at once. */
  static async open(url: string): Promise<PostgresStore> {
    const store = new PostgresStore(url);
    try {
      store.cursors = new CursorSeal(await store.migrate());
    } catch (error) {
      await store.pool.end();
      throw error;
    }
    return store;
  }

  /**
   * One transaction holding the migration lock: a process that starts while another migrates
   * waits, then finds the schema done. The lock goes with the transaction, even if this one dies.
   * Answers the database's cursor secret.
   */
  private async migrate(): Promise<Buffer> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS memgrade_schema (version integer NOT NULL)');
      const found = await client.query<{ version: number }>('SELECT version FROM memgrade_schema');
      let version = found.rows[0]?.version;
      if (version === undefined) {
        version = 0;
        await client.query('INSERT INTO memgrade_schema (version) VALUES (0)');
      }
      // An older memgrade would misread a schema it does not know; it stops instead.
      if (version > MIGRATIONS.length) {
        throw new Error(`the database's schema is version ${version}, newer than this memgrade knows (${MIGRATIONS.length})`);
      }
      for (const sql of MIGRATIONS.slice(version)) await client.query(sql);
      await client.query('UPDATE memgrade_schema SET version = $1', [MIGRATIONS.length]);
      await client.query(addSecretSql('$1', '$2'), [CURSOR_SECRET, newSecret()]);
      const { rows } = await client.query<{ value: Buffer }>(secretSql('$1'), [CURSOR_SECRET]);
      return rows[0].value;
    });
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
    const { rows } = await client.query<Row>(
      `INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at, callback_url, code_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9) RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        submission.assignment,
        submission.student,
        submission.client,
        submission.requestId,
        Buffer.from(submission.code, 'utf8'),
        now(),
        submission.callbackUrl,
        codeBytes(submission.code),
      ],
    );
    return fromRow(rows[0]);
  }

  async get(id: string): Promise<StoredSubmission | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM submissions WHERE id = $1`, [id]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async code(id: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ code: Buffer }>('SELECT code FROM submissions WHERE id = $1', [id]);
    return rows.length ? rows[0].code.toString('utf8') : null;
  }

  async list(query: ListQuery): Promise<Page> {
    const { where, params } = listWhere(query, (n) => `$${n}`, this.cursors);
    const { rows } = await this.pool.query<ListRow>(
      `SELECT ${BASE_COLUMNS}, ${VERDICT_COLUMNS} FROM submissions ${where} ORDER BY seq DESC LIMIT $${params.length + 1}`,
      [...params, query.limit + 1],
    );
    return pageOf(rows, query.limit, this.cursors);
  }

  async claim(id: string): Promise<StoredSubmission | null> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE submissions SET status = 'running', started_at = $1, attempts = attempts + 1
       WHERE id = $2 AND status <> 'done' RETURNING ${COLUMNS}`,
      [now(), id],
    );
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
      if (delivery !== null) {
        await client.query(
          `INSERT INTO webhook_deliveries (id, submission_id, url, payload, status, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, 'pending', $5, $6)`,
          [delivery.id, delivery.submissionId, delivery.url, delivery.payload, at, at],
        );
      }
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
      [PRIORITY.regrade, ids],
    );
    const requeued = new Set(rows.map((row) => row.id));
    return [...new Set(ids)].filter((id) => requeued.has(id));
  }

  async waiting(client?: string): Promise<number> {
    const { rows } =
      client === undefined
        ? await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM submissions WHERE ${WAITING}`)
        : await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM submissions WHERE ${WAITING} AND client = $1`, [client]);
    return rows[0].n;
  }

  async storedBytes(client: string): Promise<number> {
    return this.storedBytesWith(this.pool, client);
  }

  private async storedBytesWith(client: Queryable, of: string): Promise<number> {
    const { rows } = await client.query<{ n: number | string }>(storedBytesSql('$1'), [of]);
    // sum() of bigints is numeric, which pg reads as a string.
    return Number(rows[0].n);
  }

  async gradebook(assignment: string): Promise<GradebookEntry[]> {
    const { rows } = await this.pool.query<GradebookRow>(
      `SELECT id, student, client, status, created_at, ${VERDICT_COLUMNS}, score, max_score
       FROM submissions WHERE assignment = $1 ORDER BY seq`,
      [assignment],
    );
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
    const { rows } = await this.pool.query<{ at: string | null }>(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`);
    return rows[0].at;
  }

  async updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): Promise<void> {
    await this.pool.query(
      'UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5 WHERE id = $6',
      [change.status, change.attempts, change.nextAttemptAt, change.lastStatus, change.lastError, id],
    );
  }

  async requeue(id: string): Promise<void> {
    await this.pool.query(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE id = $1 AND status = 'running'`, [id]);
  }

  /**
   * As SqliteStore's, this puts back every running submission, those other processes are grading
   * now included: it is for a start with no other process running.
   */
  async recover(): Promise<StoredSubmission[]> {
    return this.transaction(async (client) => {
      await client.query(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE status = 'running'`);
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM submissions WHERE status = 'queued' ORDER BY priority, seq`);
      return rows.map(fromRow);
    });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.erase('id = $1', id)) > 0;
  }

  async deleteCreatedBefore(before: string): Promise<number> {
    return this.erase('created_at < $1', before);
  }

  /**
   * Rows that name a submission and must go when it goes, beyond the store's own tables (the
   * queue's jobs): deleted in the same transaction, so that a failure keeps the submission.
   */
  deleteAlso(dependent: DependentRows): void {
    this.dependents.push(dependent);
  }

  /**
   * Deletes the submissions `where` picks, then the deliveries and dependent rows of those it
   * deleted; answers how many. The submissions go first: their row locks make a finish running
   * now wait, then find them gone and add no delivery.
   */
  private async erase(where: string, value: string): Promise<number> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ id: string }>(`DELETE FROM submissions WHERE ${where} RETURNING id`, [value]);
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return 0;
      await client.query('DELETE FROM webhook_deliveries WHERE submission_id = ANY($1::text[])', [ids]);
      for (const dependent of this.dependents) await dependent(executor(client), ids);
      return ids.length;
    });
  }

  async addToken(token: { name: string; role: Role; digest: string }): Promise<StoredToken> {
    try {
      const { rows } = await this.pool.query<TokenRow>(
        `INSERT INTO tokens (id, name, role, digest, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${TOKEN_COLUMNS}`,
        [randomUUID(), token.name, token.role, token.digest, now()],
      );
      return tokenFromRow(rows[0]);
    } catch (error) {
      if (error instanceof DatabaseError && error.code === '23505' && error.constraint === 'tokens_name_key') {
        throw new TokenNameTakenError(`a token named "${token.name}" exists already`);
      }
      throw error;
    }
  }

  async listTokens(): Promise<StoredToken[]> {
    const { rows } = await this.pool.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY name`);
    return rows.map(tokenFromRow);
  }

  async revokeToken(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM tokens WHERE name = $1', [name]);
    return (rowCount ?? 0) > 0;
  }

  async findToken(digest: string): Promise<StoredToken | null> {
    const { rows } = await this.pool.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = $1`, [digest]);
    if (rows.length === 0) return null;
    const row = rows[0];
    const at = new Date();
    if (lastUseIsStale(row.last_used_at, at)) {
      await this.pool.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [at.toISOString(), row.id]);
      row.last_used_at = at.toISOString();
    }
    return tokenFromRow(row);
  }

  async countTokens(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM tokens');
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

  /**
   * One transaction: serialize admissions with pg_advisory_xact_lock, count live queued+running
   * submissions (all, and this client's), refuse when at `bounds.total` ('full', ahead = total
   * count) or `bounds.perClient` ('client_share', ahead = client's count), or when the client's
   * stored bytes and this code's would pass `bounds.storedBytesPerClient` ('client_storage'),
   * else insert and call `send(db, stored)` in the same transaction; anything thrown rolls all back.
   */
  async admit(
    submission: NewSubmission,
    bounds: AdmissionBounds,
    send: (db: SqlExecutor, stored: StoredSubmission) => Promise<void>,
  ): Promise<Admitted> {
    return this.transaction(async (client) => {
      // Without the lock, two processes could each count one place left and both take it.
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, ADMISSION_LOCK]);
      const { rows } = await client.query<{ total: number; mine: number }>(
        `SELECT count(*) AS total, count(*) FILTER (WHERE client = $1) AS mine FROM submissions WHERE ${WAITING}`,
        [submission.client],
      );
      const { total, mine } = rows[0];
      if (total >= bounds.total) return { accepted: false, why: 'full', ahead: total };
      if (mine >= bounds.perClient) return { accepted: false, why: 'client_share', ahead: mine };
      if (bounds.storedBytesPerClient !== Infinity) {
        const storedBytes = await this.storedBytesWith(client, submission.client);
        if (storedBytes + codeBytes(submission.code) > bounds.storedBytesPerClient) return { accepted: false, why: 'client_storage', storedBytes };
      }
      const stored = await this.insertWith(client, submission);
      await send(executor(client), stored);
      return { accepted: true, submission: stored };
    });
  }

  /**
   * requeueForRegrade and `send(db, ids)` for the requeued ids in one transaction; `send` is not
   * called when none was requeued.
   */
  async regradeWith(ids: string[], send: (db: SqlExecutor, ids: string[]) => Promise<void>): Promise<string[]> {
    return this.transaction(async (client) => {
      const requeued = await this.requeueWith(client, ids);
      if (requeued.length > 0) await send(executor(client), requeued);
      return requeued;
    });
  }

  /**
   * A dedicated client LISTENing on memgrade_done; calls onDone(id) per notification; reconnects
   * (with a short backoff) if the connection drops and then calls onReconnect() so callers can
   * re-check what they wait for; answers a function that stops it. Resolves once it listens, so a
   * submission finished after that is notified.
   */
  async listen(onDone: (id: string) => void, onReconnect: () => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: Client | null = null;
    let wake: (() => void) | null = null;
    let reconnecting: Promise<void> | null = null;

    const connect = async (): Promise<Client> => {
      const next = new Client({
        connectionString: this.url,
        application_name: 'memgrade listen',
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        keepAlive: true,
      });
      // A broken connection reports an error, then 'end', which reconnects. Unhandled, the error
      // would end the process.
      next.on('error', () => {});
      next.on('notification', (message) => {
        if (message.channel === DONE_CHANNEL && message.payload !== undefined) onDone(message.payload);
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${DONE_CHANNEL}`);
      } catch (error) {
        await next.end().catch(() => {});
        throw error;
      }
      next.once('end', () => {
        client = null;
        if (!stopped) reconnecting = reconnect().finally(() => (reconnecting = null));
      });
      return next;
    };

    const reconnect = async (): Promise<void> => {
      for (let delay = RECONNECT_FIRST_MS; !stopped; delay = Math.min(2 * delay, RECONNECT_MAX_MS)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          timer.unref();
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        if (stopped) return;
        let next: Client;
        try {
          next = await connect();
        } catch {
          continue;
        }
        if (stopped) {
          await next.end().catch(() => {});
          return;
        }
        client = next;
        onReconnect();
        return;
      }
    };

    client = await connect();
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      this.listeners.delete(stop);
      wake?.();
      await reconnecting;
      await client?.end().catch(() => {});
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
