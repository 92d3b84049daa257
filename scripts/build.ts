// Compiles src/ to dist/, the JavaScript the package runs (`npm run build`; `npm pack` and
// `npm publish` run it first, through prepack, which also writes the npm-shrinkwrap.json below). tsc emits one .js per source file, its types
// erased and its relative imports' .ts rewritten to .js (tsconfig.build.json), so dist/ is laid out
// as src/ is, one folder below the package's root: what the code reads relative to itself
// (sandbox/runtime/prelude.js, sandbox/assignments/, package.json) is found from either. In the
// checkout nothing runs from dist/: npm start, the tests and bin/memgrade run the sources.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { buildWeb } from './web.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const DIST = join(ROOT, 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Relative module specifiers still naming a .ts file: tsc rewrites literal ones only. */
function tsSpecifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\(\s*|new URL\(\s*)['"`](\.{1,2}\/[^'"`]*\.ts)['"`]/g)].map((m) => `${relative(ROOT, file)}: ${m[1]}`);
}

export function build(): string[] {
  // All but dist/web, the pages' files (scripts/web.ts, rebuilt below): a service or a test may be serving them.
  for (const entry of existsSync(DIST) ? readdirSync(DIST) : []) if (entry !== 'web') rmSync(join(DIST, entry), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  const files = filesUnder(DIST);
  const left = files.flatMap(tsSpecifiers);
  if (left.length > 0) throw new Error(`dist/ still imports TypeScript files:\n${left.join('\n')}`);
  return files;
}

/**
 * The package's npm-shrinkwrap.json (`--shrinkwrap`, before packing; `--no-shrinkwrap` removes it
 * after): package-lock.json as it is, so that an install of the package gets the dependency tree
 * the tests ran on, whatever has been published since, and can come from npm's cache alone.
 * npm leaves out what is marked dev. Not kept in the checkout, where package-lock.json is the one.
 */
const SHRINKWRAP = join(ROOT, 'npm-shrinkwrap.json');

if (import.meta.main) {
  if (process.argv.includes('--no-shrinkwrap')) {
    rmSync(SHRINKWRAP, { force: true });
  } else {
    const files = build();
    await buildWeb();
    process.stderr.write(`dist/: ${files.length} files, and the pages in dist/web/\n`);
    if (process.argv.includes('--shrinkwrap')) copyFileSync(join(ROOT, 'package-lock.json'), SHRINKWRAP);
  }
}
