// SIGTERM and SIGINT end a service or a worker the same way: drain, close, exit 0 (1 if closing failed).
import type { Logger } from 'pino';

export function closeOnSignal(logger: Logger, close: () => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
