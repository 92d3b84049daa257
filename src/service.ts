// The service assembled: store, sandbox pool, queue and HTTP app, with the order they start and
// stop in. main.ts runs it; the tests and the load benchmark start the very same thing.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { loadAssignments, type Assignment } from './grading/assignments.ts';
import { buildApp } from './http/app.ts';
import { GradingQueue } from './queue/grading-queue.ts';
import { poolSize, SandboxPool } from './sandbox-host/pool.ts';
import { rssLimitBytes } from './sandbox-host/sandbox-process.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import type { SubmissionStore } from './store/store.ts';

export interface Service {
  app: FastifyInstance;
  store: SubmissionStore;
  pool: SandboxPool;
  queue: GradingQueue;
  assignments: Map<string, Assignment>;
  /** Stops accepting, lets running gradings finish (or requeues them), then closes everything. */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Builds the service and starts grading what a previous run left queued; does not listen. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const assignments = loadAssignments(config.assignmentDirs);
  const perWorkerBytes = Math.max(...[...assignments.values()].map((a) => rssLimitBytes(a.manifest.limits.memory_cap_mb)));
  const size =
    config.poolSize ||
    poolSize({ perWorkerBytes, memoryBytes: config.memoryBudgetMb ? config.memoryBudgetMb * MiB : undefined });
  const store = new SqliteStore(config.dataDir);
  const pool = new SandboxPool({ size, maxJobsPerWorker: config.workerMaxJobs });
  const queue = new GradingQueue(
    store,
    pool,
    assignments,
    { total: config.queueLimit, perClient: config.queuePerClient },
    logger.child({ component: 'queue' }),
  );
  const app = await buildApp({
    store,
    queue,
    pool,
    assignments,
    logger,
    tokens: config.tokens,
    rateLimitPerMinute: config.rateLimitPerMinute,
    maxWaitS: config.maxWaitS,
    queueLimit: config.queueLimit,
  });
  await app.ready();
  queue.start();
  logger.info(
    { pool_size: size, assignments: [...assignments.keys()], data_dir: config.dataDir, auth: config.tokens.length > 0 },
    'service ready',
  );

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const drained = queue.close(config.shutdownGraceMs);
      await app.close();
      await drained;
      await pool.close();
      store.close();
      logger.info('service stopped');
    })());
  return { app, store, pool, queue, assignments, close };
}
