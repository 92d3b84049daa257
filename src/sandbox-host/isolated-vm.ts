// isolated-vm, loaded with the V8 settings every sandboxed run depends on. They must be set
// before the first isolate exists, and they hold for every isolate of the process.
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type ivmModule from 'isolated-vm';

// `gc()` for exact samples.
v8.setFlagsFromString('--expose-gc');
// Freed ArrayBuffers leave the external-memory count when the sweeper finishes; a concurrent
// sweeper may still be running when the sample is read (measured on V8 13.6: without this the
// heap part of the original's peak spread over 560 bytes instead of 80).
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
// Optimised code is compiled on the isolate's own thread, so that it lands at the same point of
// every run, and so does the tier-up itself: optimised code drops values the interpreter keeps
// in registers, so when a function tiers up can change what is alive. Measured on V8 13.6: with
// the three settings off, the heap part spread over 2 to 3 KB instead of 80 bytes to 1 KB, and
// a submission's own element loop ran 1.5 to 1.75 times faster; with only concurrent
// recompilation and OSR on, that loop took 8 s instead of 0.3 s.
v8.setFlagsFromString('--no-concurrent-recompilation');
v8.setFlagsFromString('--no-concurrent-osr');
v8.setFlagsFromString('--no-concurrent-sparkplug');
// Without concurrent recompilation, a hot loop that Maglev compiled on stack replacement is never
// taken further to TurboFan: an element loop ran 1.5 times slower than V8's defaults (141 ms
// against 95), and 1.05 times with Maglev left out of stack replacement (100 ms). Functions
// still tier up through Maglev; loops go to TurboFan directly.
v8.setFlagsFromString('--no-maglev-osr');

const require = createRequire(import.meta.url);
export const ivm = require('isolated-vm') as typeof ivmModule;
export type { ivmModule };
