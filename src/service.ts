// The service assembled: store, sandbox pool, queue and HTTP app, with the order they start and
// stop in. main.ts runs it; the tests and the load benchmark start the very same thing.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, isLoopback, type Config } from './config.ts';
import { loadAssignments, type Assignment } from './grading/assignments.ts';
import { buildApp } from './http/app.ts';
import { GradingQueue } from './queue/grading-queue.ts';
import { poolSize, SandboxPool } from './sandbox-host/pool.ts';
import { sandboxLaunch } from './sandbox-host/launch.ts';
import { rssLimitBytes, SANDBOX_ENTRY } from './sandbox-host/sandbox-process.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { WebhookDeliverer } from './webhooks/deliverer.ts';
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
const DAY_MS = 24 * 60 * 60 * 1000;
/** Old submissions are looked for at start, then every hour. */
const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** Deletes submissions older than `days` (0: none), now and every hour. */
function startRetention(store: SubmissionStore, days: number, logger: Logger): NodeJS.Timeout | undefined {
  if (days <= 0) return undefined;
  const sweep = () => {
    const deleted = store.deleteCreatedBefore(new Date(Date.now() - days * DAY_MS).toISOString());
    if (deleted > 0) logger.info({ deleted, retention_days: days }, 'deleted submissions past the retention period');
  };
  sweep();
  const timer = setInterval(sweep, RETENTION_EVERY_MS);
  timer.unref();
  return timer;
}

/** Builds the service and starts grading what a previous run left queued; does not listen. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const assignments = loadAssignments(config.assignmentDirs);
  const perWorkerBytes = Math.max(...[...assignments.values()].map((a) => rssLimitBytes(a.manifest.limits.memory_cap_mb)));
  const size =
    config.poolSize ||
    poolSize({ perWorkerBytes, memoryBytes: config.memoryBudgetMb ? config.memoryBudgetMb * MiB : undefined });
  const store = new SqliteStore(config.dataDir);
  const openAllowed = isLoopback(config.host) || config.allowOpen;
  if (config.tokens.length === 0 && store.countTokens() === 0) {
    if (!openAllowed) {
      store.close();
      throw new ConfigError(
        `no token exists, and HOST=${config.host} is not a loopback address: the API would be open to anyone who can reach it.\n` +
          '  Add an instructor token: ./bin/memgrade tokens add NAME --role instructor (with the same MEMGRADE_DATA_DIR),\n' +
          '  or set MEMGRADE_TOKENS, or listen on 127.0.0.1; MEMGRADE_ALLOW_OPEN=true serves it open anyway.',
      );
    }
    if (!isLoopback(config.host)) logger.warn({ host: config.host }, 'MEMGRADE_ALLOW_OPEN: the API answers without a token on a non-loopback address');
  }
  const pool = new SandboxPool({ size, maxJobsPerWorker: config.workerMaxJobs, sandboxUser: config.sandboxUser });
  const webhooks =
    config.webhookSecret === '' ? null : new WebhookDeliverer(store, config.webhookSecret, config.webhookAllowPrivate, logger.child({ component: 'webhooks' }));
  const queue = new GradingQueue(
    store,
    pool,
    assignments,
    { total: config.queueLimit, perClient: config.queuePerClient },
    logger.child({ component: 'queue' }),
    webhooks,
  );
  const app = await buildApp({
    store,
    queue,
    pool,
    assignments,
    logger,
    envTokens: config.tokens,
    openAllowed,
    authFailuresPerMinute: config.authFailuresPerMinute,
    trustProxy: config.trustProxy,
    webhooks: webhooks === null ? null : { allowPrivate: config.webhookAllowPrivate },
    rateLimitPerMinute: config.rateLimitPerMinute,
    maxWaitS: config.maxWaitS,
    queueLimit: config.queueLimit,
  });
  await app.ready();
  queue.start();
  webhooks?.start();
  const retention = startRetention(store, config.retentionDays, logger);
  logger.info(
    {
      pool_size: size,
      assignments: [...assignments.keys()],
      data_dir: config.dataDir,
      open: openAllowed && config.tokens.length === 0 && store.countTokens() === 0,
      sandbox: sandboxLaunch({ user: config.sandboxUser, entry: SANDBOX_ENTRY }).enforced,
      retention_days: config.retentionDays || null,
    },
    'service ready',
  );

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(retention);
      const drained = queue.close(config.shutdownGraceMs);
      await app.close();
      await drained;
      await webhooks?.close();
      await pool.close();
      store.close();
      logger.info('service stopped');
    })());
  return { app, store, pool, queue, assignments, close };
}
