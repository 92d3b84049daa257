// A headless Chromium driven by playwright-core, with no browser download and no network:
// MEMGRADE_CHROMIUM's when it names one, else Debian's (/usr/bin/chromium) when it is installed,
// else the one of the @sparticuz/chromium dev dependency (Chromium from the npm registry, so that
// `npm ci && npm test` needs nothing but Node and npm). MEMGRADE_TEST_NPM_BINARIES=1 takes the npm
// one even where Debian's is installed. Playwright gives each launch a fresh profile directory.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
/** As in tests/support/postgres.ts: the npm dev dependencies' binaries, whatever the machine has. */
const NPM_BINARIES = process.env.MEMGRADE_TEST_NPM_BINARIES === '1';

/**
 * @sparticuz/chromium's browser, unpacked once per version into the temporary directory, and run
 * with the libraries and fonts it brings, not the machine's. The package unpacks its Brotli
 * archives (the browser, its fonts, SwiftShader, the libraries) into os.tmpdir()
 * itself, and a test process that found a half-written one would fail: each process unpacks
 * into a folder of its own, which is then renamed into place (the first rename wins).
 */
async function npmChromium(): Promise<{ executablePath: string; env: Record<string, string> }> {
  const { default: Chromium, inflate } = await import('@sparticuz/chromium');
  const pkg = join(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..');
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const home = join(tmpdir(), `memgrade-chromium-${version}`);
  const fontsConf = join(home, 'memgrade-fonts.conf');
  if (!existsSync(fontsConf)) {
    const staging = mkdtempSync(join(tmpdir(), 'memgrade-chromium-unpack-'));
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = staging;
    try {
      await Chromium.executablePath();
      // The libraries it needs beyond glibc (NSS, NSPR, expat), which the package unpacks only on
      // Amazon Linux: a machine with nothing installed has none of them.
      await inflate(join(pkg, 'bin', 'al2023.tar.br'));
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    // The package's own fonts.conf names /tmp/fonts, where Lambda has them: without fonts, no text
    // is laid out at all. This one names where they are. Written last: the folder is whole.
    writeFileSync(
      join(staging, 'memgrade-fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(home, 'fonts', 'fonts')}</dir>\n` +
        `  <cachedir>${join(home, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, home);
    } catch {
      // Another process put its own in place first.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  mkdirSync(join(home, 'home'), { recursive: true });
  return {
    executablePath: join(home, 'chromium'),
    env: { FONTCONFIG_FILE: fontsConf, HOME: join(home, 'home'), LD_LIBRARY_PATH: join(home, 'al2023', 'lib') },
  };
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Which Chromium the tests launch, and the environment it needs. */
export async function chromiumExecutable(): Promise<{ executablePath: string; env: Record<string, string> }> {
  const named = process.env.MEMGRADE_CHROMIUM;
  if (named) return { executablePath: named, env: {} };
  if (!NPM_BINARIES && executable(DEBIAN_CHROMIUM)) return { executablePath: DEBIAN_CHROMIUM, env: {} };
  return npmChromium();
}

export async function launchChromium(): Promise<Browser> {
  const { executablePath, env } = await chromiumExecutable();
  return chromium.launch({
    executablePath,
    headless: true,
    env: { ...process.env, ...env },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
