// Storage, as the layers above use it: the SubmissionStore interface and what it stores, and the
// one place that opens a backend (SQLite, or PostgreSQL with its extra powers for the pg-boss queue).
export { openStore } from './open.ts';
export type { AdmissionBounds, PostgresStore, SqlExecutor } from './postgres-store.ts';
export {
  InvalidCursorError,
  TokenNameTakenError,
  type Delivery,
  type GradebookEntry,
  type ListedSubmission,
  type NewDelivery,
  type NewSubmission,
  type Role,
  type StoredSubmission,
  type StoredToken,
  type SubmissionStore,
} from './store.ts';
