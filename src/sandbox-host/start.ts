// Starts a sandbox child process, and nothing else: node's own modules and launch.ts, no schema
// library. The command line's second way into this layer (besides index.ts): `memgrade grade`
// loads it first thing, so that the child's start (node, isolated-vm, the child's modules) runs
// while the command line loads the rest, and a SandboxProcess takes the child over then.
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxLaunch } from './launch.ts';

// child-main.ts in the checkout, child-main.js in the package's dist/: this file's own extension.
const CHILD_MAIN = new URL(`./child-main${extname(import.meta.url)}`, import.meta.url);
/** The file a sandbox child runs. */
export const SANDBOX_ENTRY = fileURLToPath(CHILD_MAIN);
/** The user a child runs as when the service runs as root (MEMGRADE_SANDBOX_USER). */
export const DEFAULT_SANDBOX_USER = 'nobody';

/** A sandbox child that has started, and what it said before anyone listened. */
export interface StartedChild {
  child: ChildProcess;
  /** Stops keeping the child's messages and answers those kept so far, in order. */
  takeMessages: () => unknown[];
}

export function startSandboxChild(options: { user?: string } = {}): StartedChild {
  const launch = sandboxLaunch({ user: options.user ?? DEFAULT_SANDBOX_USER, entry: SANDBOX_ENTRY });
  // Its own pid, for the child's watchdog (child-main.ts).
  const child = fork(CHILD_MAIN, [String(process.pid)], {
    execPath: launch.execPath,
    execArgv: launch.execArgv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    env: launch.env,
  });
  // A send to a child that has just died fails with EPIPE; its exit settles the job.
  child.on('error', () => undefined);
  // A message nobody listens to is lost: kept until taken. Output waits in its pipes unread.
  const kept: unknown[] = [];
  const keep = (message: unknown) => kept.push(message);
  child.on('message', keep);
  return {
    child,
    takeMessages: () => {
      child.off('message', keep);
      return kept;
    },
  };
}
