// How a sandbox child process is started: with an allow-listed environment (nothing of the
// service's secrets), and, where the platform allows it, as an unprivileged user and without a
// network. Worked out once per process, by looking at what the machine offers.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Set for every sandbox child, and nothing else: glibc backs large allocations (ArrayBuffers)
 * with transparent huge pages where the kernel allows it (madvise mode), so touching a fresh
 * 100 MB array costs a quarter of the page faults, as it does for NumPy. No effect on what is
 * measured.
 */
export const SANDBOX_ENV: Record<string, string> = {
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
  NODE_COMPILE_CACHE: '',
  // The native heap-space reader, when the service was started with one (heap-reader.ts).
  ...(process.env.MEMGRADE_HEAP_SPACES_ADDON ? { MEMGRADE_HEAP_SPACES_ADDON: process.env.MEMGRADE_HEAP_SPACES_ADDON } : {}),
};

/**
 * NODE_COMPILE_CACHE for children that run as `uid`: Node keeps the code it compiled there, so a
 * child starts without compiling its modules again. A folder of that user alone, made here (0700);
 * if another user made it first, it is not used ('': no cache), so no one else's code is loaded.
 */
function compileCache(uid: number, gid: number): string {
  const dir = join(tmpdir(), `memgrade-compile-cache-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
    if (process.getuid?.() !== uid) chownSync(dir, uid, gid);
  } catch {
    // There already, or cannot be: checked below.
  }
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === uid && (stat.mode & 0o077) === 0 ? dir : '';
  } catch {
    return '';
  }
}

const UNSHARE = '/usr/bin/unshare';

interface SandboxLaunch {
  /** What fork() runs: node itself, or unshare in front of it. */
  execPath: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** What this launch enforces, for the service's log and its documentation. */
  enforced: { user: string | null; network: 'none' | 'host' };
}

interface LaunchOptions {
  /** The user children run as when this process is root. */
  user: string;
  /** The child's entry file: the user dropped to must be able to run node and read it. */
  entry: string;
}

/** uid and gid of a user of /etc/passwd, or null. */
function passwdEntry(user: string): { uid: number; gid: number } | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === user && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // No /etc/passwd: no user to drop to.
  }
  return null;
}

/**
 * Whether node, started through unshare with `args`, can read `entry`: asked of test(1), which
 * makes the same access checks (execute node, read the entry) as the user and in the namespaces
 * the child would have, in a few ms where a node start took 30 to 45 (every `memgrade grade`
 * pays it before its child starts). Where there is no test(1), node itself is asked.
 */
const TEST = '/usr/bin/test';
const works = (args: string[], entry: string) =>
  spawnSync(
    UNSHARE,
    existsSync(TEST)
      ? [...args, '--', TEST, '-x', process.execPath, '-a', '-r', entry]
      : [...args, '--', process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(entry)}, require('node:fs').constants.R_OK)`],
    { stdio: 'ignore', timeout: 10_000, env: {} },
  ).status === 0;

let cached: SandboxLaunch | null = null;

/**
 * As root: children drop to `user` (and its group, without supplementary groups) and get a
 * network namespace of their own (nothing but a loopback that is down), through unshare. As
 * another user: a user namespace with a network of its own, where the kernel allows that. Where
 * unshare cannot do it (no util-linux, a container without the capability, a checkout the user
 * cannot read), children run as the service's user with the host's network: `enforced` says so.
 * unshare execs node (no `--fork`), so the child's parent is this process: the child's watchdog
 * ends it when that parent is gone (child-main.ts).
 */
export function sandboxLaunch(options: LaunchOptions): SandboxLaunch {
  if (cached !== null) return cached;
  const node = [process.execPath, '--no-node-snapshot'];
  const plain: SandboxLaunch = {
    execPath: process.execPath,
    execArgv: ['--no-node-snapshot'],
    env: { ...SANDBOX_ENV },
    enforced: { user: null, network: 'host' },
  };
  const root = process.getuid?.() === 0;
  const target = root ? passwdEntry(options.user) : null;
  if (root && target !== null) {
    const drop = [`--setgid=${target.gid}`, `--setuid=${target.uid}`];
    if (works(['--net', ...drop], options.entry)) {
      cached = { execPath: UNSHARE, execArgv: ['--net', ...drop, '--', ...node], env: { ...SANDBOX_ENV }, enforced: { user: options.user, network: 'none' } };
    } else if (works(drop, options.entry)) {
      cached = { execPath: UNSHARE, execArgv: [...drop, '--', ...node], env: { ...SANDBOX_ENV }, enforced: { user: options.user, network: 'host' } };
    }
  } else if (!root && works(['--user', '--map-root-user', '--net'], options.entry)) {
    cached = {
      execPath: UNSHARE,
      execArgv: ['--user', '--map-root-user', '--net', '--', ...node],
      env: { ...SANDBOX_ENV },
      enforced: { user: null, network: 'none' },
    };
  }
  cached ??= plain;
  const owner = cached.enforced.user !== null && target !== null ? target : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  cached.env.NODE_COMPILE_CACHE = compileCache(owner.uid, owner.gid);
  return cached;
}
