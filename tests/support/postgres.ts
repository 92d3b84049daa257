// A fresh PostgreSQL database per caller, for the tests of the PostgreSQL store and of what runs on
// it. The server is MEMGRADE_TEST_DATABASE_URL's (CI starts one), or else a throwaway cluster this
// test process starts from Debian's postgresql package and stops when it exits: a developer with
// the package installed needs no setup. Test files run in parallel processes, each with its own
// cluster (own folder, own port), so nothing here is shared between processes.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

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

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

/** initdb and the server refuse to run as root: as root, the cluster is the postgres user's. */
function clusterUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no postgres user to run a test PostgreSQL cluster as');
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
  const bin = postgresBin();
  if (bin === null) {
    throw new Error(
      "no PostgreSQL to test against: install Debian's postgresql package (apt-get install postgresql), " +
        'or set MEMGRADE_TEST_DATABASE_URL to a database URL whose user may create databases (e.g. postgres://memgrade@127.0.0.1:5432/postgres)',
    );
  }
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
