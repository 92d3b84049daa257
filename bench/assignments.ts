// `npm run bench`: every assignment's declared solutions (its original, its fixes, the originals
// that must fail) graded through the real path, `grade(assignment, code, sandbox)` on a warm
// sandbox process, against the same code run bare in plain Node (bench/bare-pipeline.ts: V8's
// defaults, a new node process per run, no sandbox, no measurement), and against the tutorial's
// Python original under tracemalloc where python3 is present (bench/python/). All in one run.
//
// - Loop slowdown: the submission's own time graded against bare. When every step of the
//   assignment is a helper, its own time is the entry point's minus the steps' (exercise 2: the
//   in-place loop); when its own functions are steps, they run inside the helpers' (fibonacci's
//   generator inside `reduce`), and its own time is the entry point's. Graded times leave the
//   measurement out (the report's step durations do).
// - Fresh: each passing solution graded BENCH_FRESH times (default 5), each in a new sandbox
//   process, for the spread of its heap part from one first grading to another.
// - Independent heap: for each passing solution, the JS heap's peak measured by the bare run
//   itself (a full GC and the heap's data spaces at the steps' returns and along generators:
//   bare-pipeline.ts), beside the grader's `peak_heap_bytes`.
//
// Medians over BENCH_RUNS runs (default 3); gradings and bare runs alternate, so that load from
// other processes falls on both alike. BENCH_ASSIGNMENT=ID runs one assignment;
// MEMGRADE_HEAP_SPACES_ADDON=off grades without the native heap-space reader. About 4 minutes.
// The deep dive into exercise 2 (its steps, page sizes, the cold start) is `npm run bench:exercise`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments, type Assignment } from '../src/grading/assignments.ts';
import { grade } from '../src/grading/grade.ts';
import type { GradeResult } from '../src/grading/result.ts';
import { versions } from '../src/grading/versions.ts';
import { SandboxProcess } from '../src/sandbox-host/sandbox-process.ts';
import type { BareRun } from './bare-pipeline.ts';
import { bytes, median, ms, ratio, table } from './stats.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const FRESH = Math.max(1, Number(process.env.BENCH_FRESH ?? 5));
const ONLY = process.env.BENCH_ASSIGNMENT;
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const CHILD_TIMEOUT_MS = 120_000;
const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const BARE_SCRIPT = join(BENCH_DIR, 'bare-pipeline.ts');
/** The Python original of each tutorial exercise: the runner and its arguments. */
const PYTHON_ORIGINALS: Record<string, string[]> = {
  'clinging-onto-memory': [join(BENCH_DIR, 'python', 'run_original.py')],
  'fibonacci-sequence': [join(BENCH_DIR, 'python', 'run_tutorial.py'), 'fibonacci_sequence'],
  'lru-cache': [join(BENCH_DIR, 'python', 'run_tutorial.py'), 'lru_cache'],
};

interface Solution {
  name: string;
  file: string;
  code: string;
  expect: string;
}

interface PythonRun {
  entry_ms: number;
  peak_bytes: number;
  correct: boolean;
}

function bare(dir: string, file: string, independent: boolean): BareRun {
  const args = [...(independent ? ['--expose-gc'] : []), BARE_SCRIPT, dir, file, '1', ...(independent ? ['--independent'] : [])];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, timeout: CHILD_TIMEOUT_MS });
  if (child.status !== 0) throw new Error(`bare run of ${file} failed: ${child.stderr}`);
  const [run] = JSON.parse(child.stdout) as BareRun[];
  if (!run.correct) throw new Error(`the bare run of ${file} returned a wrong result`);
  return run;
}

function python(id: string): PythonRun | null {
  const runner = PYTHON_ORIGINALS[id];
  if (runner === undefined) return null;
  const child = spawnSync(PYTHON, runner, { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  if (child.status !== 0) return null;
  const out = JSON.parse(child.stdout) as Partial<PythonRun> & { process_data_ms?: number };
  return { entry_ms: out.entry_ms ?? out.process_data_ms ?? 0, peak_bytes: out.peak_bytes ?? 0, correct: out.correct === true };
}

/** The heap part of FRESH gradings, each in a sandbox process of its own, as a first grading is. */
async function freshHeaps(assignment: Assignment, code: string): Promise<number[]> {
  const heaps: number[] = [];
  for (let i = 0; i < FRESH; i++) {
    const sandbox = new SandboxProcess();
    await sandbox.ready;
    heaps.push((await grade(assignment, code, sandbox)).peak_heap_bytes ?? -1);
    await sandbox.close();
  }
  return heaps;
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${bytes(n)}`;

/** The submission's own time: see the top of this file. */
function ownMs(assignment: Assignment, entryMs: number, steps: { name: string; duration_ms: number }[]): number {
  const { globals, steps: names } = assignment.manifest;
  if (!names.every((name) => globals.includes(name))) return entryMs;
  return entryMs - steps.filter((s) => names.includes(s.name)).reduce((sum, s) => sum + s.duration_ms, 0);
}

async function benchAssignment(assignment: Assignment, say: (s?: string) => void): Promise<void> {
  const { manifest, dir } = assignment;
  const solutions: Solution[] = Object.entries(manifest.solutions).map(([name, s]) => ({
    name,
    file: join(dir, s.file),
    code: readFileSync(join(dir, s.file), 'utf8'),
    expect: s.expect,
  }));
  const original = solutions.find((s) => s.name === 'original') ?? solutions[0];
  // A sandbox process that grew past half its memory bound ends itself after the grading (a
  // heap snapshot of lru-cache's original does that); a new one replaces it, ready before the
  // next grading is timed, as the pool does.
  let sandbox = new SandboxProcess();
  let replaced = 0;
  const ready = async () => {
    if (!sandbox.alive) {
      replaced++;
      sandbox = new SandboxProcess();
    }
    await sandbox.ready;
    return sandbox;
  };
  await grade(assignment, original.code, await ready());
  const graded = new Map(solutions.map((s) => [s.name, [] as { wall: number; result: GradeResult }[]]));
  const bareRuns = new Map(solutions.map((s) => [s.name, [] as BareRun[]]));
  for (let r = 0; r < RUNS; r++) {
    for (const s of solutions) {
      const runner = await ready();
      const started = performance.now();
      const result = await grade(assignment, s.code, runner);
      graded.get(s.name)!.push({ wall: performance.now() - started, result });
      bareRuns.get(s.name)!.push(bare(dir, s.file, false));
    }
  }
  await sandbox.close();
  const py: PythonRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    const run = python(manifest.id);
    if (run !== null) py.push(run);
  }

  const entry = (steps: { name: string; duration_ms: number }[]) => steps.find((s) => s.name === manifest.entry_point)?.duration_ms ?? 0;
  const rows: string[][] = [];
  const slowdowns: { name: string; ratio: number }[] = [];
  for (const s of solutions) {
    const gs = graded.get(s.name)!;
    const bs = bareRuns.get(s.name)!;
    const last = gs[gs.length - 1].result;
    const peaks = new Set(gs.map((g) => g.result.peak_heap_bytes));
    const ownGraded = median(gs.map((g) => ownMs(assignment, entry(g.result.steps), g.result.steps)));
    const ownBare = median(bs.map((b) => ownMs(assignment, b.pipeline_ms, b.steps)));
    // Under a millisecond bare, the submission has no loop of its own to speak of.
    const hasOwn = ownBare >= 1;
    if (last.status === 'passed' && hasOwn) slowdowns.push({ name: s.name, ratio: ownGraded / ownBare });
    const independent = last.status === 'passed' ? bare(dir, s.file, true).heap_peak_bytes : null;
    const fresh = last.status === 'passed' ? await freshHeaps(assignment, s.code) : [];
    rows.push([
      s.name,
      `${last.status}${last.status === s.expect ? '' : ` (declared ${s.expect})`}`,
      bytes(last.peak_bytes),
      `${bytes(last.peak_heap_bytes)}${peaks.size > 1 ? ` (${bytes(Math.max(...(peaks as Set<number>)) - Math.min(...(peaks as Set<number>)))} spread)` : ''}`,
      fresh.length === 0 ? '-' : `${bytes(Math.min(...fresh))}-${bytes(Math.max(...fresh))}`,
      independent === null ? '-' : `${bytes(independent)} (${signed(independent - (last.peak_heap_bytes ?? 0))})`,
      ms(median(gs.map((g) => g.wall))),
      ms(ownGraded),
      ms(ownBare),
      hasOwn ? ratio(ownGraded, ownBare) : '-',
      String(median(gs.map((g) => g.result.measurement.gc_count))),
    ]);
  }
  say(`${manifest.id}: limit ${bytes(manifest.limits.peak_bytes)} bytes, heap figure ${graded.get(original.name)![0].result.measurement.heap_figure}`);
  say(
    table(
      ['solution', 'verdict', 'peak bytes', 'heap part', `heap, ${FRESH} fresh`, 'independent heap', 'grade wall', 'own graded', 'own bare', 'slowdown', 'GCs'],
      rows,
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  if (py.length > 0) {
    const pyMs = median(py.map((p) => p.entry_ms));
    const originalWall = median(graded.get(original.name)!.map((g) => g.wall));
    say(
      `  Python original under tracemalloc: peak ${bytes(py[0].peak_bytes)} bytes, ${manifest.entry_point}() ${ms(pyMs)} ms` +
        `${py.every((p) => p.correct) ? '' : ' (WRONG result)'}; grading the original takes ${ratio(originalWall, pyMs)} that.`,
    );
  } else {
    say(`  Python original: skipped (${PYTHON_ORIGINALS[manifest.id] === undefined ? 'none for this assignment' : `${PYTHON} could not run it`}).`);
  }
  if (replaced > 0) say(`  Sandbox processes replaced between gradings (grown past half their bound): ${replaced}.`);
  const worst = slowdowns.reduce((a, b) => (b.ratio > a.ratio ? b : a), { name: '-', ratio: 0 });
  say(`  Loop slowdown of the passing solutions: at most ${worst.ratio.toFixed(2)}x (${worst.name}).`);
  say();
}

async function main(): Promise<void> {
  const started = performance.now();
  const say = (s = '') => process.stdout.write(`${s}\n`);
  const python = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  say(`memgrade bench: every assignment's solutions, ${RUNS} runs of each, medians in ms (own: the submission's own time, see bench/assignments.ts)`);
  say(
    `memgrade ${versions.memgrade}, Node ${versions.node}, V8 ${versions.v8}, isolated-vm ${versions.isolated_vm}; ` +
      `${python.status === 0 ? python.stdout.trim() : 'no python3'}; ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)} at start`,
  );
  say();
  const assignments = loadAssignments([DEFAULT_ASSIGNMENTS_DIR]);
  for (const [id, assignment] of [...assignments].sort(([a], [b]) => a.localeCompare(b))) {
    if (ONLY !== undefined && ONLY !== id) continue;
    await benchAssignment(assignment, say);
  }
  say(`Bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
