// The grading queue, as the HTTP layer and the service's assembly use it: one interface, the
// in-process queue over SQLite and the pg-boss queue over PostgreSQL.
export { LocalQueue } from './local-queue.ts';
export { BOSS_OPTIONS, PgBossQueue } from './pg-boss-queue.ts';
export type { Grader, GradingQueue, QueueLimits } from './queue.ts';
