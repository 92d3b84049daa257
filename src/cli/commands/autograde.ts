// `memgrade autograde gradescope|prairielearn --assignment ID`: the entry point of the platform
// bundles (`memgrade export`). Finds the student's one .js file where the platform puts it,
// grades it, and writes the platform's results.json, always, and whole: a result that explains
// itself when there is no file or several, or when memgrade fails. Gradescope's most common
// autograder failure is a missing or corrupted results.json.
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { assignmentDirs } from '../../config.ts';
import { grade, loadAssignments } from '../../grading/index.ts';
import { REPORTERS } from '../../report/index.ts';
import { SandboxProcess } from '../../sandbox-host/index.ts';
import { usageError } from '../usage.ts';

export const AUTOGRADE_USAGE = `memgrade autograde gradescope|prairielearn --assignment ID

  The entry point of the bundles \`memgrade export\` makes: grades the student's .js file
  (gradescope: /autograder/submission; prairielearn: /grade/student) and writes the
  platform's results.json (/autograder/results, /grade/results).`;

const PLATFORMS = {
  gradescope: { root: '/autograder', submission: 'submission', results: 'results' },
  prairielearn: { root: '/grade', submission: 'student', results: 'results' },
} as const;
type Platform = keyof typeof PLATFORMS;

/** Every .js file under `dir`, however deep (platforms keep a submission's folders). */
function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsFiles(path));
    else if (entry.name.endsWith('.js')) out.push(path);
  }
  return out;
}

/** Results for when nothing could be graded: the platform's shape, with the reason said. */
function failureResults(platform: Platform, message: string, internal: boolean): string {
  if (platform === 'prairielearn') {
    // Not the student's doing (memgrade failed): not gradable, never a zero.
    return `${JSON.stringify(internal ? { gradable: false, message } : { gradable: true, score: 0, message, output: message, tests: [] }, null, 2)}\n`;
  }
  return `${JSON.stringify({ score: 0, output: message, output_format: 'md', stdout_visibility: 'hidden', tests: [] }, null, 2)}\n`;
}

/** Written whole or not at all: a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

export async function autogradeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { assignment: { type: 'string' } },
  });
  const platform = positionals[0];
  if (platform !== 'gradescope' && platform !== 'prairielearn') usageError('autograde needs gradescope or prairielearn');
  if (values.assignment === undefined) usageError('autograde needs --assignment ID');
  const layout = PLATFORMS[platform];
  // Only the tests lay the platform's folders out somewhere else.
  const root = process.env.MEMGRADE_PLATFORM_ROOT ?? layout.root;
  const resultsDir = join(root, layout.results);
  mkdirSync(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, 'results.json');
  try {
    writeAtomically(resultsFile, await results(platform, join(root, layout.submission), values.assignment));
    return 0;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const message = `The autograder failed before it could grade this submission (${why}). This is not the student's mistake: tell the instructor.`;
    writeAtomically(resultsFile, failureResults(platform, message, true));
    return 2;
  }
}

async function results(platform: Platform, submissionDir: string, id: string): Promise<string> {
  const assignment = loadAssignments(assignmentDirs()).get(id);
  if (!assignment) throw new Error(`memgrade has no assignment "${id}"`);
  let files: string[] = [];
  try {
    if (statSync(submissionDir).isDirectory()) files = jsFiles(submissionDir);
  } catch {
    // No folder: no file.
  }
  if (files.length !== 1) {
    const names = files.map((f) => relative(submissionDir, f)).join(', ');
    const message =
      files.length === 0
        ? 'No .js file was submitted: submit one JavaScript file that defines process_data.'
        : `${files.length} .js files were submitted (${names}): submit exactly one JavaScript file that defines process_data.`;
    return failureResults(platform, message, false);
  }
  const sandbox = new SandboxProcess();
  try {
    const result = await grade(assignment, readFileSync(files[0], 'utf8'), sandbox);
    return REPORTERS[platform].render(result, assignment);
  } finally {
    await sandbox.close();
  }
}
