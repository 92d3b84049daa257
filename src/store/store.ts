// What the service needs from storage, so that another backend can replace SQLite without any
// change to the queue or the routes.
import type { GradeResult } from '../grading/result.ts';

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

export class InvalidCursorError extends Error {}
export class TokenNameTakenError extends Error {}

export interface SubmissionStore {
  /** Durable once it returns: an accepted submission must survive a crash. */
  insert(submission: NewSubmission): StoredSubmission;
  get(id: string): StoredSubmission | null;
  code(id: string): string | null;
  /** Throws InvalidCursorError for a cursor it did not hand out. */
  list(query: ListQuery): Page;
  markRunning(id: string): void;
  /** Stores the result, and the webhook delivery that announces it, together. */
  finish(id: string, result: GradeResult, delivery?: NewDelivery | null): void;
  /** Puts done submissions back in the queue, below live ones, their results cleared; answers how many. */
  requeueForRegrade(ids: string[]): number;
  /** Every submission of an assignment, oldest first, as a gradebook reads it. */
  gradebook(assignment: string): GradebookEntry[];
  /** Pending deliveries due at `now` (ISO), oldest first. */
  dueDeliveries(now: string, limit: number): Delivery[];
  /** When the next pending delivery is due, or null. */
  nextDeliveryAt(): string | null;
  updateDelivery(id: string, change: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastStatus' | 'lastError'>): void;
  /** Puts a running submission back in the queue. */
  requeue(id: string): void;
  /** After a restart: puts every running submission back and returns all queued, oldest first. */
  recover(): StoredSubmission[];
  /** Removes a submission, its code and its result; false when there was none. */
  delete(id: string): boolean;
  /** Removes every submission created before `before` (ISO date); answers how many. */
  deleteCreatedBefore(before: string): number;
  /** Stores a new token by its digest; throws TokenNameTakenError for a name in use. */
  addToken(token: { name: string; role: Role; digest: string }): StoredToken;
  listTokens(): StoredToken[];
  /** False when no token has that name. */
  revokeToken(name: string): boolean;
  /** The token with that digest, noting its use; null for none. */
  findToken(digest: string): StoredToken | null;
  countTokens(): number;
  /** True when the storage answers. */
  ping(): boolean;
  close(): void;
}
