// Entry point of a sandbox child process: grades the jobs its parent sends, one at a time.
// New peaks are written straight to stdout with a blocking write, so the parent still knows
// the peak so far if V8 aborts this process in the middle of a run.
import { writeSync } from 'node:fs';
import { runInIsolate, takeRecycle } from './isolate-run.ts';
import type { ChildMessage, ParentMessage, PeakLine } from './protocol.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';

const send = (message: ChildMessage) => process.send?.(message);

process.on('message', (message: ParentMessage) => {
  if (message.type !== 'run') return;
  const { id, job } = message;
  runInIsolate(job, {
    onPeak: (peak) => writeSync(1, `${JSON.stringify({ id, peak } satisfies PeakLine)}\n`),
    onMeasured: (outcome) => send({ type: 'measured', id, outcome }),
  })
    .then((outcome) => send({ type: 'result', id, outcome, recycle: takeRecycle() }))
    .catch((error: unknown) =>
      send({
        type: 'result',
        id,
        outcome: { kind: 'crashed', message: cutText(`sandbox failure: ${String(error)}`, TEXT_LIMITS.message), peak: null },
        recycle: true,
      }),
    );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
