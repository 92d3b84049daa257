// `memgrade worker`: a grading worker of a scaled-out deployment. It takes jobs from the
// PostgreSQL database in MEMGRADE_DATABASE_URL, grades them in its own pool of sandbox processes,
// stores the results, and serves no HTTP. It runs until SIGTERM or SIGINT, then lets its running
// gradings finish for MEMGRADE_SHUTDOWN_GRACE_MS and hands the rest to the other workers.
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { startWorker } from '../../service.ts';
import { closeOnSignal } from '../../signals.ts';
import { usageError } from '../usage.ts';

export const WORKER_USAGE = `memgrade worker

  grades the jobs of the shared PostgreSQL database (MEMGRADE_DATABASE_URL) in a pool of
  MEMGRADE_POOL_SIZE sandbox processes (auto: from the CPUs and the memory budget), until
  SIGTERM; reads the service's other variables (assignments, limits, webhooks, logs).`;

export async function workerCommand(args: string[]): Promise<number> {
  if (args.length > 0) usageError(`unexpected argument "${args[0]}"`);
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const worker = await startWorker(config, logger);
  closeOnSignal(logger, () => worker.close());
  // Runs until a signal: the pool's processes and pg-boss's timers keep the event loop alive.
  return new Promise<number>(() => {});
}
