// Every export of src/ is imported by another file (of src/, the tests, the benchmarks, the scripts,
// the pages or the harness), or is in KEPT below, each with its reason. An export nothing else imports only
// widens what a module offers, and hides that the code itself is gone. Read from the sources with
// regular expressions, as the layers test reads imports: what `tsc` would say, in a few ms.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = join(ROOT, 'src');
/** Where an import of src/ may be: src/ itself, and everything that runs or is checked beside it. */
const IMPORTERS = ['src', 'tests', 'bench', 'scripts', 'web', 'sandbox/runtime', 'sandbox/native'];
/** Submissions and assignments the tests read as data, not code of theirs. */
const NOT_CODE = [join(ROOT, 'tests', 'fixtures')];

/**
 * Exports nothing else imports, kept deliberately, as `file: name`. Only two kinds belong here:
 * the type of a parameter of a function (or method, or constructor) that a layer offers, so that
 * a caller in another layer, which imports the layer's index.ts alone, can name it; and a TypeBox
 * schema that is part of an exported schema, the vocabulary of the result and of the API.
 */
const KEPT = new Set<string>([
  // Parameters of what a layer offers.
  'src/errors.ts: ErrorCode', // MemgradeError's code (errors.ts: every layer's)
  'src/grading/index.ts: SandboxRunner', // grade()'s runner
  'src/http/index.ts: AppDeps', // buildApp()'s
  'src/queue/index.ts: QueueLimits', // LocalQueue's and PgBossQueue's limits
  'src/report/index.ts: Reporter', // mediaTypes()'s, and each REPORTERS entry
  'src/report/index.ts: ReportContext', // a reporter's render() context
  'src/sandbox-host/index.ts: RunHooks', // SandboxPool.run()'s hooks
  // Parts of an exported schema.
  'src/grading/result.ts: Explanation', // of GradeResult
  'src/grading/result.ts: GradeLimits', // of GradeResult
  'src/http/schemas.ts: ErrorDetail', // of ApiError
  'src/http/schemas.ts: SubmissionStatus', // of the submissions' schemas and the gradebook's
  'src/http/token-schemas.ts: TokenRole', // of Caller and the tokens' schemas
  'src/report/platform-schemas.ts: GradescopeTest', // of GradescopeResults
  'src/report/platform-schemas.ts: PrairieLearnTest', // of PrairieLearnResults
]);

function sources(dir: string): string[] {
  if (NOT_CODE.includes(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

const NAME = /^[A-Za-z_$][\w$]*$/;

/** `a, type B, c as d` -> [[local, exported], ...] */
function specifiers(list: string): [string, string][] {
  return list
    .split(',')
    .map((s) => s.trim().replace(/^type\s+/, ''))
    .filter((s) => s !== '')
    .map((s) => {
      const [local, exported = local] = s.split(/\s+as\s+/);
      return [local.trim(), exported.trim()];
    });
}

const DECLARED = /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|const|let|var|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
const LISTED = /^export\s+(?:type\s+)?\{([^}]*)\}/gm;

/** The names a file of src/ exports (its re-exports included); throws on an export it cannot read. */
function exportsOf(text: string, file = 'a file'): string[] {
  const names = [...text.matchAll(DECLARED)].map((m) => m[1]);
  for (const m of text.matchAll(LISTED)) names.push(...specifiers(m[1]).map(([, exported]) => exported));
  // The forms the patterns above do not read: a default export, `export *`, a destructuring one.
  const unread = text.match(/^export\s+(?:default\b|\*|=|(?:const|let|var)\s*[{[]).*$/gm) ?? [];
  if (unread.length > 0 || names.some((n) => !NAME.test(n))) throw new Error(`${file}: an export this test cannot read: ${unread.join('; ')}`);
  return [...new Set(names)];
}

/** For each module a file imports (resolved), the names it takes from it; '*' for all it names. */
function importsOf(file: string, text: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const add = (spec: string, names: string[]) => {
    if (!spec.startsWith('.')) return;
    const target = resolve(dirname(file), spec);
    const set = found.get(target) ?? new Set<string>();
    for (const n of names) set.add(n);
    found.set(target, set);
  };
  // `import`, and JSDoc's `@import` (the harness's JavaScript is type-checked with it).
  for (const m of text.matchAll(/(?:^|[\n;])\s*(?:\*\s*@)?import\s+(?:type\s+)?([^'"]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    const clause = m[1];
    const named = /\{([^}]*)\}/.exec(clause);
    const names = named ? specifiers(named[1]).map(([imported]) => imported) : [];
    // A default import or a namespace: whatever of the module the file names.
    if (/\*\s+as\s+\w+/.test(clause) || /^[A-Za-z_$][\w$]*\s*(,|$)/.test(clause)) names.push('*');
    add(m[2], names);
  }
  for (const m of text.matchAll(/(?:^|[\n;])\s*export\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    add(m[2], specifiers(m[1]).map(([local]) => local));
  }
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], ['*']);
  return found;
}

/** Every export of src/ that no other file imports, as `file: name`. */
function unimported(): string[] {
  const files = IMPORTERS.flatMap((dir) => sources(join(ROOT, dir)));
  const texts = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));
  const offered = new Map(files.filter((f) => f.startsWith(SRC + '/') && f.endsWith('.ts')).map((f) => [f, exportsOf(texts.get(f)!, relative(ROOT, f))]));
  const used = new Set<string>();
  for (const [file, text] of texts) {
    for (const [target, names] of importsOf(file, text)) {
      if (target === file || !offered.has(target)) continue;
      for (const name of offered.get(target)!) {
        if (names.has(name) || (names.has('*') && new RegExp(`\\b${name.replaceAll('$', '\\$')}\\b`).test(text))) used.add(`${target}: ${name}`);
      }
    }
  }
  return [...offered].flatMap(([file, names]) => names.map((name) => `${file}: ${name}`)).filter((e) => !used.has(e)).map((e) => relative(ROOT, e));
}

test('every export of src/ is imported elsewhere, or kept on purpose', () => {
  const unused = unimported();
  assert.deepEqual(unused.filter((e) => !KEPT.has(e)), [], 'remove the export (or the code), or add it to KEPT with its reason');
  assert.deepEqual([...KEPT].filter((e) => !unused.includes(e)), [], 'KEPT names only exports nothing imports');
});

test('the scan finds exports and imports of each form', () => {
  assert.deepEqual(
    exportsOf('export async function a() {}\nexport const b = 1;\nexport interface C {}\nexport type D<T> = T;\nexport class E {}\nexport type E = number;'),
    ['a', 'b', 'C', 'D', 'E'],
  );
  assert.deepEqual(exportsOf("export { f, type G, h as i } from './x.ts';\nexport {\n  j,\n};"), ['f', 'G', 'i', 'j']);
  assert.throws(() => exportsOf('export default {};'), /cannot read/);
  assert.throws(() => exportsOf("export * from './x.ts';"), /cannot read/);
  assert.throws(() => exportsOf('export const { a, b } = c;'), /cannot read/);
  const imports = importsOf(
    join(SRC, 'a.ts'),
    [
      "import { a, type B, c as d } from './x.ts';",
      'import type {\n  E,\n} from "./y.ts";',
      "import * as z from './z.ts';",
      "export { f as g } from './w.ts';",
      "const m = await import('./v.ts');",
      "/**\n * @import { H } from './u.ts'\n */",
      "import 'node:fs';",
    ].join('\n'),
  );
  assert.deepEqual(Object.fromEntries([...imports].map(([path, names]) => [relative(SRC, path), [...names]])), {
    'x.ts': ['a', 'B', 'c'],
    'y.ts': ['E'],
    'z.ts': ['*'],
    'w.ts': ['f'],
    'v.ts': ['*'],
    'u.ts': ['H'],
  });
});
