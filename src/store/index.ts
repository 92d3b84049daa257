// Storage, as the layers above use it: the SubmissionStore interface and what it stores, the
// shared store's (PostgreSQL's) powers for the pg-boss queue, and the one place that opens a backend.
export { openStore } from './open.ts';
export {
  refusalAt,
  type AdmissionBounds,
  type CountedRefusal,
  type Delivery,
  type GradebookEntry,
  type ListedSubmission,
  type NewDelivery,
  type NewSubmission,
  type Priority,
  type Role,
  type SharedStore,
  type SqlExecutor,
  type StoredSubmission,
  type StoredToken,
  type SubmissionStore,
} from './store.ts';
