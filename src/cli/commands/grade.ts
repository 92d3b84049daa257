// `memgrade grade FILE_OR_DIR...`: grades submissions in sandbox child processes and prints the
// results. One file: its report in any format, exit code 0 passed, 1 failed, 2 error. Several (or
// a folder of them, one .js file per student, the file name as the student): graded in parallel
// within the machine's memory budget, a progress line on a terminal, one CSV row (or JSON entry)
// per file; exit code 0 when every file was graded, whatever the verdicts, 2 otherwise.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { assignmentDirs, DEFAULT_SANDBOX_MAX_JOBS } from '../../config.ts';
import { DEFAULT_ASSIGNMENTS_DIR, grade, loadAssignments, type Assignment, type GradeResult } from '../../grading/index.ts';
import { csvReport, FORMATS, isFormat, REPORTERS, type CsvRow } from '../../report/index.ts';
import { poolSize, rssLimitBytes, SandboxPool, SandboxProcess, type StartedChild } from '../../sandbox-host/index.ts';
import { mark, writeTimings } from '../timings.ts';
import { usageError } from '../usage.ts';

export const GRADE_USAGE = `memgrade grade FILE_OR_DIR... [--assignment ID] [--format F] [--report-dir DIR]

  FILE_OR_DIR      a submission ("-" reads standard input), or a folder of them: one .js file
                   per student, the file name as the student
  --assignment ID  default: the assignment whose folder holds the first FILE (one of its
                   solutions, say), else clinging-onto-memory
  --format F       one file (default: text):
${FORMATS.map((f) => `                     ${f.padEnd(14)}${REPORTERS[f].description}`).join('\n')}
                   several files: csv (default), json or text
  --report-dir DIR also write each student's HTML report page, as DIR/<student>.html

Assignments are read from ${DEFAULT_ASSIGNMENTS_DIR} and from the folders in
MEMGRADE_ASSIGNMENTS_DIRS (separated by ":").
Exit code, one file: 0 passed, 1 failed, 2 error. Several: 0 when every file was graded, 2 not.`;

const MULTI_FORMATS = ['csv', 'json', 'text'];

interface Entry {
  student: string;
  /** A path, or 0 for standard input. */
  source: string | 0;
}

/** The files to grade: each FILE as it is, each DIR's .js files in name order. */
function entriesOf(paths: string[]): { entries: Entry[]; several: boolean } {
  const entries: Entry[] = [];
  let several = paths.length > 1;
  for (const path of paths) {
    if (path === '-') {
      entries.push({ student: 'stdin', source: 0 });
      continue;
    }
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // Unreadable: reported as such below.
    }
    if (!isDir) {
      entries.push({ student: basename(path).replace(/\.js$/, ''), source: path });
      continue;
    }
    several = true;
    for (const name of readdirSync(path).filter((n) => n.endsWith('.js')).sort()) {
      entries.push({ student: name.slice(0, -'.js'.length), source: join(path, name) });
    }
  }
  return { entries, several };
}

const read = (entry: Entry): { code: string } | { error: string } => {
  try {
    return { code: readFileSync(entry.source, 'utf8') };
  } catch (error) {
    return { error: `cannot read ${entry.source === 0 ? 'standard input' : entry.source}: ${(error as Error).message}` };
  }
};

/** The assignment whose folder holds `path`, if one does: its starter, a solution, its solutions/. */
function holding(assignments: Map<string, Assignment>, path: string): string | undefined {
  if (path === '-') return undefined;
  const at = resolve(path);
  return [...assignments.values()].find((a) => at === resolve(a.dir) || at.startsWith(`${resolve(a.dir)}/`))?.manifest.id;
}

const exitCode = (result: GradeResult) => (result.status === 'passed' ? 0 : result.status === 'failed' ? 1 : 2);

/** `started`: a sandbox child the caller started early, while this module was loading. */
export async function gradeCommand(argv: string[], started: StartedChild | null = null): Promise<number> {
  const sandbox = started === null ? null : new SandboxProcess({ started });
  try {
    return await run(argv, sandbox);
  } finally {
    await sandbox?.close();
    mark('cli.closed');
    writeTimings(sandbox?.lastTimings ?? null);
  }
}

async function run(argv: string[], early: SandboxProcess | null): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      assignment: { type: 'string' },
      format: { type: 'string' },
      'report-dir': { type: 'string' },
    },
  });
  if (positionals.length === 0) usageError('no FILE given');
  const { entries, several } = entriesOf(positionals);
  const format = values.format ?? (several ? 'csv' : 'text');
  if (several ? !MULTI_FORMATS.includes(format) : !isFormat(format)) {
    usageError(`--format must be one of ${(several ? MULTI_FORMATS : FORMATS).join(', ')}, not "${format}"`);
  }
  const assignments = loadAssignments(assignmentDirs());
  const id = values.assignment ?? holding(assignments, positionals[0]) ?? 'clinging-onto-memory';
  const assignment = assignments.get(id);
  if (!assignment) usageError(`unknown assignment "${id}"; known: ${[...assignments.keys()].join(', ')}`);
  const reportDir = values['report-dir'];
  if (reportDir !== undefined) mkdirSync(reportDir, { recursive: true });
  const writeReport = (student: string, result: GradeResult) => {
    if (reportDir !== undefined) writeFileSync(join(reportDir, `${student}.html`), REPORTERS.html.render(result, assignment));
  };

  if (!several) {
    const entry = entries[0];
    const source = read(entry);
    if ('error' in source) usageError(source.error);
    mark('cli.read');
    const result = await grade(assignment, source.code, early ?? new SandboxProcess());
    mark('cli.graded');
    writeReport(entry.student, result);
    process.stdout.write(REPORTERS[format as keyof typeof REPORTERS].render(result, assignment));
    mark('cli.written');
    return exitCode(result);
  }
  await early?.close();
  return gradeSeveral(assignment, entries, format, writeReport);
}

async function gradeSeveral(
  assignment: Assignment,
  entries: Entry[],
  format: string,
  writeReport: (student: string, result: GradeResult) => void,
): Promise<number> {
  const size = Math.min(entries.length, poolSize({ perProcessBytes: rssLimitBytes(assignment.manifest.limits.memory_cap_mb) }));
  const pool = new SandboxPool({ size, maxJobsPerProcess: DEFAULT_SANDBOX_MAX_JOBS });
  const results = new Array<{ result: GradeResult } | { error: string }>(entries.length);
  const progress = process.stderr.isTTY === true;
  let done = 0;
  let next = 0;
  // The pool does not queue: `size` loops take the next file as each finishes.
  const loop = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const source = read(entries[i]);
      results[i] = 'error' in source ? source : { result: await grade(assignment, source.code, pool) };
      if ('result' in results[i]) writeReport(entries[i].student, (results[i] as { result: GradeResult }).result);
      done++;
      if (progress) process.stderr.write(`\rgraded ${done} of ${entries.length}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: size }, loop));
  } finally {
    if (progress) process.stderr.write('\n');
    await pool.close();
  }

  let allGraded = true;
  const rows: CsvRow[] = results.map((r, i) => {
    const student = entries[i].student;
    if ('error' in r || r.result.reason === 'internal') allGraded = false;
    if ('error' in r) return { student, status: 'error', reason: 'unreadable', peak_bytes: null, score: null, max_score: null };
    const { status, reason, peak_bytes, score, max_score } = r.result;
    return { student, status, reason, peak_bytes, score, max_score };
  });
  if (format === 'csv') {
    process.stdout.write(csvReport(rows));
  } else if (format === 'json') {
    const out = results.map((r, i) => ({ student: entries[i].student, ...('error' in r ? { error: r.error } : { result: r.result }) }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    for (const [i, r] of results.entries()) {
      process.stdout.write(`== ${entries[i].student}\n${'error' in r ? `${r.error}\n` : REPORTERS.text.render(r.result, assignment)}\n`);
    }
  }
  return allGraded ? 0 : 2;
}
