// `npm run bench:cli [-- --baseline DIR]`: what a student waits for at the command line. Times
// `./bin/memgrade grade <original>` as a whole process (a new process per run: start-up, sandbox
// child, grading, explanation, report), against the Python original under tracemalloc, also as a
// whole process, in the same run. With --baseline, the same command from another checkout (for
// example a git worktree of an older commit) is timed beside it.
//
// Runs alternate (memgrade, baseline, Python, then again), so that load from other processes falls
// on all alike; every figure is a median over BENCH_RUNS runs (default 7), and the ratio is also
// given as the median of each pair's own ratio. Python is the interpreter itself: a pyenv shim in
// front of it (a bash script, 100 ms or more) is looked through.
//
// Then where memgrade's time goes: each run is made with MEMGRADE_TIMINGS (src/cli/timings.ts),
// which has the command write the points in time it and its sandbox child passed; each phase is
// the median over the runs (the baseline's too, when it writes them). Phases marked "beside"
// overlap the ones above them, the others follow one another. Each run's output is checked: the
// original fails with 400,000,000 bytes of ArrayBuffers at its peak, every time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, ms, ratio, table } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 7));
const ORIGINAL = 'sandbox/assignments/clinging-onto-memory/solutions/original.js';
const CHILD_TIMEOUT_MS = 60_000;
/** What the text report says of the original's peak, every time. */
const ORIGINAL_PEAK = /^Peak: .*\(\d+ bytes: 400000000 in ArrayBuffers, /m;

const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
const baseline = values.baseline === undefined ? null : resolve(values.baseline);
if (baseline !== null && !existsSync(join(baseline, 'bin', 'memgrade'))) throw new Error(`${baseline} has no bin/memgrade`);

// Every command runs with the PATH of a shell that never ran npm: `npm run` puts this checkout's
// Node 24 first, and a baseline checkout brings (or finds) its own.
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);
const env: NodeJS.ProcessEnv = { ...process.env, PATH };
delete env.MEMGRADE_TIMINGS;

const now = () => performance.timeOrigin + performance.now();

/** One whole process: its wall time in ms and its output; fails the bench if it does not end as expected. */
function timed(command: string, args: string[], cwd: string, expectStatus: number, extraEnv: Record<string, string> = {}) {
  const started = now();
  const child = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env: { ...env, ...extraEnv } });
  const ended = now();
  if (child.status !== expectStatus) throw new Error(`${command} ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  return { ms: ended - started, started, ended, stdout: child.stdout };
}

// The interpreter itself, not a shim in front of it.
const PYTHON =
  process.env.BENCH_PYTHON ?? (spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', env }).stdout.trim() || 'python3');
const pythonOk = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

type Points = Record<string, number>;
const dir = mkdtempSync(join(tmpdir(), 'memgrade-bench-cli-'));
const runs: Record<string, number[]> = { memgrade: [], baseline: [], python: [] };
const points: Record<string, Points[]> = { memgrade: [], baseline: [] };

/** One grading of the original by the checkout at `root`, checked, with its points in time if it wrote them. */
function gradeOriginal(which: 'memgrade' | 'baseline', root: string, i: number) {
  const file = join(dir, `${which}-${i}.json`);
  // Exit code 1: the original fails its memory limit.
  const run = timed(join(root, 'bin', 'memgrade'), ['grade', join(ROOT, ORIGINAL)], root, 1, { MEMGRADE_TIMINGS: file });
  if (!ORIGINAL_PEAK.test(run.stdout)) throw new Error(`the original's peak is not 400,000,000 bytes of ArrayBuffers:\n${run.stdout}`);
  runs[which].push(run.ms);
  if (existsSync(file)) points[which].push({ ...(JSON.parse(readFileSync(file, 'utf8')) as Points), spawn: run.started, end: run.ended });
}

try {
  for (let i = 0; i < RUNS; i++) {
    gradeOriginal('memgrade', ROOT, i);
    if (baseline !== null) gradeOriginal('baseline', baseline, i);
    if (pythonOk) runs.python.push(timed(PYTHON, [join(ROOT, 'bench', 'python', 'run_original.py')], ROOT, 0).ms);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const python = pythonOk ? median(runs.python) : null;
const pairRatio = (xs: number[]) => (pythonOk ? `${median(xs.map((x, i) => x / runs.python[i])).toFixed(2)}x` : '-');
const rows = [
  ['memgrade grade original (this checkout)', runs.memgrade],
  ...(baseline !== null ? [[`memgrade grade original (${baseline})`, runs.baseline] as const] : []),
  ...(pythonOk ? [[`Python + NumPy original under tracemalloc (${PYTHON})`, runs.python] as const] : []),
].map(([what, xs]) => [what as string, ms(median(xs as number[])), ratio(median(xs as number[]), python), pairRatio(xs as number[])]);
process.stdout.write(`whole processes, median of ${RUNS} alternated runs (ms)\n`);
process.stdout.write(`${table(['command', 'ms', 'x Python', 'pairs'], rows, ['l', 'r', 'r', 'r'])}\n`);
if (!pythonOk) process.stdout.write(`(no Python figure: ${PYTHON} has no NumPy)\n`);

// [what, from, to, beside]: a phase is the time from one point to the next; `beside` phases run
// at the same time as the main line. A point a run did not pass (no replay) leaves its phase out.
const PHASES: [string, string, string, boolean][] = [
  ['process start: node, main.ts', 'spawn', 'cli.main', false],
  ['load what starts the sandbox child', 'cli.main', 'cli.fork', false],
  ['start the sandbox child (launch, fork)', 'cli.fork', 'cli.forked', false],
  ['load the grade command, read the submission', 'cli.forked', 'cli.read', false],
  ['sandbox child start: fork to its node running', 'cli.fork', 'child.start', true],
  ['sandbox child start: node to child-main.ts', 'child.start', 'child.main', true],
  ['sandbox child start: its modules (isolated-vm)', 'child.main', 'child.loaded', true],
  ['sandbox child start: watchdog, ready', 'child.loaded', 'child.ready', true],
  ['wait for the child, job to the child', 'cli.read', 'child.job', false],
  ['measured run: isolate', 'child.job', 'measured.isolate', false],
  ['measured run: context, inspector', 'measured.isolate', 'measured.inspector', false],
  ['measured run: compile the harness', 'measured.inspector', 'measured.harness_compiled', false],
  ['measured run: install the harness', 'measured.harness_compiled', 'measured.harness', false],
  ['measured run: helpers', 'measured.harness', 'measured.helpers', false],
  ['measured run: compile, load the submission', 'measured.helpers', 'measured.loaded', false],
  ['measured run: the pipeline', 'measured.loaded', 'measured.ran', false],
  ['  of which reading the holders', '', 'measured.holders_ms', true],
  ['  of which reading liveness', '', 'measured.liveness_ms', true],
  ['measured run: close the isolate', 'measured.ran', 'measured.closed', false],
  ['hidden check: set up (isolate to loaded)', 'measured.closed', 'hidden.loaded', false],
  ['hidden check: its run', 'hidden.loaded', 'hidden.ran', false],
  ['hidden check: close the isolate', 'hidden.ran', 'hidden.closed', false],
  ['replay to the peak', 'hidden.closed', 'replay.closed', false],
  ['result to the command, verdict', 'child.sent', 'cli.graded', false],
  ['write the result', 'cli.graded', 'cli.written', false],
  ['stop the child, exit', 'cli.written', 'end', false],
];
const phaseMs = (ps: Points[], from: string, to: string) => {
  const xs = ps.map((p) => (from === '' ? p[to] : p[to] - p[from])).filter((x) => Number.isFinite(x));
  return xs.length === 0 ? null : median(xs);
};
const columns = (['memgrade', 'baseline'] as const).filter((which) => points[which].length > 0);
const totals = columns.map((which) => median(points[which].map((p) => p.end - p.spawn)));
const breakdown = PHASES.map(([what, from, to, beside]) => {
  const cells = columns.map((which) => phaseMs(points[which], from, to));
  if (cells.every((c) => c === null)) return null;
  const share = beside || cells[0] === null ? '' : `${((cells[0] / totals[0]) * 100).toFixed(0)}%`;
  return [beside ? `${what} (beside)` : what, ...cells.map(ms), share];
}).filter((row) => row !== null);
breakdown.push(['whole process', ...totals.map(ms), '100%']);
const heads = columns.map((which) => (which === 'memgrade' ? 'ms' : 'baseline ms'));
process.stdout.write(`\nwhere memgrade's time goes, median of ${RUNS} runs (ms)\n`);
process.stdout.write(`${table(['phase', ...heads, 'share'], breakdown, ['l', ...heads.map(() => 'r' as const), 'r'])}\n`);
