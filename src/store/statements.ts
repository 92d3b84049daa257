// The SQL both stores run alike, written once in PostgreSQL's form, `$n` for the n-th value; SQLite
// binds `?n` the same way, so its form differs by that character alone. What differs beyond it
// stays in each store's file: how the verdict is read (one of the arguments here), PostgreSQL's
// arrays and locks, SQLite's loops in a transaction.
import type { ListQuery } from './store.ts';
import { BASE_COLUMNS, COLUMNS, type CursorSeal, TOKEN_COLUMNS, WAITING } from './rows.ts';

const NUMBERED = /\$(\d+)/g;

/** `verdictColumns` selects the verdict's fields as VerdictColumns names them, from the store's own columns. */
export function statements(dialect: 'postgres' | 'sqlite', verdictColumns: string) {
  /** A statement written with `$n`, in the dialect's form. */
  const sql = (text: string) => (dialect === 'sqlite' ? text.replace(NUMBERED, '?$1') : text);
  return {
    insert: sql(
      `INSERT INTO submissions (id, assignment, student, client, request_id, code, status, created_at, callback_url, code_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9) RETURNING ${COLUMNS}`,
    ),
    get: sql(`SELECT ${COLUMNS} FROM submissions WHERE id = $1`),
    code: sql('SELECT code FROM submissions WHERE id = $1'),
    claim: sql(
      `UPDATE submissions SET status = 'running', started_at = $1, attempts = attempts + 1
       WHERE id = $2 AND status <> 'done' RETURNING ${COLUMNS}`,
    ),
    addDelivery: sql(
      `INSERT INTO webhook_deliveries (id, submission_id, url, payload, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, 'pending', $5, $5)`,
    ),
    waiting: sql(`SELECT count(*) AS n FROM submissions WHERE ${WAITING}`),
    waitingOf: sql(`SELECT count(*) AS n FROM submissions WHERE ${WAITING} AND client = $1`),
    /** What a client keeps stored, in UTF-8 bytes: its code and its results. */
    storedBytes: sql('SELECT coalesce(sum(code_bytes + result_bytes), 0) AS n FROM submissions WHERE client = $1'),
    gradebook: sql(`SELECT id, student, client, status, created_at, ${verdictColumns} FROM submissions WHERE assignment = $1 ORDER BY seq`),
    nextDeliveryAt: sql(`SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`),
    updateDelivery: sql(
      'UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_status = $4, last_error = $5 WHERE id = $6',
    ),
    requeue: sql(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE id = $1 AND status = 'running'`),
    requeueRunning: sql(`UPDATE submissions SET status = 'queued', started_at = NULL WHERE status = 'running'`),
    queued: sql(`SELECT ${COLUMNS} FROM submissions WHERE status = 'queued' ORDER BY priority, seq`),
    deleteById: sql('DELETE FROM submissions WHERE id = $1 RETURNING id'),
    deleteCreatedBefore: sql('DELETE FROM submissions WHERE created_at < $1 RETURNING id'),
    addToken: sql(`INSERT INTO tokens (id, name, role, digest, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${TOKEN_COLUMNS}`),
    listTokens: sql(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY name`),
    revokeToken: sql('DELETE FROM tokens WHERE name = $1'),
    findToken: sql(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE digest = $1`),
    touchToken: sql('UPDATE tokens SET last_used_at = $1 WHERE id = $2'),
    countTokens: sql('SELECT count(*) AS n FROM tokens'),
    /** Writes a secret unless the database has one by that name: of processes starting together, the first wins. */
    addSecret: sql('INSERT INTO memgrade_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING'),
    secret: sql('SELECT value FROM memgrade_secrets WHERE name = $1'),
    /**
     * A page of a list, newest first, with its values: up to `limit + 1` rows (pageOf). Throws
     * InvalidCursorError for a cursor this database did not hand out.
     */
    list(query: ListQuery, cursors: CursorSeal): { text: string; values: Array<string | number> } {
      const conditions: string[] = [];
      const values: Array<string | number> = [];
      const add = (condition: string, value: string | number) => {
        values.push(value);
        conditions.push(`${condition} $${values.length}`);
      };
      if (query.assignment !== undefined) add('assignment =', query.assignment);
      if (query.student !== undefined) add('student =', query.student);
      if (query.client !== undefined) add('client =', query.client);
      if (query.cursor !== undefined) add('seq <', cursors.open(query.cursor));
      values.push(query.limit + 1);
      const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      return { text: sql(`SELECT ${BASE_COLUMNS}, ${verdictColumns} FROM submissions ${where} ORDER BY seq DESC LIMIT $${values.length}`), values };
    },
  };
}
