// The service's configuration: defaults, parsing, and start-up refusing a bad value by name.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { DEFAULT_ASSIGNMENTS_DIR } from '../../src/grading/assignments.ts';
import { poolSize } from '../../src/sandbox-host/pool.ts';

const GiB = 1024 ** 3;

test('defaults', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.dataDir, resolve('data'));
  assert.deepEqual(config.tokens, []);
  assert.deepEqual(config.assignmentDirs, [DEFAULT_ASSIGNMENTS_DIR]);
  assert.equal(config.poolSize, 'auto');
  assert.equal(config.databaseUrl, '', 'SQLite unless a PostgreSQL URL is given');
});

test('values are parsed: numbers, the token list, the assignment folders', () => {
  const config = loadConfig({
    PORT: '8080',
    MEMGRADE_TOKENS: ' one-token , two-token,,',
    MEMGRADE_ASSIGNMENTS_DIRS: '/a:/b',
    MEMGRADE_QUEUE_LIMIT: '7',
    MEMGRADE_POOL_SIZE: '3',
    MEMGRADE_DATABASE_URL: 'postgres://memgrade@db.example/memgrade',
  });
  assert.equal(config.port, 8080);
  assert.deepEqual(config.tokens, ['one-token', 'two-token']);
  assert.deepEqual(config.assignmentDirs, [DEFAULT_ASSIGNMENTS_DIR, '/a', '/b']);
  assert.equal(config.queueLimit, 7);
  assert.equal(config.poolSize, 3);
  assert.equal(loadConfig({ MEMGRADE_POOL_SIZE: '' }).poolSize, 'auto', 'empty is the default');
  assert.equal(config.databaseUrl, 'postgres://memgrade@db.example/memgrade');
});

test('MEMGRADE_TRUST_PROXY: true, a list of proxies, and a list naming none, which trusts none', () => {
  assert.equal(loadConfig({ MEMGRADE_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.deepEqual(loadConfig({ MEMGRADE_TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }).trustProxy, ['10.0.0.1', '10.1.0.0/16']);
  // Trusting none is not being behind a proxy: a token-less service on loopback may still be open.
  assert.equal(loadConfig({ MEMGRADE_TRUST_PROXY: ' , ' }).trustProxy, false);
});

test('a bad value is refused with the variable named', () => {
  assert.throws(() => loadConfig({ PORT: 'eighty' }), (error: Error) => error instanceof ConfigError && /PORT="eighty"/.test(error.message));
  assert.throws(() => loadConfig({ MEMGRADE_QUEUE_LIMIT: '0' }), /MEMGRADE_QUEUE_LIMIT="0"/);
  assert.throws(() => loadConfig({ MEMGRADE_RATE_LIMIT: '1.5' }), /MEMGRADE_RATE_LIMIT/);
  assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  assert.throws(() => loadConfig({ MEMGRADE_POOL_SIZE: 'many' }), /MEMGRADE_POOL_SIZE="many"/);
  assert.throws(() => loadConfig({ MEMGRADE_DATABASE_URL: 'mysql://x' }), /MEMGRADE_DATABASE_URL="mysql:\/\/x"/);
  assert.throws(() => loadConfig({ MEMGRADE_HEAP_SPACES_ADDON: '/no/such/reader.node' }), /MEMGRADE_HEAP_SPACES_ADDON="\/no\/such\/reader.node": no such file/);
  assert.doesNotThrow(() => loadConfig({ MEMGRADE_HEAP_SPACES_ADDON: 'off' }));
});

test('MEMGRADE_SANDBOX_MAX_JOBS, and its old name MEMGRADE_WORKER_MAX_JOBS, still read with a warning', () => {
  assert.equal(loadConfig({}).sandboxMaxJobs, 50);
  assert.deepEqual(loadConfig({}).warnings, []);
  const renamed = loadConfig({ MEMGRADE_SANDBOX_MAX_JOBS: '7' });
  assert.equal(renamed.sandboxMaxJobs, 7);
  assert.deepEqual(renamed.warnings, []);
  const old = loadConfig({ MEMGRADE_WORKER_MAX_JOBS: '3' });
  assert.equal(old.sandboxMaxJobs, 3);
  assert.equal(old.warnings.length, 1);
  assert.match(old.warnings[0], /MEMGRADE_WORKER_MAX_JOBS is an old name: set MEMGRADE_SANDBOX_MAX_JOBS instead/);
  const both = loadConfig({ MEMGRADE_WORKER_MAX_JOBS: '3', MEMGRADE_SANDBOX_MAX_JOBS: '7' });
  assert.equal(both.sandboxMaxJobs, 7, 'the new name wins');
  assert.match(both.warnings[0], /MEMGRADE_WORKER_MAX_JOBS is ignored/);
  assert.throws(() => loadConfig({ MEMGRADE_WORKER_MAX_JOBS: '0' }), /MEMGRADE_WORKER_MAX_JOBS="0"/, 'a bad value is named as it was given');
});

test('the service logs a warning for an old name at start', () => {
  // Stopped by a configuration it refuses, after the warning: no pool, and no database to leave grading to.
  const run = spawnSync(process.execPath, ['--no-node-snapshot', 'src/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH, PORT: '0', MEMGRADE_POOL_SIZE: '0', MEMGRADE_DATA_DIR: ':memory:', MEMGRADE_WORKER_MAX_JOBS: '3' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 1);
  const warnings = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level === 40);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].msg, /MEMGRADE_WORKER_MAX_JOBS is an old name: set MEMGRADE_SANDBOX_MAX_JOBS instead/);
});

test('the service does not start on a bad value, and says why', () => {
  const run = spawnSync(process.execPath, ['src/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH, PORT: '99999' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /invalid configuration:\n {2}PORT="99999"/);
});

test('grading nothing needs a shared database: MEMGRADE_POOL_SIZE=0 on SQLite, and a worker without PostgreSQL, are refused', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const api = spawnSync(process.execPath, ['--no-node-snapshot', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: '0', MEMGRADE_POOL_SIZE: '0', MEMGRADE_DATA_DIR: ':memory:' },
    encoding: 'utf8',
  });
  assert.equal(api.status, 1);
  assert.match(api.stderr, /MEMGRADE_POOL_SIZE=0 grades nothing in this process, and without MEMGRADE_DATABASE_URL/);
  const worker = spawnSync(process.execPath, ['--no-node-snapshot', 'src/cli/main.ts', 'worker'], {
    cwd: root,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  assert.equal(worker.status, 2);
  assert.match(worker.stderr, /a worker takes its jobs from PostgreSQL: set MEMGRADE_DATABASE_URL/);
});

test('the pool: one sandbox process per CPU, as many as the memory budget holds, at least one', () => {
  assert.equal(poolSize({ cpus: 2, memoryBytes: 12 * GiB, perProcessBytes: 1.5 * GiB }), 2);
  assert.equal(poolSize({ cpus: 16, memoryBytes: 4 * GiB, perProcessBytes: 1.5 * GiB }), 2);
  assert.equal(poolSize({ cpus: 4, memoryBytes: 1 * GiB, perProcessBytes: 1.5 * GiB }), 1);
});
