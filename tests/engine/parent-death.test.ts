// A sandbox child never outlives the process that started it (issue 17, item 6): `memgrade
// grade` is killed with SIGKILL in the middle of a grading, and its sandbox child must be gone
// within 5 s, whatever the submission is doing. The real assignment's limits (20 s) keep the
// grading under way well past the kill.
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SANDBOX_ENTRY } from '../../src/sandbox-host/sandbox-process.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memgrade');
const scratch = mkdtempSync(join(tmpdir(), 'memgrade-orphan-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Time the child has to die once its parent is gone. */
const DEATH_MS = 5000;

/** The state letter and parent pid of a process, or null once it is gone (or a zombie). */
function stat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' || state === 'X' ? null : { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

function sandboxChildOf(parent: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || stat(pid)?.ppid !== parent) continue;
    try {
      // Not the probe that checks, before, whether unshare works: it names the file too, as an
      // argument of /usr/bin/test (or of a script, where test is missing).
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const probe = args.some((arg) => arg === '/usr/bin/test' || arg === '-e' || arg === '-c');
      if (!probe && args.some((arg) => arg.endsWith('/child-main.ts'))) return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: () => T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value !== undefined || Date.now() > end) return value;
    await sleep(50);
  }
}

const CASES: Record<string, string> = {
  'a busy loop': 'function process_data() { for (;;) {} }',
  'an await that never settles': 'async function process_data() { await new Promise(() => {}); }',
  'a chain of microtasks': 'async function process_data() { for (;;) await null; }',
};

describe('a sandbox child whose parent is killed', () => {
  for (const [name, code] of Object.entries(CASES)) {
    test(`exits within ${DEATH_MS / 1000} s while grading ${name}`, async () => {
      const file = join(scratch, `${name.replaceAll(' ', '-')}.js`);
      writeFileSync(file, code);
      const cli = spawn(BIN, ['grade', file, '--assignment', 'clinging-onto-memory', '--format', 'json'], { stdio: 'ignore' });
      let child: number | undefined;
      try {
        child = await until(() => sandboxChildOf(cli.pid!), 15_000);
        assert.ok(child !== undefined, 'the grading started a sandbox child');
        // Started, ready, and well into the submission (its time limit is 20 s).
        await sleep(2500);
        assert.ok(stat(child) !== null, 'the sandbox child is still grading');
        cli.kill('SIGKILL');
        const killedAt = Date.now();
        const gone = await until(() => (stat(child!) === null ? true : undefined), DEATH_MS + 1000);
        const took = Date.now() - killedAt;
        assert.ok(gone === true && took <= DEATH_MS, `the sandbox child ${child} still ran ${took} ms after its parent was killed`);
      } finally {
        cli.kill('SIGKILL');
        if (child !== undefined && stat(child) !== null) process.kill(child, 'SIGKILL');
      }
    });
  }
});

test('the watchdog thread alone ends a child whose parent is not the one it was given', async () => {
  // Its IPC channel stays open: only the watchdog, which reads the parent pid, can end it.
  const child = fork(SANDBOX_ENTRY, ['1'], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  let ready = false;
  child.on('message', (message: { type?: string }) => (ready ||= message.type === 'ready'));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(timer);
  assert.deepEqual([code, signal, ready], [null, 'SIGKILL', false]);
});
