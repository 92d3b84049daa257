// What the SQLite and PostgreSQL stores share: the same column names, the same rows turned into
// the same objects, the same cursors. Their shared statements are in statements.ts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { GradeResult } from '../grading/index.ts';
import {
  InvalidCursorError,
  type Delivery,
  type DeliveryStatus,
  type GradebookEntry,
  type ListedSubmission,
  type Page,
  type Priority,
  type Role,
  type StoredSubmission,
  type StoredToken,
  type SubmissionStatus,
  type Verdict,
} from './store.ts';

/**
 * The submissions.priority column: a number so that `ORDER BY priority` takes live submissions
 * first, the lower first. (pg-boss's job priority runs the other way: see the queue's.)
 */
export const PRIORITY_COLUMN = { live: 0, regrade: 1 } as const satisfies Record<Priority, number>;

/** A token's last use is written at most this often: a request is not a write. */
const LAST_USED_EVERY_MS = 60_000;

export const BASE_COLUMNS =
  'seq, id, assignment, student, client, request_id, status, created_at, started_at, finished_at, attempts, callback_url, priority';
export const COLUMNS = `${BASE_COLUMNS}, result`;
export const TOKEN_COLUMNS = 'id, name, role, created_at, last_used_at';
export const DELIVERY_COLUMNS = 'id, submission_id, url, payload, status, attempts, next_attempt_at, last_status, last_error';
/** The condition of the submissions an admission bound counts: live ones waiting or being graded. */
export const WAITING = `status IN ('queued', 'running') AND priority = ${PRIORITY_COLUMN.live}`;

/** Times are ISO strings (`Date.prototype.toISOString`) in both stores. */
export const now = () => new Date().toISOString();

export interface Row {
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

/** The verdict's fields, read out of the stored JSON by SQL: a page never parses whole results. */
interface VerdictColumns {
  v_status: Verdict['status'] | null;
  v_reason: Verdict['reason'];
  v_message: string | null;
  v_peak_bytes: number | null;
  v_limit_bytes: number | null;
  v_score: number | null;
  v_max_score: number | null;
}

export type ListRow = Omit<Row, 'result'> & VerdictColumns;

export type GradebookRow = Pick<Row, 'id' | 'student' | 'client' | 'status' | 'created_at'> & VerdictColumns;

export interface DeliveryRow {
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

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  last_used_at: string | null;
}

export function fromRow(row: Row): StoredSubmission {
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
    priority: row.priority === PRIORITY_COLUMN.regrade ? 'regrade' : 'live',
    result: row.result === null ? null : (JSON.parse(row.result) as GradeResult),
  };
}

const verdictOf = (row: VerdictColumns): Verdict | null =>
  row.v_status === null
    ? null
    : {
        status: row.v_status,
        reason: row.v_reason,
        message: row.v_message ?? '',
        peak_bytes: row.v_peak_bytes,
        limit_bytes: row.v_limit_bytes ?? 0,
        score: row.v_score,
        max_score: row.v_max_score,
      };

function listedFromRow(row: ListRow): ListedSubmission {
  const { result: _none, ...common } = fromRow({ ...row, result: null });
  return { ...common, verdict: verdictOf(row) };
}

export const gradebookFromRow = (row: GradebookRow): GradebookEntry => ({
  id: row.id,
  student: row.student,
  client: row.client,
  status: row.status,
  createdAt: row.created_at,
  verdict: verdictOf(row),
  score: row.v_score,
  maxScore: row.v_max_score,
});

export const deliveryFromRow = (row: DeliveryRow): Delivery => ({
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

export const tokenFromRow = (row: TokenRow): StoredToken => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

/** Whether a token's last use is old enough to be written again. */
export const lastUseIsStale = (lastUsedAt: string | null, at: Date) =>
  lastUsedAt === null || at.getTime() - Date.parse(lastUsedAt) > LAST_USED_EVERY_MS;

/** The secret list cursors are sealed with, one per database; each process of a database reads the same. */
export const CURSOR_SECRET = 'list-cursor';
export const newSecret = () => randomBytes(32);

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEQ_BYTES = 8;
const CURSOR_LENGTH = Math.ceil(((IV_BYTES + SEQ_BYTES + TAG_BYTES) * 4) / 3);
// Binds a sealed value to its use: a value sealed for anything else under the same key never opens as a cursor.
const CURSOR_AAD = Buffer.from('memgrade list cursor v1');

/**
 * List cursors: the row's seq, encrypted and authenticated with the database's secret. A plain
 * seq would tell anyone who can list how many submissions the service ever took, and let them
 * make up cursors; sealed, a cursor says nothing, and one not sealed by this database (made up,
 * changed, or another database's) fails to open.
 */
export class CursorSeal {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
  }

  seal(seq: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.key, iv).setAAD(CURSOR_AAD);
    const plain = Buffer.alloc(SEQ_BYTES);
    plain.writeBigUInt64BE(BigInt(seq));
    return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  open(cursor: string): number {
    const refused = () => new InvalidCursorError('cursor is not one this service handed out');
    // Node's base64url decoding skips what is not base64url: checked first, so that one cursor has one spelling.
    if (cursor.length !== CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw refused();
    const bytes = Buffer.from(cursor, 'base64url');
    const decipher = createDecipheriv(CIPHER, this.key, bytes.subarray(0, IV_BYTES)).setAAD(CURSOR_AAD);
    decipher.setAuthTag(bytes.subarray(IV_BYTES + SEQ_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, IV_BYTES + SEQ_BYTES)), decipher.final()]);
    } catch {
      throw refused();
    }
    return Number(plain.readBigUInt64BE());
  }
}

/** A page out of up to `limit + 1` rows, newest first: the extra row only says there is more. */
export function pageOf(rows: ListRow[], limit: number, cursors: CursorSeal): Page {
  const page = rows.slice(0, limit);
  return { items: page.map(listedFromRow), next: rows.length > limit ? cursors.seal(page[page.length - 1].seq) : null };
}
