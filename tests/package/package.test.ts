// The package as a user gets it: `npm pack` here (which compiles src/ to dist/), then the
// tarball installed into a new project that has no compiler and whose shell finds the machine's
// own Node, and `npx memgrade grade` run there on a passing and a failing submission of the
// exercise. The install takes npm's cache when it holds everything (after `npm ci` here it does:
// the package's npm-shrinkwrap.json pins the tree of package-lock.json), the registry otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const scratch = mkdtempSync(join(tmpdir(), 'memgrade-package-'));
const project = join(scratch, 'project');
const EXERCISE = join(ROOT, 'sandbox', 'assignments', 'clinging-onto-memory');

// As from a shell that never ran npm in the checkout: no node_modules/.bin on PATH (so `node`
// is the machine's, whatever its version), and none of the npm_* variables an `npm test` sets
// (npm would read them as its configuration, its prefix among them).
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'MEMGRADE_ASSIGNMENTS_DIRS'),
);
env.PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr });
    });
  });
}

let packed: string[] = [];

before(async () => {
  const pack = await run('npm', ['pack', '--json', '--pack-destination', scratch], ROOT);
  assert.equal(pack.code, 0, pack.stderr);
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = info.files.map((f) => f.path);
  const tarball = join(scratch, info.filename);
  assert.ok(existsSync(tarball));
  // A project of its own, outside the checkout, as `npm init` leaves it.
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'course', version: '1.0.0', private: true }, null, 2)}\n`);
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  assert.equal(install.code, 0, install.stderr);
  copyFileSync(join(EXERCISE, 'solutions', 'reassigned.js'), join(project, 'answer.js'));
  copyFileSync(join(EXERCISE, 'starter.js'), join(project, 'starter.js'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
  // postpack removes the copy of package-lock.json prepack made; a pack that failed half-way may
  // not have, and npm would prefer it to package-lock.json in the checkout.
  const shrinkwrap = join(ROOT, 'npm-shrinkwrap.json');
  if (existsSync(shrinkwrap) && readFileSync(shrinkwrap, 'utf8') === readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) rmSync(shrinkwrap);
});

describe('the package', () => {
  test('holds the built code, bin, the harness and every assignment with its declared files; no sources, tests or fixtures', () => {
    const needed = ['bin/memgrade', 'dist/cli/main.js', 'dist/sandbox-host/child-main.js', 'dist/main.js', 'sandbox/runtime/prelude.js'];
    // The pages' files, built (scripts/web.ts): the installed service serves them without esbuild.
    needed.push('dist/web/student.html', 'dist/web/instructor.html', 'dist/web/assets/student.js', 'dist/web/assets/report.css');
    for (const file of [...needed, 'npm-shrinkwrap.json']) assert.ok(packed.includes(file), `${file} is in the package`);
    for (const id of readdirSync(join(ROOT, 'sandbox', 'assignments'))) {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'sandbox', 'assignments', id, 'manifest.json'), 'utf8')) as {
        helpers: string;
        starter: string;
        solutions: Record<string, { file: string }>;
      };
      for (const file of ['manifest.json', manifest.helpers, manifest.starter, ...Object.values(manifest.solutions).map((s) => s.file)]) {
        assert.ok(packed.includes(`sandbox/assignments/${id}/${file}`), `${id}/${file} is in the package`);
      }
    }
    assert.deepEqual(
      packed.filter((f) => /^(src|tests|bench|scripts)\//.test(f) || f.includes('fixtures') || f.endsWith('.ts')),
      [],
    );
  });

  test('installs into a project without a compiler, with Node 24 beside it', () => {
    assert.ok(existsSync(join(project, 'node_modules', 'memgrade', 'dist', 'cli', 'main.js')));
    assert.ok(!existsSync(join(project, 'node_modules', 'typescript')), 'no TypeScript installed');
    assert.ok(!existsSync(join(project, 'node_modules', 'memgrade', 'src')), 'no sources');
  });

  test('memgrade --help answers from the installed package', async () => {
    const r = await run(join(project, 'node_modules', '.bin', 'memgrade'), ['--help'], project);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage:\nmemgrade grade FILE_OR_DIR\.\.\./);
  });

  test('npx memgrade grade: a passing submission, exit 0 and its JSON, on Node 24', async () => {
    const r = await run('npx', ['memgrade', 'grade', 'answer.js', '--assignment', 'clinging-onto-memory', '--format', 'json'], project);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'passed');
    assert.equal(result.assignment, 'clinging-onto-memory');
    assert.ok(result.peak_bytes > 0 && result.peak_bytes <= result.limit_bytes);
    assert.match(result.versions.node, /^24\./);
    assert.equal(result.versions.memgrade, pkg.version);
  });

  test('npx memgrade grade: a failing submission, exit 1 and its JSON', async () => {
    const r = await run('npx', ['memgrade', 'grade', 'starter.js', '--assignment', 'clinging-onto-memory', '--format', 'json'], project);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'failed');
    assert.equal(result.reason, 'memory_limit');
    assert.ok(result.peak_bytes > result.limit_bytes);
  });
});
