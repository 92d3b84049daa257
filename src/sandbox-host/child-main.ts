// Entry point of a sandbox child process: grades the jobs its parent sends, one at a time.
// New peaks are written straight to stdout with a blocking write, so the parent still knows
// the peak so far if V8 aborts this process in the middle of a run.
//
// The child never outlives its parent: it ends itself with SIGKILL when the IPC channel closes,
// and a watchdog thread (parent-watch.ts) does the same when its parent pid changes, should the
// main thread not get to see the channel close. No exit handler runs: process.exit runs
// isolated-vm's, which joins the isolate's thread, and a thread waiting in a callback for this
// main thread (the harness reads the heap through one) never ends. Seen: a child whose parent
// was killed mid-run stayed for good, its main thread in exit() and its isolate in the callback.
//
// The watchdog starts first, and the runs' modules (isolated-vm, the schemas, acorn) load while
// its thread starts: each takes tens of ms, and the child is ready once both are done.
import { writeSync } from 'node:fs';
import { flushCompileCache } from 'node:module';
import { watchParent } from './parent-watch.ts';
import type { ChildMessage, ParentMessage, PeakLine } from './protocol.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import { epochNow, Timeline, type Timings } from './timings.ts';

/** This process's start, its modules loaded (isolated-vm among them), and ready: in every job's timings. */
const started: Timings = { 'child.start': performance.timeOrigin, 'child.main': epochNow() };

/** How often the watchdog looks at the parent pid: a child is gone well within 5 s. */
const WATCH_EVERY_MS = 250;

const die = () => process.kill(process.pid, 'SIGKILL');

const send = (message: ChildMessage) => process.send?.(message);

process.on('disconnect', die);

// The parent passes its pid (SandboxProcess), so that a parent that died before this line is
// noticed too. The launch must exec node, never fork it (launch.ts): the parent is the service.
const parent = Number(process.argv[2]) || process.ppid;
const watchdog = watchParent(parent, WATCH_EVERY_MS);
// No child runs without its watchdog: one that fails or ends takes the child with it, and the
// parent replaces the child as it does any that died.
watchdog.on('error', die);
watchdog.on('exit', die);
watchdog.unref();
const watching = new Promise((resolve) => watchdog.once('message', resolve));

const { runJob, takeRecycle } = await import('./job-runs.ts');
started['child.loaded'] = epochNow();

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'run') return;
  const { id, job } = message;
  const timeline = new Timeline({ ...started });
  timeline.mark('child.job');
  runJob(job, {
    onPeak: (peak) => writeSync(1, `${JSON.stringify({ id, peak } satisfies PeakLine)}\n`),
    onMeasured: (outcome) => send({ type: 'measured', id, outcome }),
    timeline,
  })
    .then((outcome) => {
      timeline.mark('child.sent');
      send({ type: 'result', id, outcome, recycle: takeRecycle(), timings: timeline.record });
    })
    .catch((error: unknown) =>
      send({
        type: 'result',
        id,
        outcome: { kind: 'crashed', message: cutText(`sandbox failure: ${String(error)}`, TEXT_LIMITS.message), peak: null },
        recycle: true,
      }),
    );
});
// Ready once the watchdog has found the parent alive.
// Then Node's compile cache (NODE_COMPILE_CACHE, launch.ts) gets what this start compiled: it is
// written at exit, and a child ends with SIGKILL.
await watching;
started['child.ready'] = epochNow();
send({ type: 'ready' });
flushCompileCache();
