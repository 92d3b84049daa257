// `npm run bench:cli [-- --baseline DIR]`: what a student waits for at the command line. Times
// `./bin/memgrade grade <original>` as a whole process (a new process per run: start-up, sandbox
// child, grading, explanation, report), against the Python original under tracemalloc, also as a
// whole process, in the same run. With --baseline, the same command from another checkout (for
// example a git worktree of an older commit) is timed beside it.
//
// Runs alternate (memgrade, baseline, Python, then again), so that load from other processes falls
// on all alike; every figure is a median over BENCH_RUNS runs (default 5).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, ms, ratio, table } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const ORIGINAL = 'sandbox/assignments/clinging-onto-memory/solutions/original.js';
const CHILD_TIMEOUT_MS = 60_000;

const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
const baseline = values.baseline === undefined ? null : resolve(values.baseline);
if (baseline !== null && !existsSync(join(baseline, 'bin', 'memgrade'))) throw new Error(`${baseline} has no bin/memgrade`);

// Every command runs with the PATH of a shell that never ran npm: `npm run` puts this checkout's
// Node 24 first, and a baseline checkout brings (or finds) its own.
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

/** Wall time of one whole process, in ms; fails the bench if the command does not end as expected. */
function timed(command: string, args: string[], cwd: string, expectStatus: number): number {
  const started = performance.now();
  const child = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env: { ...process.env, PATH } });
  const elapsed = performance.now() - started;
  if (child.status !== expectStatus) throw new Error(`${command} ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return elapsed;
}

const pythonOk = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const runs: Record<string, number[]> = { memgrade: [], baseline: [], python: [] };
for (let i = 0; i < RUNS; i++) {
  // Exit code 1: the original fails its memory limit.
  runs.memgrade.push(timed(join(ROOT, 'bin', 'memgrade'), ['grade', join(ROOT, ORIGINAL)], ROOT, 1));
  if (baseline !== null) runs.baseline.push(timed(join(baseline, 'bin', 'memgrade'), ['grade', join(ROOT, ORIGINAL)], baseline, 1));
  if (pythonOk) runs.python.push(timed(PYTHON, [join(ROOT, 'bench', 'python', 'run_original.py')], ROOT, 0));
}

const python = pythonOk ? median(runs.python) : null;
const rows = [
  ['memgrade grade original (this checkout)', runs.memgrade],
  ...(baseline !== null ? [[`memgrade grade original (${baseline})`, runs.baseline] as const] : []),
  ...(pythonOk ? [['Python + NumPy original under tracemalloc', runs.python] as const] : []),
].map(([what, xs]) => [what as string, ms(median(xs as number[])), ratio(median(xs as number[]), python)]);
process.stdout.write(`whole processes, median of ${RUNS} runs (ms)\n`);
process.stdout.write(`${table(['command', 'ms', 'x Python'], rows, ['l', 'r', 'r'])}\n`);
if (!pythonOk) process.stdout.write(`(no Python figure: ${PYTHON} has no NumPy)\n`);
