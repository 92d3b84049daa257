// Entry point of the grading service: node --no-node-snapshot src/main.ts
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startService } from './service.ts';
import { closeOnSignal } from './signals.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`memgrade: ${error.message}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);
let service;
try {
  service = await startService(config, logger);
  await service.app.listen({ port: config.port, host: config.host });
} catch (error) {
  // A configuration it refuses is said plainly, as a bad variable is; anything else is logged.
  if (error instanceof ConfigError) process.stderr.write(`memgrade: ${error.message}\n`);
  else logger.fatal({ err: error }, 'the service could not start');
  process.exit(1);
}

closeOnSignal(logger, () => service.close());
