// memgrade's own processes, started as an operator starts them (`npm start`'s src/main.ts, and
// `bin/memgrade worker`), for the tests that kill, restart and scale them. Whatever a test leaves
// running is killed when its file ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after } from 'node:test';
import supertest from 'supertest';
import { FIXTURE_ASSIGNMENTS_DIR } from './support.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  // A failed test must not leave a process running, or the test process would never end.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface Started {
  child: ChildProcess;
  /** Its log lines so far (stdout, JSON). */
  logs: string[];
  exited: Promise<number | null>;
}

export interface StartedApi extends Started {
  http: ReturnType<typeof supertest>;
  url: string;
}

/** The test defaults: the fixture assignments, one sandbox process, no rate limit in the way. */
const DEFAULTS = { MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR, MEMGRADE_POOL_SIZE: '1', MEMGRADE_RATE_LIMIT: '100000' };

function start(args: string[], env: Record<string, string>, ready: RegExp): Promise<Started & { match: RegExpExecArray }> {
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--no-node-snapshot', ...args], {
    cwd: ROOT,
    env: { ...inherited, ...DEFAULTS, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      const match = ready.exec(line);
      if (match) resolve({ child, logs, exited, match });
    });
  });
}

/** src/main.ts as `npm start` runs it, on a free port; resolves once it listens. */
export async function startApi(env: Record<string, string>): Promise<StartedApi> {
  const { match, ...started } = await start(['src/main.ts'], { PORT: '0', ...env }, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  return { ...started, url: match[1], http: supertest(match[1]) };
}

/** `memgrade worker`; resolves once it takes jobs. */
export async function startWorkerProcess(env: Record<string, string>): Promise<Started> {
  const { match: _, ...started } = await start(['src/cli/main.ts', 'worker'], env, /"msg":"grading ready"/);
  return started;
}
