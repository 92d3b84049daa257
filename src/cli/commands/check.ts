// `memgrade check [ID_OR_FOLDER]`: proves an assignment before a class sees it. Grades every
// solution its manifest declares, and its starter, in parallel on a pool of two sandbox
// processes, prints a table and exits 1 unless every rule below holds (docs/authoring.md):
//
// - each solution gets its declared verdict in every run, and the starter fails;
// - some solution passes, and some fails by memory: the limit can be met, and it is needed;
// - the limit has a margin of MARGIN (1.1x) each way: it is at least 1.1 times the peak of
//   every solution that passes, and at most the peak of every one that fails by memory divided
//   by 1.1. So it sits between the best solution's peak and the original's with room, and so
//   does every verdict the manifest declares in between: a solution within 10% of the limit
//   would change its verdict with the next change of the helpers, the harness or V8, and the
//   manifest would be wrong without anyone noticing;
// - the peaks agree over runs: the two solutions nearest the limit, one on each side (the
//   passing one with the highest peak, the one failing by memory with the lowest: their margins
//   are the ones that decide), are graded RUNS times, the others once; a solution's peaks may
//   differ by the measurement's tolerance (measurement.tolerance_bytes), but by no more than
//   1/64 of the limit (six times less than the margin, so noise cannot eat it) and never less
//   than 4 KiB, the resolution of the heap's figures.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { assignmentDirs, DEFAULT_SANDBOX_MAX_JOBS } from '../../config.ts';
import { grade, loadAssignment, loadAssignments, size, type Assignment, type GradeResult } from '../../grading/index.ts';
import { poolSize, rssLimitBytes, SandboxPool } from '../../sandbox-host/index.ts';
import { UsageError, usageError } from '../usage.ts';

export const CHECK_USAGE = `memgrade check [ID_OR_FOLDER] [--runs N] [--all]

  ID_OR_FOLDER  an assignment's folder (the one memgrade new made), or the id of one memgrade
                knows (default: the current folder)
  --runs N      runs of the two solutions nearest the limit, one on each side (default 3)
  --all         N runs of every solution, not just those two

Grades every solution the manifest declares, and the starter, two at a time, and prints a
table: each one's verdict, its peak in each run, their spread and its margin to the limit.
Exit code 0 when each gets its declared verdict, the starter fails, the limit is at least
1.1 times every passing peak and at most every peak that fails by memory divided by 1.1,
and the peaks of each agree within the measurement's tolerance (at most 1/64 of the limit,
at least 4 KiB); 1 when one of these does not hold, with the reasons; 2 for a usage error.`;

/** How far the limit must be from every declared verdict's peak, as a ratio, each way. */
export const MARGIN = 1.1;
/** Runs of the solutions nearest the limit, by default. */
const RUNS = 3;
/** Sandbox processes the check grades on. */
const POOL_SIZE = 2;
const KiB = 1024;

/** What is graded: a declared solution, or the starter (when it is not one of them already). */
export interface Subject {
  name: string;
  file: string;
  expect: 'passed' | 'failed';
  starter: boolean;
  /** The starter's code is this solution's: its runs are that solution's. */
  sameAs?: string;
}

export interface Row {
  subject: Subject;
  results: GradeResult[];
  /** Why the file could not be graded: unreadable, or outside the folder. */
  unreadable?: string;
}

interface Judgement {
  /** One line per row: the table's cells. */
  table: string[][];
  /** What does not hold, one sentence each; none when the check passes. */
  problems: string[];
  /** The limit's margins in words. */
  margins: string;
}

const peaksOf = (results: GradeResult[]) => results.map((r) => r.peak_bytes).filter((p): p is number => p !== null);
const byMemory = (results: GradeResult[]) => results.length > 0 && results.every((r) => r.status === 'failed' && r.reason === 'memory_limit');
const allPassed = (results: GradeResult[]) => results.length > 0 && results.every((r) => r.status === 'passed');
const ratio = (x: number) => `${x.toFixed(2)}x`;
const bytes = (n: number) => `${n.toLocaleString('en-US')} B`;

/** The spread a solution's peaks may have: the tolerance, at most 1/64 of the limit, at least 4 KiB. */
export function allowedSpread(limitBytes: number, results: GradeResult[]): number {
  const tolerance = Math.min(...results.map((r) => r.measurement.tolerance_bytes));
  return Math.max(4 * KiB, Math.min(Number.isFinite(tolerance) ? tolerance : 0, Math.floor(limitBytes / 64)));
}

/** The passing solution with the highest peak and the one failing by memory with the lowest. */
export function nearestTheLimit(rows: Row[]): { below: Row | null; above: Row | null } {
  let below: Row | null = null;
  let above: Row | null = null;
  const top = (row: Row) => Math.max(...peaksOf(row.results));
  const bottom = (row: Row) => Math.min(...peaksOf(row.results));
  for (const row of rows) {
    if (row.subject.sameAs !== undefined || peaksOf(row.results).length === 0) continue;
    if (row.subject.expect === 'passed' && allPassed(row.results) && (below === null || top(row) > top(below))) below = row;
    if (byMemory(row.results) && (above === null || bottom(row) < bottom(above))) above = row;
  }
  return { below, above };
}

/** The check's rules over the graded rows (the module's header says them). */
export function judge(assignment: Assignment, rows: Row[]): Judgement {
  const limit = assignment.manifest.limits.peak_bytes;
  const shown = (n: number) => size(n, limit);
  const problems: string[] = [];
  const runsOf = new Map(rows.map((r) => [r.subject.name, r.results]));
  const table: string[][] = [];
  for (const row of rows) {
    const { subject } = row;
    const results = subject.sameAs === undefined ? row.results : (runsOf.get(subject.sameAs) ?? []);
    const wrong: string[] = [];
    if (row.unreadable !== undefined) wrong.push(row.unreadable);
    const statuses = new Set(results.map((r) => r.status));
    if (row.unreadable === undefined && (statuses.size !== 1 || !statuses.has(subject.expect))) {
      const got = results.find((r) => r.status !== subject.expect) ?? results[0];
      wrong.push(
        subject.starter
          ? `the starter must fail, and it ${got?.status ?? 'was not graded'}${got ? `: ${got.message}` : ''}`
          : `expected to have ${subject.expect}, it ${got?.status ?? 'was not graded'}${got ? `: ${got.message}` : ''}`,
      );
    }
    const peaks = peaksOf(results);
    const spread = peaks.length > 1 ? Math.max(...peaks) - Math.min(...peaks) : 0;
    const allowed = allowedSpread(limit, results);
    if (subject.sameAs === undefined && spread > allowed) {
      wrong.push(`its peaks differ by ${bytes(spread)} over ${peaks.length} runs, more than the ${bytes(allowed)} allowed`);
    }
    let margin = '';
    if (subject.sameAs === undefined && peaks.length > 0) {
      if (subject.expect === 'passed' && allPassed(results)) {
        const room = limit / Math.max(...peaks);
        margin = `${ratio(room)} under`;
        if (room < MARGIN) wrong.push(`its peak, ${shown(Math.max(...peaks))}, is within ${ratio(MARGIN)} of the ${shown(limit)} limit (${ratio(room)})`);
      } else if (byMemory(results)) {
        const over = Math.min(...peaks) / limit;
        margin = `${ratio(over)} over`;
        if (over < MARGIN) wrong.push(`its peak, ${shown(Math.min(...peaks))}, is within ${ratio(MARGIN)} of the ${shown(limit)} limit (${ratio(over)})`);
      }
    }
    for (const w of wrong) problems.push(`${subject.name}: ${w}`);
    const first = results[0];
    const got = row.unreadable !== undefined ? 'not graded' : first ? `${first.status}${first.reason ? ` (${first.reason})` : ''}` : 'not graded';
    table.push([
      subject.name,
      subject.expect,
      subject.sameAs === undefined ? got : `as ${subject.sameAs}: ${got}`,
      subject.sameAs === undefined ? peaks.map(shown).join(', ') : '',
      subject.sameAs === undefined && peaks.length > 1 ? bytes(spread) : '',
      margin,
      wrong.length === 0 ? 'ok' : 'NO',
    ]);
  }
  const { below, above } = nearestTheLimit(rows);
  if (below === null) problems.push('no declared solution passes: nothing shows that the limit can be met');
  if (above === null) problems.push('no declared solution fails by memory: nothing shows that the limit is needed');
  const bound = (row: Row | null, pick: (peaks: number[]) => number) => (row === null ? null : { name: row.subject.name, peak: pick(peaksOf(row.results)) });
  const low = bound(below, (p) => Math.max(...p));
  const high = bound(above, (p) => Math.min(...p));
  const margins =
    `The limit, ${shown(limit)}, is ` +
    [
      low === null ? 'above no passing peak' : `${ratio(limit / low.peak)} the highest passing peak (${low.name}, ${shown(low.peak)})`,
      high === null
        ? 'below no peak that fails by memory'
        : `the lowest peak that fails by memory (${high.name}, ${shown(high.peak)}) is ${ratio(high.peak / limit)} the limit`,
    ].join(', and ') +
    `; the rule: at least ${ratio(MARGIN)} each way, for every solution.`;
  return { table, problems, margins };
}

/** The rows as a table, columns aligned, the figures' columns to the right. */
function formatTable(cells: string[][]): string[] {
  const header = ['solution', 'expected', 'got', 'peak, each run', 'spread', 'margin', 'ok'];
  const rows = [header, ...cells];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const right = new Set([4, 5]);
  return rows.map((r) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/** The assignment ID_OR_FOLDER names: a folder with a manifest.json, else a known id. */
function locate(target: string): { assignment: Assignment; folder: string | null } {
  const folder = resolve(target);
  if (existsSync(join(folder, 'manifest.json'))) return { assignment: loadAssignment(folder), folder };
  const known = loadAssignments(assignmentDirs());
  const found = known.get(target);
  if (found === undefined) {
    usageError(`"${target}" is neither a folder with a manifest.json nor a known assignment; known: ${[...known.keys()].join(', ')}`);
  }
  return { assignment: found, folder: null };
}

/** The declared solutions, then the starter unless its code is one of theirs. */
function subjectsOf(assignment: Assignment): { subjects: Subject[]; codes: Map<string, string | { error: string }> } {
  const { manifest, dir } = assignment;
  const codes = new Map<string, string | { error: string }>();
  const read = (file: string): string | { error: string } => {
    const path = resolve(dir, file);
    if (!path.startsWith(`${resolve(dir)}/`)) return { error: `${file} is outside the assignment folder` };
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      return { error: `cannot read ${file}: ${(error as Error).message}` };
    }
  };
  const subjects: Subject[] = Object.entries(manifest.solutions).map(([name, { file, expect }]) => {
    codes.set(name, read(file));
    return { name, file, expect, starter: false };
  });
  const starter = assignment.starterCode;
  const same = subjects.find((s) => codes.get(s.name) === starter);
  const name = subjects.some((s) => s.name === 'starter') ? 'starter (file)' : 'starter';
  subjects.push({ name, file: manifest.starter, expect: 'failed', starter: true, ...(same && { sameAs: same.name }) });
  if (!same) codes.set(name, starter);
  return { subjects, codes };
}

export async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { runs: { type: 'string' }, all: { type: 'boolean', default: false } },
  });
  if (positionals.length > 1) usageError(`one assignment at a time, not ${positionals.length}`);
  const runs = values.runs === undefined ? RUNS : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) usageError('--runs must be a whole number from 1 to 20');
  const started = performance.now();
  const target = positionals[0] ?? '.';
  let located: { assignment: Assignment; folder: string | null };
  try {
    located = locate(target);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    process.stdout.write(`FAILED: ${(error as Error).message}\n`);
    return 1;
  }
  const { assignment, folder } = located;
  const { manifest } = assignment;
  const { subjects, codes } = subjectsOf(assignment);
  const rows: Row[] = subjects.map((subject) => {
    const code = codes.get(subject.name);
    return { subject, results: [], ...(typeof code === 'object' && { unreadable: code.error }) };
  });
  const gradable = rows.filter((r) => r.subject.sameAs === undefined && r.unreadable === undefined);

  const sandboxes = Math.min(POOL_SIZE, poolSize({ perProcessBytes: rssLimitBytes(manifest.limits.memory_cap_mb) }));
  const pool = new SandboxPool({ size: sandboxes, maxJobsPerProcess: DEFAULT_SANDBOX_MAX_JOBS });
  const progress = process.stderr.isTTY === true;
  let done = 0;
  let total = gradable.length;
  /** Grades each row once, `sandboxes` at a time (the pool does not queue). */
  const gradeAll = async (todo: Row[]) => {
    let next = 0;
    const loop = async () => {
      for (let i = next++; i < todo.length; i = next++) {
        const row = todo[i];
        row.results.push(await grade(assignment, codes.get(row.subject.name) as string, pool));
        done++;
        if (progress) process.stderr.write(`\rgraded ${done} of ${total}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(sandboxes, todo.length) }, loop));
  };
  try {
    await gradeAll(gradable);
    const { below, above } = nearestTheLimit(rows);
    const repeated = values.all ? gradable : [below, above].filter((r): r is Row => r !== null);
    const again = Array.from({ length: runs - 1 }, () => repeated).flat();
    total += again.length;
    await gradeAll(again);
  } finally {
    if (progress) process.stderr.write('\n');
    await pool.close();
  }

  const judgement = judge(assignment, rows);
  const problems = [...judgement.problems];
  if (folder !== null && manifest.id !== basename(folder)) {
    problems.unshift(`the manifest's id, ${manifest.id}, is not its folder's name, ${basename(folder)}: memgrade would refuse the folder`);
  }
  const where = relative(process.cwd(), assignment.dir) || '.';
  const limit = manifest.limits.peak_bytes;
  const out = [
    `memgrade check ${manifest.id} (${where}): ${manifest.entry_point}, limited to ${size(limit, limit)} (${bytes(limit)})`,
    '',
    ...formatTable(judgement.table).map((line) => `  ${line}`),
    '',
    judgement.margins,
    runsLine(rows, runs, values.all, limit),
  ];
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length === 0) {
    out.push(`ok: each solution got its declared verdict, the starter failed, the limit has its margins and the peaks agree (${seconds} s).`);
  } else {
    out.push(`FAILED (${seconds} s):`, ...problems.map((p) => `  - ${p}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return problems.length === 0 ? 0 : 1;
}

/** Which solutions ran how many times, and the spread each was allowed. */
function runsLine(rows: Row[], runs: number, all: boolean, limit: number): string {
  const repeated = rows.filter((r) => r.results.length > 1).map((r) => r.subject.name);
  const spreads = [...new Set(rows.filter((r) => r.results.length > 1).map((r) => bytes(allowedSpread(limit, r.results))))];
  const which = all ? 'every solution' : repeated.length === 0 ? 'no solution' : repeated.join(' and ');
  const rest = all ? '' : ' (the nearest the limit, each side), 1 of the others';
  const allowed = spreads.length === 0 ? '' : `; spread allowed: ${spreads.join(', ')} (the tolerance, at most 1/64 of the limit, at least 4 KiB)`;
  return `Runs: ${runs} of ${which}${rest}${allowed}.`;
}
