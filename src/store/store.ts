// What the service needs from storage, so that another backend can replace SQLite without any
// change to the queue or the routes.
import type { GradeResult } from '../grading/index.ts';

export type SubmissionStatus = 'queued' | 'running' | 'done';

export interface NewSubmission {
  assignment: string;
  code: string;
  student: string | null;
  /**
   * Who submitted it: "token:<id>" for a token of the store, "env:<digest prefix>" for one of
   * MEMGRADE_TOKENS, "address:<ip>" when the service is open. A student token sees only its own;
   * the per-client queue bound counts against it.
   */
  client: string;
  /** The request that created it, so grading logs can be joined to the request's. */
  requestId: string;
  /** Where a signed `submission.done` event goes once it is graded (instructor tokens only). */
  callbackUrl: string | null;
}

/** Live submissions go before regrades. */
export type Priority = 'live' | 'regrade';

export interface StoredSubmission {
  id: string;
  assignment: string;
  student: string | null;
  client: string;
  requestId: string;
  status: SubmissionStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Gradings started for it, restarts included: a submission that crashes the service is stopped. */
  attempts: number;
  callbackUrl: string | null;
  priority: Priority;
  /** The engine's result, exactly as it was produced; set once status is done. */
  result: GradeResult | null;
}

export type Role = 'student' | 'instructor';

/** A webhook event to deliver, written in the same transaction as the result it announces. */
export interface NewDelivery {
  /** The Standard Webhooks message id: the same at every try. */
  id: string;
  submissionId: string;
  url: string;
  /** The body, exactly as signed. */
  payload: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'gone';

export interface Delivery extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
}

/** A submission as a gradebook reads it: its verdict and score, not its whole result. */
export interface GradebookEntry {
  id: string;
  student: string | null;
  client: string;
  status: SubmissionStatus;
  createdAt: string;
  verdict: Verdict | null;
  score: number | null;
  maxScore: number | null;
}

/** A token as the store keeps it: its SHA-256 digest, never the token. */
export interface StoredToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The part of a result a list shows: read from the stored result without loading it whole. */
export interface Verdict {
  status: GradeResult['status'];
  reason: GradeResult['reason'];
  message: string;
  peak_bytes: number | null;
  limit_bytes: number;
  /** The points earned and the most there were: a student's list shows them. */
  score: number | null;
  max_score: number | null;
}

/** A submission as a list shows it: its verdict instead of its full result. */
export type ListedSubmission = Omit<StoredSubmission, 'result'> & { verdict: Verdict | null };

export interface ListQuery {
  assignment?: string;
  student?: string;
  /** Only this client's submissions (a student token's view). */
  client?: string;
  limit: number;
  /** Opaque: a `next` value returned by an earlier list call. */
  cursor?: string;
}

export interface Page {
  /** Newest first. */
  items: ListedSubmission[];
  next: string | null;
}

export { InvalidCursorError, TokenNameTakenError } from '../errors.ts';

/**
 * Every method answers a promise: SQLite answers at once, PostgreSQL over the network. Several
 * processes may share one store (PostgreSQL), so each write that decides something (claiming a
 * grading, storing its result, taking a webhook delivery) is one atomic statement or transaction.
 */
export interface SubmissionStore {
  /** Durable once it resolves: an accepted submission must survive a crash. */
  insert(submission: NewSubmission): Promise<StoredSubmission>;
  get(id: string): Promise<StoredSubmission | null>;
  code(id: string): Promise<string | null>;
  /** Throws InvalidCursorError for a cursor it did not hand out. */
  list(query: ListQuery): Promise<Page>;
  /**
   * Marks a submission running and counts the start; answers it as it now is, or null when it is
   * gone or already done (a job that ran twice grades once).
   */
  claim(id: string): Promise<StoredSubmission | null>;
  /**
   * Stores the result, and the webhook delivery that announces it, together; answers false (and
   * stores nothing) when the submission is gone or already done, so a grading is stored once.
   */
  finish(id: string, result: GradeResult, delivery?: NewDelivery | null): Promise<boolean>;
  /** Puts done submissions back in the queue, below live ones, their results cleared; answers their ids. */
  requeueForRegrade(ids: string[]): Promise<string[]>;
  /** Live submissions queued or running: everyone's, or one client's. Regrades are not counted. */
  waiting(client?: string): Promise<number>;
  /** The UTF-8 bytes of the code and results a client keeps stored, whatever their state. */
  storedBytes(client: string): Promise<number>;
  /** Every submission of an assignment, oldest first, as a gradebook reads it. */
  gradebook(assignment: string): Promise<GradebookEntry[]>;
  /**
   * Takes up to `limit` pending deliveries due at `now` (ISO), oldest first, and moves their next
   * try to `leaseUntil`: two processes never take the same delivery at once, and one that dies
   * holding it lets it fall due again.
   */
  takeDueDeliveries(now: string, leaseUntil: string, limit: number): Promise<Delivery[]>;
  /** When the next pending delivery is due, or null. */
  nextDeliveryAt(): Promise<string | null>;
  updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): Promise<void>;
  /** Puts a running submission back in the queue. */
  requeue(id: string): Promise<void>;
  /** After a restart: puts every running submission back and returns all queued, oldest first (regrades last). */
  recover(): Promise<StoredSubmission[]>;
  /**
   * Removes a submission, its code, its result and every row that names it (its webhook
   * deliveries; on PostgreSQL its grading jobs), erasing what the backend can erase: false when
   * there was none.
   */
  delete(id: string): Promise<boolean>;
  /** Removes, as delete does, every submission created before `before` (ISO date); answers how many. */
  deleteCreatedBefore(before: string): Promise<number>;
  /** Stores a new token by its digest; throws TokenNameTakenError for a name in use. */
  addToken(token: { name: string; role: Role; digest: string }): Promise<StoredToken>;
  listTokens(): Promise<StoredToken[]>;
  /** False when no token has that name. */
  revokeToken(name: string): Promise<boolean>;
  /** The token with that digest, noting its use; null for none. */
  findToken(digest: string): Promise<StoredToken | null>;
  countTokens(): Promise<number>;
  /** True when the storage answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A store that this process alone grades from (SQLite): its queue keeps the count of what waits. */
export interface LocalStore extends SubmissionStore {
  readonly shared: false;
}

/** pg-boss's IDatabase shape, so that pg-boss `send(name, data, { db })` joins the store's transaction. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** What a submission is admitted within. */
export interface AdmissionBounds {
  /** Live submissions queued or running at once, for everyone. */
  total: number;
  /** Live submissions queued or running at once, for one client. */
  perClient: number;
  /** Bytes of code and results one client may keep stored, whatever their state; Infinity: no bound. */
  storedBytesPerClient: number;
}

/** A refusal, with the count it was decided on: the submissions ahead, or the bytes the client keeps. */
export type CountedRefusal =
  | { accepted: false; why: 'full' | 'client_share'; ahead: number }
  | { accepted: false; why: 'client_storage'; storedBytes: number };

/** The submission as stored, or the refusal with the count it was decided on. */
export type AdmittedOrCount = { accepted: true; submission: StoredSubmission } | CountedRefusal;

/**
 * The one rule of admission, whichever queue counts: the whole queue first, then the client's
 * share, then what the client keeps stored. `total` and `mine` are live submissions queued or
 * running (regrades take no place); null admits.
 */
export function refusalAt(
  bounds: AdmissionBounds,
  counts: { total: number; mine: number; storedBytes: number },
  codeBytes: number,
): CountedRefusal | null {
  if (counts.total >= bounds.total) return { accepted: false, why: 'full', ahead: counts.total };
  if (counts.mine >= bounds.perClient) return { accepted: false, why: 'client_share', ahead: counts.mine };
  if (counts.storedBytes + codeBytes > bounds.storedBytesPerClient) return { accepted: false, why: 'client_storage', storedBytes: counts.storedBytes };
  return null;
}

/** Deletes, in a deletion's transaction, more rows that name the submissions it removes. */
export type DependentRows = (db: SqlExecutor, ids: string[]) => Promise<void>;

/**
 * A store several processes grade from (PostgreSQL, under the pg-boss queue). Each process counts
 * and stores in one transaction with the queue's job, and hears of results another process stored.
 */
export interface SharedStore extends SubmissionStore {
  readonly shared: true;
  /**
   * One transaction, serialized with every other process's admissions: counts what refusalAt
   * needs, refuses, or inserts and calls `send(db, stored)` in the same transaction; anything
   * thrown rolls all back.
   */
  admit(submission: NewSubmission, bounds: AdmissionBounds, send: (db: SqlExecutor, stored: StoredSubmission) => Promise<void>): Promise<AdmittedOrCount>;
  /**
   * requeueForRegrade and `send(db, ids)` for the requeued ids in one transaction; `send` is not
   * called when none was requeued.
   */
  regradeWith(ids: string[], send: (db: SqlExecutor, ids: string[]) => Promise<void>): Promise<string[]>;
  /**
   * Calls onDone(id) for each result stored, by any process; after a dropped connection it listens
   * again and calls onReconnect(), since what was stored meanwhile was not heard. Resolves once it
   * listens; answers a function that stops it (close stops it too).
   */
  listen(onDone: (id: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
  /** Rows beyond the store's tables (the queue's jobs) that a deletion removes in its transaction. */
  deleteAlso(dependent: DependentRows): void;
}

/** What openStore answers: `shared` tells which, and with it what the store can do. */
export type OpenedStore = LocalStore | SharedStore;
