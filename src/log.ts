// The service's logger: JSON lines for a collector. Submitted code and credentials must never
// reach a log, whatever a future log call passes in.
import pino, { type DestinationStream, type Logger } from 'pino';

const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'req.body',
  'body',
  'code',
  'token',
  'tokens',
  'secret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'memgrade' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
