// memgrade's command line: grade a file in a sandbox child process and print the result.
// Exit code 0 passed, 1 failed, 2 error (of the submission or of the command line).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assignmentDirs } from '../config.ts';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments } from '../grading/assignments.ts';
import { grade } from '../grading/grade.ts';
import { htmlReport } from '../report/html-report.ts';
import type { GradeResult } from '../grading/result.ts';
import type { Assignment } from '../grading/assignments.ts';
import { textReport } from '../report/text-report.ts';
import { SandboxProcess } from '../sandbox-host/sandbox-process.ts';

const USAGE = `usage: memgrade grade FILE [--assignment ID] [--format json|text|html]

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

function fail(message: string): never {
  process.stderr.write(`memgrade: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        assignment: { type: 'string', default: 'clinging-onto-memory' },
        format: { type: 'string', default: 'text' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, file, ...rest] = positionals;
  if (command !== 'grade') fail(command === undefined ? 'no command given' : `unknown command "${command}"`);
  if (file === undefined) fail('no FILE given');
  if (rest.length > 0) fail(`unexpected argument "${rest[0]}"`);
  const format = values.format as Format;
  if (!FORMATS.includes(format)) fail(`--format must be one of ${FORMATS.join(', ')}, not "${values.format}"`);

  const assignments = loadAssignments(assignmentDirs());
  const assignment = assignments.get(values.assignment);
  if (!assignment) fail(`unknown assignment "${values.assignment}"; known: ${[...assignments.keys()].join(', ')}`);

  let code: string;
  try {
    code = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    fail(`cannot read ${file}: ${(error as Error).message}`);
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`memgrade: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
