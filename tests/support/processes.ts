// memgrade's own processes, started as an operator starts them (`npm start`'s src/main.ts, and
// `memgrade worker`), for the tests that kill, restart and scale them (tests/processes.ts) and for
// the load benchmark's workers. Their stdout (JSON log lines) is kept as it comes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface Started {
  child: ChildProcess;
  /** Its log lines so far (stdout, JSON). */
  logs: string[];
  exited: Promise<number | null>;
}

/**
 * Starts `node --no-node-snapshot ARGS` in the checkout with this environment added to the
 * caller's; resolves once a log line matches `ready`, with the match. `spawned` (when given)
 * receives the child at once, so that a caller can kill it even if it never gets ready.
 */
export function spawnMemgrade(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  spawned?: ChildProcess[],
): Promise<Started & { match: RegExpExecArray }> {
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--no-node-snapshot', ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  spawned?.push(child);
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

export const WORKER_ARGS = ['src/cli/main.ts', 'worker'];
/** The line a worker logs once it takes jobs. */
export const WORKER_READY = /"msg":"grading ready"/;
