// `MEMGRADE_TIMINGS=FILE memgrade grade FILE.js`: where the command's time went, as named points
// in time (ms since the epoch, timings.ts of the sandbox host), the command line's and its
// sandbox child's, written to FILE as one JSON object once the command is done. For
// `npm run bench:cli`, which lays them out; nothing else reads them, and without the variable
// nothing is written.
import { writeFileSync } from 'node:fs';

const points: Record<string, number> = { 'cli.start': performance.timeOrigin };

/** Notes that the command got to `name` now. */
export function mark(name: string): void {
  points[name] = performance.timeOrigin + performance.now();
}

/** Writes this process's points and the child's, when MEMGRADE_TIMINGS names a file. */
export function writeTimings(child: Record<string, number> | null): void {
  const file = process.env.MEMGRADE_TIMINGS;
  if (file === undefined || file === '') return;
  writeFileSync(file, `${JSON.stringify({ ...points, ...child })}\n`);
}
