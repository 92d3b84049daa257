// Configuration of the CLI and the service: environment variables with defaults, checked once at
// start-up so that a typo stops the process with a message naming the variable.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ASSIGNMENTS_DIR } from './grading/index.ts';
import { DEFAULT_SANDBOX_USER } from './sandbox-host/index.ts';
import { ConfigError } from './errors.ts';

/** Gradings after which a sandbox process is replaced: the service's default, and the command line's. */
export const DEFAULT_SANDBOX_MAX_JOBS = 50;

const Count = (fallback: number, description: string, minimum = 1) =>
  Type.Integer({ minimum, default: fallback, description });

/** Every variable the service reads; the defaults are the service's embedded defaults. */
export const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'TCP port' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address to listen on (the Docker image sets `0.0.0.0`)' }),
  MEMGRADE_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'folder of the SQLite database, created if missing' }),
  MEMGRADE_DATABASE_URL: Type.String({
    default: '',
    pattern: '^(postgres(ql)?://.+)?$',
    description: 'a PostgreSQL URL (`postgres://user:password@host/db`): the store and the queue (pg-boss) live there, shared by every API and `memgrade worker` process ([scale-out.md](scale-out.md)); empty: SQLite in `MEMGRADE_DATA_DIR`',
  }),
  MEMGRADE_TOKENS: Type.String({
    default: '',
    description: 'comma-separated instructor tokens, beside those of `memgrade tokens add`',
  }),
  MEMGRADE_ALLOW_OPEN: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'when no token exists, answer without one even off loopback or behind a proxy (logged as a warning)',
  }),
  MEMGRADE_AUTH_FAILURES: Count(20, 'failed authentications per minute from one address before `429`'),
  MEMGRADE_TRUST_PROXY: Type.String({
    default: 'false',
    description:
      'behind a reverse proxy: `true`, or the proxies\' addresses or CIDRs, comma-separated; limits then key on the client\'s address, ' +
      'and the service needs a token even on loopback',
  }),
  MEMGRADE_RETENTION_DAYS: Count(0, 'submissions older than this many days are deleted, code and results; `0`: kept', 0),
  MEMGRADE_WEBHOOK_SECRET: Type.String({
    default: '',
    pattern: '^(whsec_[A-Za-z0-9+/=]{32,})?$',
    description: 'the Standard Webhooks signing secret, `whsec_` and base64 of 24 to 64 random bytes; empty: no `callback_url` is taken',
  }),
  MEMGRADE_WEBHOOK_ALLOW_PRIVATE: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'let `callback_url` point at loopback, private and other special-purpose addresses (see docs/classroom.md)',
  }),
  MEMGRADE_SANDBOX_USER: Type.String({
    default: DEFAULT_SANDBOX_USER,
    description: 'the user sandbox processes run as when the service runs as root',
  }),
  MEMGRADE_HEAP_SPACES_ADDON: Type.String({
    default: '',
    description:
      'the native heap-space reader the sandbox processes load: empty, the one the install built (if a C++ compiler was there); ' +
      'a path, another built file; `off`, none: the JS heap is then the whole used heap size (docs/measurement.md)',
  }),
  MEMGRADE_ASSIGNMENTS_DIRS: Type.String({
    default: '',
    description: 'extra assignment folders, separated by `:`, after the built-in `sandbox/assignments` (as for the CLI)',
  }),
  MEMGRADE_POOL_SIZE: Type.String({
    default: 'auto',
    pattern: '^(auto|\\d+)$',
    description:
      'sandbox processes grading in this process; `auto` sizes the pool from the CPUs and the memory budget; ' +
      '`0`: none, an API process alone (needs `MEMGRADE_DATABASE_URL`)',
  }),
  MEMGRADE_MEMORY_BUDGET_MB: Count(
    0,
    'memory the sandbox processes of this process may use together; `0` is half of the RAM (of the container\'s limit, in one)',
    0,
  ),
  MEMGRADE_SANDBOX_MAX_JOBS: Count(
    DEFAULT_SANDBOX_MAX_JOBS,
    'gradings after which a sandbox process is replaced (`MEMGRADE_WORKER_MAX_JOBS`, its old name, is still read, with a warning)',
  ),
  MEMGRADE_QUEUE_LIMIT: Count(100, 'submissions queued or running at once, in all (`503` past it)'),
  MEMGRADE_QUEUE_PER_CLIENT: Count(20, 'submissions queued or running at once, per token or address (`429` past it)'),
  MEMGRADE_STORAGE_PER_CLIENT_MB: Count(
    100,
    'MiB of code and results one token or address may keep stored, graded or not; past it, its submissions are refused ' +
      '(`429`, `quota_exceeded`) until it deletes old ones; `0`: no bound',
    0,
  ),
  MEMGRADE_RATE_LIMIT: Count(600, 'requests per minute to `/v1`, per token or address (`429` past it); counted in each API process'),
  MEMGRADE_MAX_WAIT_S: Count(60, 'longest a `POST` may wait for its result', 0),
  MEMGRADE_SHUTDOWN_GRACE_MS: Count(30000, 'how long a shutdown lets running gradings finish before handing them back to the queue', 0),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`' },
  ),
});
type Env = Static<typeof Env>;

/**
 * Old names still read, each for its new one: a value under the old name counts when the new
 * one is not set, and the process logs a warning at start (`Config.warnings`).
 */
export const DEPRECATED_NAMES: Record<string, keyof Env> = {
  MEMGRADE_WORKER_MAX_JOBS: 'MEMGRADE_SANDBOX_MAX_JOBS',
};

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** '' keeps the embedded SQLite store and in-process queue. */
  databaseUrl: string;
  tokens: string[];
  allowOpen: boolean;
  authFailuresPerMinute: number;
  trustProxy: boolean | string[];
  retentionDays: number;
  sandboxUser: string;
  webhookSecret: string;
  webhookAllowPrivate: boolean;
  assignmentDirs: string[];
  /** 'auto' lets the service size the pool; 0: this process grades nothing. */
  poolSize: number | 'auto';
  /** 0 lets the service take half of the machine's memory. */
  memoryBudgetMb: number;
  sandboxMaxJobs: number;
  queueLimit: number;
  queuePerClient: number;
  /** Bytes of code and results one client may keep stored; Infinity: no bound. */
  storedBytesPerClient: number;
  rateLimitPerMinute: number;
  maxWaitS: number;
  shutdownGraceMs: number;
  logLevel: string;
  /** What the environment should say otherwise (an old name of a variable), logged at start. */
  warnings: string[];
}

// Raised here; defined, with its code, in the one table of errors.
export { ConfigError };

const list = (text: string) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');

/** Whether `host` is a loopback address, where an open service is reachable from this machine only. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why a service with no token would be open to others, or null when only this machine reaches it:
 * listening on loopback, and not behind a proxy (a trusted proxy exists to bring in requests from
 * elsewhere, and its callers would get an instructor's rights).
 */
export function reachableFromElsewhere(config: Pick<Config, 'host' | 'trustProxy'>): string | null {
  if (!isLoopback(config.host)) return `HOST=${config.host} is not a loopback address`;
  if (config.trustProxy !== false) return 'MEMGRADE_TRUST_PROXY says requests come through a proxy, from elsewhere';
  return null;
}

/** The assignment folders: the built-in ones, then those in MEMGRADE_ASSIGNMENTS_DIRS. */
export function assignmentDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.MEMGRADE_ASSIGNMENTS_DIRS ?? '').split(':').filter((d) => d !== '');
  return [DEFAULT_ASSIGNMENTS_DIR, ...extra];
}

/** A list that names no proxy trusts none: false, as the default. */
function trustProxy(text: string): boolean | string[] {
  if (text === 'true' || text === 'false') return text === 'true';
  const proxies = list(text);
  return proxies.length === 0 ? false : proxies;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const valueOf = (name: string) => (env[name] === '' ? undefined : env[name]);
  const given: Record<string, string> = {};
  for (const name of Object.keys(Env.properties)) {
    const text = valueOf(name);
    if (text !== undefined) given[name] = text;
  }
  // The name each value was given under, for the messages: a new name, or an old one.
  const givenAs: Record<string, string> = Object.fromEntries(Object.keys(given).map((name) => [name, name]));
  const warnings: string[] = [];
  for (const [old, name] of Object.entries(DEPRECATED_NAMES)) {
    const text = valueOf(old);
    if (text === undefined) continue;
    if (Object.hasOwn(given, name)) {
      warnings.push(`${old} is an old name of ${name}, which is set too: ${old} is ignored; remove it`);
    } else {
      warnings.push(`${old} is an old name: set ${name} instead (it is read for now)`);
      given[name] = text;
      givenAs[name] = old;
    }
  }
  // Convert works in place (`given` keeps the text for messages), and it truncates "1.5" to 1:
  // an integer variable must be written as one.
  const converted = Value.Convert(Env, { ...given }) as Record<string, unknown>;
  for (const [name, text] of Object.entries(given)) {
    if ((Env.properties as Record<string, TSchema>)[name].type === 'integer' && !/^\d+$/.test(text)) converted[name] = text;
  }
  const value: unknown = Value.Default(Env, converted);
  if (!Value.Check(Env, value)) {
    const problems = [...Value.Errors(Env, value)].map((e) => {
      const name = e.path.slice(1);
      return `${givenAs[name] ?? name}=${JSON.stringify(given[name])}: ${e.schema.description ?? ''} (${e.message.toLowerCase()})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const v: Env = value;
  const addon = v.MEMGRADE_HEAP_SPACES_ADDON;
  if (addon !== '' && addon !== 'off' && !existsSync(addon)) {
    throw new ConfigError(`invalid configuration:\n  MEMGRADE_HEAP_SPACES_ADDON=${JSON.stringify(addon)}: no such file (\`off\`, or a built reader)`);
  }
  return {
    port: v.PORT,
    host: v.HOST,
    dataDir: resolve(v.MEMGRADE_DATA_DIR),
    databaseUrl: v.MEMGRADE_DATABASE_URL,
    tokens: list(v.MEMGRADE_TOKENS),
    allowOpen: v.MEMGRADE_ALLOW_OPEN === 'true',
    authFailuresPerMinute: v.MEMGRADE_AUTH_FAILURES,
    trustProxy: trustProxy(v.MEMGRADE_TRUST_PROXY),
    retentionDays: v.MEMGRADE_RETENTION_DAYS,
    sandboxUser: v.MEMGRADE_SANDBOX_USER,
    webhookSecret: v.MEMGRADE_WEBHOOK_SECRET,
    webhookAllowPrivate: v.MEMGRADE_WEBHOOK_ALLOW_PRIVATE === 'true',
    assignmentDirs: assignmentDirs(env),
    poolSize: v.MEMGRADE_POOL_SIZE === 'auto' ? 'auto' : Number(v.MEMGRADE_POOL_SIZE),
    memoryBudgetMb: v.MEMGRADE_MEMORY_BUDGET_MB,
    sandboxMaxJobs: v.MEMGRADE_SANDBOX_MAX_JOBS,
    queueLimit: v.MEMGRADE_QUEUE_LIMIT,
    queuePerClient: v.MEMGRADE_QUEUE_PER_CLIENT,
    storedBytesPerClient: v.MEMGRADE_STORAGE_PER_CLIENT_MB === 0 ? Infinity : v.MEMGRADE_STORAGE_PER_CLIENT_MB * 1024 * 1024,
    rateLimitPerMinute: v.MEMGRADE_RATE_LIMIT,
    maxWaitS: v.MEMGRADE_MAX_WAIT_S,
    shutdownGraceMs: v.MEMGRADE_SHUTDOWN_GRACE_MS,
    logLevel: v.LOG_LEVEL,
    warnings,
  };
}
