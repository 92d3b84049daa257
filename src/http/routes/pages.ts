// The service's two pages, on its own API: / for students, /instructor for instructors, and their
// files under /assets/. They are built from web/ into dist/web/ (scripts/web.ts: npm start,
// npm test and npm pack build them first); this serves the built files and nothing else, from
// memory once read, with an ETag.
//
// Their Content-Security-Policy is the service's (nothing inline, nothing framed, no form
// submitted by the browser itself) loosened for these answers only, and only as far as 'self':
// scripts, styles, images and fetch() from this server alone.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { isOpen } from '../auth.ts';
import { ApiProblem } from '../problems.ts';

/** dist/web/ of the checkout, or of the installed package: src/ and dist/ sit at the same depth. */
const WEB_DIR = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** What /assets/ serves: a built file's plain name, nothing with a path in it. */
const ASSET = /^[a-z0-9][a-z0-9-]*\.(js|css|svg)$/;

interface Loaded {
  body: Buffer;
  etag: string;
  mtimeMs: number;
}

const NOT_BUILT = "memgrade's pages are not built: run `npm run build:web` (npm start and npm test build them first), then reload";

export function pageRoutes(app: FastifyInstance, { store, envTokens, openAllowed }: AppDeps, webDir: string = WEB_DIR): void {
  const cache = new Map<string, Loaded>();
  /** The file as built, read again only when it changed (a rebuild while the service runs). */
  const load = (file: string): Loaded | null => {
    const path = webDir + file;
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      return null;
    }
    const known = cache.get(file);
    if (known?.mtimeMs === mtimeMs) return known;
    const body = readFileSync(path);
    const loaded = { body, mtimeMs, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    cache.set(file, loaded);
    return loaded;
  };

  const serve = (file: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    let found = load(file);
    reply.header('content-security-policy', PAGE_CSP).header('cache-control', 'no-cache');
    if (found === null) throw new ApiProblem('unavailable', NOT_BUILT);
    // A page says whether the service answers without a token (no token exists, loopback): it
    // then needs no sign-in, and does not ask /v1/me without a token only to be refused.
    if (file.endsWith('.html') && (await isOpen({ store, envTokens, openAllowed, failuresPerMinute: 0 }))) {
      const body = Buffer.from(found.body.toString('utf8').replace('<html lang="en">', '<html lang="en" data-open="true">'));
      found = { ...found, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    reply.header('etag', found.etag).type(TYPES[extname(file)] ?? 'application/octet-stream');
    if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.send(found.body);
  };

  app.get('/', { schema: { hide: true } }, serve('student.html'));
  app.get('/instructor', { schema: { hide: true } }, serve('instructor.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    // A file the build did not make is not found; any file, when nothing is built, is 503.
    if (!ASSET.test(file) || (load(`assets/${file}`) === null && load('student.html') !== null)) {
      throw new ApiProblem('not_found', `no file /assets/${file}`);
    }
    return serve(`assets/${file}`)(request, reply);
  });
}
