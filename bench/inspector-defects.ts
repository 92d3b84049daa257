// `npm run bench:inspector`: the isolated-vm inspector defects that src/sandbox-host/inspector.ts
// and fresh-isolate-run.ts work around, shown on the bare isolated-vm API, each case in a process
// of its own (a defect can hang or abort it). Prints, per case, how many of the runs ended well.
// Run it again after upgrading isolated-vm: a case that always ends well no longer needs its
// workaround. Cases end with SIGKILL where a normal exit could itself hang on a stuck thread.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type ivmModule from 'isolated-vm';
import { table } from './stats.ts';

const CASES = {
  'lost message: 5,000 pauses, each answered, without wake-ups': pausesWithoutWakeUps,
  'dispose an isolate that has a session (a running loop)': disposeWithSession,
  'dispose the session with a message not yet taken, then run a task': disposeWithMessageQueued,
  'JS heap past the memory limit, debugger enabled: does the run end?': heapLimitWithDebugger,
  'send a message after the memory limit disposed the isolate': messageAfterMemoryLimit,
} satisfies Record<string, () => Promise<void>>;
type Case = keyof typeof CASES;

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 6));
const CASE_TIMEOUT_MS = 20_000;
/** A case prints this once its scenario is over; what happens to the process after is the finding. */
const DONE = 'scenario done';

const require = createRequire(import.meta.url);

async function inspected() {
  const ivm = require('isolated-vm') as typeof ivmModule;
  const isolate = new ivm.Isolate({ memoryLimit: 64, inspector: true });
  const context = await isolate.createContext({ inspector: true });
  const session = isolate.createInspectorSession();
  let id = 1;
  const waiting = new Map<number, () => void>();
  session.onResponse = (callId) => waiting.get(callId)?.();
  const send = (method: string, params: object = {}) =>
    new Promise<void>((resolve) => {
      const callId = id++;
      waiting.set(callId, resolve);
      session.dispatchProtocolMessage(JSON.stringify({ id: callId, method, params }));
    });
  // As the harness's pauses are served: read the paused frame's scope, then resume.
  const servePauses = () => {
    session.onNotification = (message) => {
      const { method, params } = JSON.parse(message) as { method: string; params: { callFrames: { scopeChain: { object: { objectId: string } }[] }[] } };
      if (method !== 'Debugger.paused') return;
      const objectId = params.callFrames[0].scopeChain[0].object.objectId;
      void send('Runtime.getProperties', { objectId, ownProperties: true }).then(() => send('Debugger.resume'));
    };
  };
  return { isolate, context, session, send, servePauses };
}

const done = () => process.stdout.write(`${DONE}\n`);

async function pausesWithoutWakeUps(): Promise<void> {
  const { context, send, servePauses } = await inspected();
  servePauses();
  await send('Debugger.enable');
  await context.eval('for (let i = 0; i < 5000; i++) (function p() { debugger; })();');
  done();
  process.exit(0);
}

async function disposeWithSession(): Promise<void> {
  const { isolate, context, send } = await inspected();
  await send('Debugger.enable');
  setTimeout(() => isolate.dispose(), 100);
  await context.eval('for (;;) {}').catch(() => undefined);
  done();
  // Node exits by itself once nothing is left to do.
}

async function disposeWithMessageQueued(): Promise<void> {
  const { isolate, context, session, send } = await inspected();
  await send('Debugger.enable');
  for (let i = 0; i < 200; i++) {
    session.dispatchProtocolMessage(JSON.stringify({ id: 10_000 + i, method: 'Runtime.getIsolateId' }));
    await context.eval('1');
  }
  session.dispatchProtocolMessage(JSON.stringify({ id: 20_000, method: 'Runtime.getIsolateId' }));
  session.dispose();
  await isolate.compileScript('');
  isolate.dispose();
  done();
  process.exit(0);
}

async function heapLimitWithDebugger(): Promise<void> {
  const { context, send } = await inspected();
  await send('Debugger.enable');
  await context.eval('const a = []; for (;;) a.push({ n: a.length });').catch(() => undefined);
  done();
  process.kill(process.pid, 'SIGKILL');
}

async function messageAfterMemoryLimit(): Promise<void> {
  const { context, session } = await inspected();
  await context.eval('const a = []; for (;;) a.push({ n: a.length });').catch(() => undefined);
  session.dispatchProtocolMessage(JSON.stringify({ id: 999, method: 'Runtime.getIsolateId' }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  done();
  // Not process.exit(): the isolate disposed with its session attached may keep it from exiting.
  process.kill(process.pid, 'SIGKILL');
}

const only = process.env.INSPECTOR_CASE as Case | undefined;
if (only !== undefined) {
  await CASES[only]();
} else {
  const rows: string[][] = [];
  for (const name of Object.keys(CASES) as Case[]) {
    const endings = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const child = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(import.meta.url)], {
        env: { ...process.env, INSPECTOR_CASE: name },
        encoding: 'utf8',
        timeout: CASE_TIMEOUT_MS,
      });
      const finished = child.stdout.includes(DONE);
      const ending = !finished
        ? child.error !== undefined
          ? `hung (killed after ${CASE_TIMEOUT_MS / 1000} s)`
          : `died (${child.signal ?? child.status}: ${child.stderr.trim().split('\n').pop()})`
        : child.error !== undefined
          ? 'done, but the process could not exit'
          : 'done';
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
    }
    rows.push([name, [...endings].map(([ending, n]) => `${n} ${ending}`).join(', ')]);
  }
  const isolatedVm = (require('isolated-vm/package.json') as { version: string }).version;
  process.stdout.write(`isolated-vm ${isolatedVm}, Node ${process.versions.node}, ${RUNS} runs per case\n`);
  process.stdout.write(`${table(['case', 'runs'], rows, ['l', 'l'])}\n`);
}
