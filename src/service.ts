// The service assembled: store, sandbox pool, queue and HTTP app, with the order they start and
// stop in. main.ts runs it, `memgrade worker` runs its grading half alone; the tests and the load
// benchmark start the very same things.
import type { FastifyInstance } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { ConfigError, reachableFromElsewhere, type Config } from './config.ts';
import { loadAssignments, type Assignment } from './grading/index.ts';
import { buildApp } from './http/index.ts';
import { BOSS_OPTIONS, LocalQueue, PgBossQueue, type Grader, type GradingQueue } from './queue/index.ts';
import { poolSize, rssLimitBytes, SANDBOX_ENTRY, sandboxLaunch, SandboxPool } from './sandbox-host/index.ts';
import { openStore, type SubmissionStore } from './store/index.ts';
import { WebhookDeliverer } from './webhooks/index.ts';

/** The grading half: what `memgrade worker` runs, and what the service runs under its API. */
interface Grading {
  store: SubmissionStore;
  pool: SandboxPool;
  queue: GradingQueue;
  assignments: Map<string, Assignment>;
  webhooks: WebhookDeliverer | null;
  /** Stops taking work and lets running gradings finish (or hands them back); once. */
  drain(): Promise<void>;
  /** Drains, then closes everything. */
  close(): Promise<void>;
}

export interface Service extends Grading {
  app: FastifyInstance;
}

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Old submissions are looked for at start, then every hour. */
const RETENTION_EVERY_MS = 60 * 60 * 1000;

/** Deletes submissions older than `days` (0: none), now and every hour. */
function startRetention(store: SubmissionStore, days: number, logger: Logger): NodeJS.Timeout | undefined {
  if (days <= 0) return undefined;
  const sweep = async () => {
    try {
      const deleted = await store.deleteCreatedBefore(new Date(Date.now() - days * DAY_MS).toISOString());
      if (deleted > 0) logger.info({ deleted, retention_days: days }, 'deleted submissions past the retention period');
    } catch (error) {
      logger.error({ err: error }, 'could not delete submissions past the retention period');
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), RETENTION_EVERY_MS);
  timer.unref();
  return timer;
}

function sizePool(config: Config, assignments: Map<string, Assignment>): number {
  if (config.poolSize !== 'auto') return config.poolSize;
  const perProcessBytes = Math.max(...[...assignments.values()].map((a) => rssLimitBytes(a.manifest.limits.memory_cap_mb)));
  return poolSize({ perProcessBytes, memoryBytes: config.memoryBudgetMb ? config.memoryBudgetMb * MiB : undefined });
}

async function startBoss(databaseUrl: string, logger: Logger): Promise<PgBoss> {
  // Loaded here only: pg-boss takes about 170 ms to load, which the embedded setup never needs.
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: databaseUrl, ...BOSS_OPTIONS });
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss'));
  await boss.start();
  return boss;
}

/** Opens the store, the pool and the queue; grades (when the pool has sandbox processes) once started. */
async function startGrading(config: Config, logger: Logger): Promise<Grading> {
  for (const warning of config.warnings) logger.warn(warning);
  const assignments = loadAssignments(config.assignmentDirs);
  const size = sizePool(config, assignments);
  if (size === 0 && config.databaseUrl === '') {
    throw new ConfigError(
      'MEMGRADE_POOL_SIZE=0 grades nothing in this process, and without MEMGRADE_DATABASE_URL no other process can grade its submissions:\n' +
        '  set MEMGRADE_DATABASE_URL (PostgreSQL, with `memgrade worker` processes), or leave MEMGRADE_POOL_SIZE at auto.',
    );
  }
  const limits = { total: config.queueLimit, perClient: config.queuePerClient, storedBytesPerClient: config.storedBytesPerClient };
  const log = logger.child({ component: 'queue' });
  const store = await openStore(config);
  const shared = store.shared ? { store, boss: await startBoss(config.databaseUrl, logger) } : null;
  const pool = new SandboxPool({ size, maxJobsPerProcess: config.sandboxMaxJobs, sandboxUser: config.sandboxUser });
  const webhooks =
    config.webhookSecret === '' ? null : new WebhookDeliverer(store, config.webhookSecret, config.webhookAllowPrivate, logger.child({ component: 'webhooks' }));
  const grader: Grader = { store, pool, assignments, webhooks, log };
  const queue = shared === null ? new LocalQueue(grader, limits) : new PgBossQueue(shared.store, shared.boss, size > 0 ? grader : null, limits, log);
  await queue.start();
  webhooks?.start();
  const retention = startRetention(store, config.retentionDays, logger);
  let draining: Promise<void> | null = null;
  const drain = () =>
    (draining ??= (async () => {
      clearInterval(retention);
      await queue.close(config.shutdownGraceMs);
    })());
  const close = async () => {
    await drain();
    await webhooks?.close();
    await pool.close();
    await store.close();
  };
  logger.info(
    {
      pool_size: size,
      assignments: [...assignments.keys()],
      store: shared === null ? { sqlite: config.dataDir } : { postgres: new URL(config.databaseUrl).host },
      sandbox: sandboxLaunch({ user: config.sandboxUser, entry: SANDBOX_ENTRY }).enforced,
      retention_days: config.retentionDays || null,
    },
    size > 0 ? 'grading ready' : 'grading elsewhere: this process grades nothing',
  );
  return { store, pool, queue, assignments, webhooks, drain, close };
}

/** `memgrade worker`: grades jobs from the shared database, serves no HTTP. */
export async function startWorker(config: Config, logger: Logger): Promise<Grading> {
  if (config.databaseUrl === '') throw new ConfigError('a worker takes its jobs from PostgreSQL: set MEMGRADE_DATABASE_URL');
  if (config.poolSize === 0) throw new ConfigError('a worker with MEMGRADE_POOL_SIZE=0 would grade nothing');
  const grading = await startGrading(config, logger);
  let closing: Promise<void> | null = null;
  const close = () => (closing ??= grading.close().then(() => logger.info('worker stopped')));
  return { ...grading, close };
}

/** Builds the service and starts grading what a previous run left queued; does not listen. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const grading = await startGrading(config, logger);
  const { store, pool, queue, assignments, webhooks } = grading;
  const elsewhere = reachableFromElsewhere(config);
  const openAllowed = elsewhere === null || config.allowOpen;
  const open = config.tokens.length === 0 && (await store.countTokens()) === 0;
  if (open && !openAllowed) {
    await grading.close();
    throw new ConfigError(
      `no token exists, and ${elsewhere}: the API would be open to anyone who can reach it.\n` +
        '  Add an instructor token: ./bin/memgrade tokens add NAME --role instructor (with the same MEMGRADE_DATA_DIR or MEMGRADE_DATABASE_URL),\n' +
        '  or set MEMGRADE_TOKENS, or listen on 127.0.0.1 without a proxy; MEMGRADE_ALLOW_OPEN=true serves it open anyway.',
    );
  }
  if (open && elsewhere !== null) {
    logger.warn({ host: config.host, trust_proxy: config.trustProxy }, `MEMGRADE_ALLOW_OPEN: the API answers without a token, and ${elsewhere}`);
  }
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
  logger.info({ open }, 'service ready');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const drained = grading.drain();
      await app.close();
      await drained;
      await grading.close();
      logger.info('service stopped');
    })());
  return { ...grading, app, close };
}
