// What the service needs from storage, so that another backend can replace SQLite without any
// change to the queue or the routes.
import type { GradeResult } from '../grading/result.ts';

export type SubmissionStatus = 'queued' | 'running' | 'done';

export interface NewSubmission {
  assignment: string;
  code: string;
  student: string | null;
  /** Who the per-client queue bound counts it against: a token's digest or an address. */
  client: string;
  /** The request that created it, so grading logs can be joined to the request's. */
  requestId: string;
}

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
  /** The engine's result, exactly as it was produced; set once status is done. */
  result: GradeResult | null;
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

export interface SubmissionStore {
  /** Durable once it returns: an accepted submission must survive a crash. */
  insert(submission: NewSubmission): StoredSubmission;
  get(id: string): StoredSubmission | null;
  code(id: string): string | null;
  /** Throws InvalidCursorError for a cursor it did not hand out. */
  list(query: ListQuery): Page;
  markRunning(id: string): void;
  finish(id: string, result: GradeResult): void;
  /** Puts a running submission back in the queue. */
  requeue(id: string): void;
  /** After a restart: puts every running submission back and returns all queued, oldest first. */
  recover(): StoredSubmission[];
  /** True when the storage answers. */
  ping(): boolean;
  close(): void;
}
