// `memgrade grade FILE`: grade a file in a sandbox child process and print the result.
// Exit code 0 passed, 1 failed, 2 error (of the submission or of the command line).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assignmentDirs } from '../../config.ts';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments } from '../../grading/assignments.ts';
import { grade } from '../../grading/grade.ts';
import { htmlReport } from '../../report/html-report.ts';
import type { GradeResult } from '../../grading/result.ts';
import type { Assignment } from '../../grading/assignments.ts';
import { textReport } from '../../report/text-report.ts';
import { SandboxProcess } from '../../sandbox-host/sandbox-process.ts';
import { usageError } from '../usage.ts';

export const GRADE_USAGE = `memgrade grade FILE [--assignment ID] [--format json|text|html]

  FILE             the submission; "-" reads standard input
  --assignment ID  default: clinging-onto-memory
  --format F       json, text or html (a self-contained report page; default: text)

Assignments are read from ${DEFAULT_ASSIGNMENTS_DIR} and from the folders in
MEMGRADE_ASSIGNMENTS_DIRS (separated by ":").
Exit code: 0 passed, 1 failed, 2 error.`;

const RENDERERS = {
  json: (result: GradeResult) => `${JSON.stringify(result, null, 2)}\n`,
  text: textReport,
  html: htmlReport,
} satisfies Record<string, (result: GradeResult, assignment: Assignment) => string>;
type Format = keyof typeof RENDERERS;
const FORMATS = Object.keys(RENDERERS) as Format[];

export async function gradeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      assignment: { type: 'string', default: 'clinging-onto-memory' },
      format: { type: 'string', default: 'text' },
    },
  });
  const [file, ...rest] = positionals;
  if (file === undefined) usageError('no FILE given');
  if (rest.length > 0) usageError(`unexpected argument "${rest[0]}"`);
  const format = values.format as Format;
  if (!FORMATS.includes(format)) usageError(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);

  const assignments = loadAssignments(assignmentDirs());
  const assignment = assignments.get(values.assignment);
  if (!assignment) usageError(`unknown assignment "${values.assignment}"; known: ${[...assignments.keys()].join(', ')}`);

  let code: string;
  try {
    code = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    usageError(`cannot read ${file}: ${(error as Error).message}`);
  }

  const sandbox = new SandboxProcess();
  try {
    const result = await grade(assignment, code, sandbox);
    process.stdout.write(RENDERERS[format](result, assignment));
    return result.status === 'passed' ? 0 : result.status === 'failed' ? 1 : 2;
  } finally {
    await sandbox.close();
  }
}

