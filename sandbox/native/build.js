// Builds the native heap-space reader (heap-spaces.cc) into heap-spaces.node, at install (the
// package's `install` script), for the Node 24 that runs memgrade and against that Node's own
// headers. The grader uses the file when it is there (src/sandbox-host/heap-reader.ts): the heap
// figure is then the data spaces' alone. Without a C++ compiler, or when the built file does not
// load in an isolate, it says so and leaves no file: the grader then counts the whole used heap
// (compiled code included), and the install still succeeds. Plain JavaScript, so that any Node
// that npm runs can run it.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const source = join(here, 'heap-spaces.cc');
const target = join(here, 'heap-spaces.node');
const staging = `${target}.${process.pid}.tmp`;

/** @param {string} message */
const skip = (message) => {
  rmSync(staging, { force: true });
  // One built for another Node must not stay behind to be loaded.
  rmSync(target, { force: true });
  console.log(`memgrade: no native heap-space reader (${message}); the JS heap is counted with compiled code (docs/measurement.md)`);
  process.exit(0);
};

// The Node that will run memgrade, found as bin/memgrade finds it.
const candidates = [
  join(root, 'node_modules', '.bin', 'node'),
  join(root, 'node_modules', `node-linux-${process.arch}`, 'bin', 'node'),
  join(root, '..', `node-linux-${process.arch}`, 'bin', 'node'),
  process.execPath,
];
const node = realpathSync(candidates.find((path) => existsSync(path)) ?? process.execPath);
const include = join(dirname(node), '..', 'include', 'node');
if (!existsSync(join(include, 'v8.h'))) skip(`no V8 headers beside ${node}`);

const compiler = process.env.CXX || 'c++';
const compiled = spawnSync(compiler, ['-O2', '-shared', '-fPIC', '-std=c++20', `-I${include}`, source, '-o', staging], { stdio: ['ignore', 'ignore', 'pipe'] });
if (compiled.error !== undefined || compiled.status !== 0) skip(compiled.error !== undefined ? `${compiler} not found` : `${compiler} failed`);

// Loaded in an isolate as the grader loads it; a file that does not answer is not kept.
const check = `
const ivm = require(require.resolve('isolated-vm', { paths: [${JSON.stringify(root)}] }));
const isolate = new ivm.Isolate({ memoryLimit: 32 });
const context = isolate.createContextSync();
const module = new ivm.NativeModule(${JSON.stringify(staging)});
context.global.setSync('spaces', module.createSync(context).derefInto());
const [used, , old] = context.evalSync('const out = new Float64Array(9); spaces.spaces(out); [out[0], out[1], out[2]]', { copy: true });
process.exit(used > 0 && old > 0 && old <= used ? 0 : 1);
`;
const checked = spawnSync(node, ['--no-node-snapshot', '-e', check], { stdio: 'ignore', timeout: 30_000 });
if (checked.status !== 0) skip(`the built reader did not load in an isolate of ${node}`);
renameSync(staging, target);
console.log(`memgrade: native heap-space reader built: ${target}`);
