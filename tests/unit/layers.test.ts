// The flow goes one way (CONTRIBUTING.md, "Layout"): http -> queue -> grading -> sandbox-host,
// with the store, the webhooks and the reporters beside it. Each layer offers what it offers in
// its index.ts; another layer imports it from there, never from a file inside, and never from a
// layer above its own. Read from the sources, so that a new import that breaks the flow fails
// here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');

/** Modules any layer may import: they import nothing of memgrade's but each other. */
const LEAVES = new Set(['errors.ts', 'log.ts', 'tokens.ts']);
/** What the top (the service's and the worker's assembly, the CLI) is made of. */
const TOP = '(top)';

/** For each layer, the layers it may import: lower ones only. */
const MAY_IMPORT: Record<string, string[]> = {
  'sandbox-host': [],
  grading: ['sandbox-host'],
  report: ['grading'],
  store: ['grading'],
  webhooks: ['store', 'grading'],
  queue: ['grading', 'sandbox-host', 'store', 'webhooks'],
  http: ['queue', 'grading', 'report', 'store', 'sandbox-host', 'webhooks'],
  cli: [TOP, 'grading', 'report', 'sandbox-host', 'store'],
  [TOP]: ['http', 'queue', 'grading', 'report', 'store', 'sandbox-host', 'webhooks'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a file under src/: its folder, or the top for a file of src/ itself. */
function layerOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split('/');
  return rest.length === 0 ? TOP : first;
}

/** Every module a file imports or re-exports, statically or with import(), resolved. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

const files = sources(SRC);

test('imports go down the flow, never up', () => {
  const wrong: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const target of importsOf(file)) {
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      if (to === from || (to === TOP && LEAVES.has(relative(SRC, target)))) continue;
      if (!MAY_IMPORT[from]?.includes(to)) wrong.push(`${relative(ROOT, file)} (${from}) imports ${relative(ROOT, target)} (${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});

/**
 * Entries besides index.ts, by layer, and who may use them: the command line starts its sandbox
 * child with start.ts before it loads the rest (index.ts loads the schema library).
 */
const OTHER_ENTRIES: Record<string, { file: string; from: string[] }[]> = {
  'sandbox-host': [{ file: 'start.ts', from: ['cli'] }],
};

test('another layer is entered through its index.ts', () => {
  const wrong: string[] = [];
  for (const file of files) {
    for (const target of importsOf(file)) {
      const to = layerOf(target);
      if (to === TOP || to === layerOf(file) || !target.startsWith(SRC)) continue;
      const entry = relative(join(SRC, to), target);
      if (OTHER_ENTRIES[to]?.some((e) => e.file === entry && e.from.includes(layerOf(file)))) continue;
      if (entry !== 'index.ts') wrong.push(`${relative(ROOT, file)} imports ${relative(ROOT, target)}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('every layer has its index.ts, and the layout in CONTRIBUTING.md names every layer', () => {
  const layers = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
  assert.deepEqual(layers.filter((l) => !files.includes(join(SRC, l, 'index.ts')) && l !== 'cli'), [], 'a layer others import offers it in index.ts');
  assert.deepEqual(new Set(layers), new Set(Object.keys(MAY_IMPORT).filter((l) => l !== TOP)), 'this test knows every layer');
  const layout = /## Layout\n([\s\S]*?)\n## /.exec(readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8'))?.[1] ?? '';
  for (const layer of layers) assert.match(layout, new RegExp(`src/${layer}/`), `CONTRIBUTING.md's layout names src/${layer}/`);
});
