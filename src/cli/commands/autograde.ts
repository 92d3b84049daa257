// `memgrade autograde gradescope|prairielearn --assignment ID`: the entry point of the platform
// bundles (`memgrade export`). Finds the student's one .js file where the platform puts it,
// grades it, and writes the platform's results.json, always, and whole: a result that explains
// itself when there is no file or several, or when memgrade fails. Gradescope's most common
// autograder failure is a missing or corrupted results.json.
//
// It runs as root (Gradescope's run_autograder does) on files a student laid out, so it reads
// regular files only and follows no symbolic link: the folders are walked with lstat (a linked
// folder is not entered), the one file is opened with O_NOFOLLOW and checked on its handle (a
// regular file, the very one the walk found), and a link is a failure result that names it,
// never its target's content.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { assignmentDirs } from '../../config.ts';
import { grade, loadAssignments } from '../../grading/index.ts';
import { gradescopeFailure, prairielearnFailure, REPORTERS } from '../../report/index.ts';
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

interface Found {
  path: string;
  /** Relative to the submission folder, as the student named it. */
  name: string;
  dev: number;
  ino: number;
  kind: 'file' | 'link' | 'other';
}

/**
 * What a submission folder holds, however deep (platforms keep a submission's folders), seen
 * with lstat: every entry named .js, whatever it is, and the links among the other entries (a
 * linked folder is not entered).
 */
function walk(root: string): { js: Found[]; links: string[] } {
  const js: Found[] = [];
  const links: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stats = lstatSync(path);
      const name = relative(root, path);
      if (stats.isDirectory()) visit(path);
      else if (entry.endsWith('.js')) {
        const kind = stats.isSymbolicLink() ? 'link' : stats.isFile() ? 'file' : 'other';
        js.push({ path, name, dev: stats.dev, ino: stats.ino, kind });
      } else if (stats.isSymbolicLink()) links.push(name);
    }
  };
  visit(root);
  return { js, links };
}

class NotGradable extends Error {}

const linkMessage = (names: string[]) =>
  `${names.join(', ')} ${names.length === 1 ? 'is a symbolic link' : 'are symbolic links'}, and links are not graded: ` +
  'submit the JavaScript file itself.';

/**
 * The content of the file the walk found, read without following a link: O_NOFOLLOW refuses a
 * link put in its place since, O_NONBLOCK the wait of a FIFO put there, and the handle's fstat
 * must be a regular file, the one the walk saw (a folder on its path swapped for a link since
 * leads elsewhere).
 */
function readSubmission(file: Found): string {
  // A FIFO or a device is not opened at all.
  if (file.kind !== 'file') throw new NotGradable(`${file.name} is not a regular file: submit the JavaScript file itself.`);
  let fd: number;
  try {
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new NotGradable(linkMessage([file.name]));
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotGradable(`${file.name} is not a regular file: submit the JavaScript file itself.`);
    if (stats.dev !== file.dev || stats.ino !== file.ino) {
      throw new NotGradable(`${file.name} changed while it was being read (a folder on its path was replaced, by a link say): submit the file again.`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Results for when nothing could be graded, in the platform's shape, with the reason said: on
 * Gradescope a zero; on PrairieLearn `gradable: false` (its convention for input that cannot be
 * graded, and for memgrade's own failure: no points lost, no attempt counted).
 */
function failureResults(platform: Platform, message: string, internal: boolean): string {
  if (platform === 'prairielearn') return prairielearnFailure(message, internal ? 'internal' : 'invalid');
  return gradescopeFailure(internal ? `${message} This is not your mistake: tell your instructor.` : message);
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
  let text: string;
  try {
    text = await results(platform, join(root, layout.submission), values.assignment);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    process.stderr.write(`memgrade autograde: ${why}\n`);
    text = failureResults(platform, `The autograder failed before it could grade this submission (${why}).`, true);
  }
  // Exit 0 whenever the results file is written, whatever it says: PrairieLearn reads it only
  // after a zero exit (else the student sees a bare grading error), and it says what went wrong.
  // A file that cannot be written is the one failure left, and throws (exit 2).
  writeAtomically(resultsFile, text);
  return 0;
}

async function results(platform: Platform, submissionDir: string, id: string): Promise<string> {
  const assignment = loadAssignments(assignmentDirs()).get(id);
  if (!assignment) throw new Error(`memgrade has no assignment "${id}"`);
  let found: { js: Found[]; links: string[] } = { js: [], links: [] };
  let rootStats;
  try {
    rootStats = lstatSync(submissionDir);
  } catch {
    // No folder: no file.
  }
  // The platform lays the folder out: a link in its place is not the student's doing.
  if (rootStats?.isSymbolicLink()) throw new Error(`${submissionDir} is a symbolic link; memgrade follows none`);
  if (rootStats?.isDirectory()) found = walk(submissionDir);
  const { js, links } = found;
  const linked = js.filter((f) => f.kind === 'link').map((f) => f.name);
  if (linked.length > 0) return failureResults(platform, linkMessage(linked), false);
  if (js.length !== 1) {
    const names = js.map((f) => f.name).join(', ');
    const entry = assignment.manifest.entry_point;
    const shown = links.length > 5 ? [...links.slice(0, 5), `and ${links.length - 5} more`] : links;
    const notFollowed = links.length > 0 ? ` (symbolic links are not followed: ${shown.join(', ')})` : '';
    const message =
      js.length === 0
        ? `No .js file was submitted${notFollowed}: submit one JavaScript file that defines ${entry}.`
        : `${js.length} .js files were submitted (${names}): submit exactly one JavaScript file that defines ${entry}.`;
    return failureResults(platform, message, false);
  }
  let code: string;
  try {
    code = readSubmission(js[0]);
  } catch (error) {
    if (error instanceof NotGradable) return failureResults(platform, error.message, false);
    throw error;
  }
  const sandbox = new SandboxProcess();
  try {
    const result = await grade(assignment, code, sandbox);
    return REPORTERS[platform].render(result, assignment);
  } finally {
    await sandbox.close();
  }
}
