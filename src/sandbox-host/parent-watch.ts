// The watchdog thread of a sandbox child (started by child-main.ts): ends the child with SIGKILL
// as soon as the process that started it is gone, whatever the child's main thread is doing.
// The child is reparented then (to init, or to a subreaper), so its parent pid changes. A
// thread of its own, because the main thread may be unable to notice the IPC channel closing
// (see child-main.ts). The thread is a small CommonJS script: loaded as a module file, with the
// TypeScript loader, it cost a child 30 MB of resident memory instead of 10.
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { parent, everyMs } = workerData;
const check = () => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
};
check();
setInterval(check, everyMs);
parentPort.postMessage('watching');
`;

/**
 * Starts the watchdog of this process, whose parent must be `parent` (a pid), and reads the
 * parent pid every `everyMs`. It posts one message, 'watching', once it has looked once.
 */
export function watchParent(parent: number, everyMs: number): Worker {
  // No resourceLimits: under small ones (4 MB of old space) the thread ran out of memory within
  // seconds, and took its child with it.
  return new Worker(SOURCE, { eval: true, workerData: { parent, everyMs } });
}
