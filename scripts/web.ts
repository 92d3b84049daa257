// Builds the service's two pages (/ and /instructor, src/http/routes/pages.ts) from web/ into
// dist/web/: the HTML as written, each page's TypeScript bundled with what it imports from npm
// (CodeMirror, marked, DOMPurify) into one script, the CSS, and report.css, the report page's own
// style (src/report/report-style.ts) scoped to the pages' `.report` element. Nothing is fetched
// from another host: the service serves every file itself.
//
// esbuild is a dev dependency, as are the front end's packages: the bundle is built before the
// service starts in the checkout (`npm start`'s prestart, `npm test`'s pretest, `npm run
// build:web`), by `npm pack` (scripts/build.ts, into the package's dist/), and in the Docker
// image's build stage; an installed package or image carries the built files and needs none of
// them. About 0.3 s.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, transform } from 'esbuild';
import { REPORT_STYLE } from '../src/report/report-style.ts';

const ROOT = new URL('..', import.meta.url).pathname;
export const WEB_SOURCES = join(ROOT, 'web');
export const WEB_DIST = join(ROOT, 'dist', 'web');
/** What the pages must run in: the browsers of the last two years. */
const TARGET = ['chrome120', 'firefox121', 'safari17.2', 'edge120'];
const PAGES = ['student', 'instructor'];

export interface WebBuild {
  dir: string;
  /** Bytes of each file written, by its path under dir. */
  sizes: Record<string, number>;
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`],
  );
}

/** Whether two folders hold the same files, byte for byte. */
function sameFiles(a: string, b: string): boolean {
  if (!existsSync(b)) return false;
  const files = filesUnder(a).sort();
  const others = filesUnder(b).sort();
  return files.length === others.length && files.every((f, i) => f === others[i] && readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

/**
 * Builds into `outDir` (dist/web by default). The build is deterministic: when its files are
 * the ones there already, they are left as they are (a service serving them, or a test, sees no
 * change); else the new folder takes the old one's place, the two renames microseconds apart.
 */
export async function buildWeb(outDir: string = WEB_DIST): Promise<WebBuild> {
  mkdirSync(join(outDir, '..'), { recursive: true });
  const staging = mkdtempSync(`${outDir}.building-`);
  // Readable by whoever runs the service (mkdtemp makes it the builder's alone).
  chmodSync(staging, 0o755);
  try {
    const assets = join(staging, 'assets');
    const result = await build({
      entryPoints: Object.fromEntries(PAGES.map((page) => [page, join(WEB_SOURCES, `${page}.ts`)])),
      bundle: true,
      format: 'esm',
      minify: true,
      target: TARGET,
      outdir: assets,
      metafile: true,
      logLevel: 'warning',
      legalComments: 'eof',
    });
    await build({
      entryPoints: [join(WEB_SOURCES, 'pages.css')],
      bundle: true,
      minify: true,
      target: TARGET,
      outdir: assets,
      logLevel: 'warning',
    });
    // Nested under .report, then flattened for the target browsers: the report's rules style the
    // report's body inside a page, and nothing else of it.
    const report = await transform(`.report {\n${REPORT_STYLE}\n}\n`, { loader: 'css', minify: true, target: TARGET, supported: { nesting: false } });
    writeFileSync(join(assets, 'report.css'), report.code);
    cpSync(join(WEB_SOURCES, 'favicon.svg'), join(assets, 'favicon.svg'));
    for (const page of PAGES) cpSync(join(WEB_SOURCES, `${page}.html`), join(staging, `${page}.html`));
    const sizes: Record<string, number> = {};
    for (const [file, output] of Object.entries(result.metafile.outputs)) sizes[file.slice(file.indexOf('assets/'))] = output.bytes;
    if (sameFiles(staging, outDir)) {
      rmSync(staging, { recursive: true, force: true });
    } else {
      const old = `${staging}.old`;
      if (existsSync(outDir)) renameSync(outDir, old);
      renameSync(staging, outDir);
      rmSync(old, { recursive: true, force: true });
    }
    return { dir: outDir, sizes };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

if (import.meta.main) {
  const started = Date.now();
  const { dir, sizes } = await buildWeb();
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  process.stderr.write(
    `${dir.slice(ROOT.length)}: ${Object.entries(sizes).map(([file, bytes]) => `${file} ${kb(bytes)}`).join(', ')} (${Date.now() - started} ms)\n`,
  );
}
