// The security headers, from one configuration. @fastify/helmet sets them on what passes through
// Fastify's hooks; some answers never do (what Node's parser refuses is written to the socket,
// and a malformed URL is refused before the hooks run), so they take the very headers helmet
// makes of the same options, recorded once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The report page is self-contained (inline CSS and SVG, no script), and so is every other
 * answer but /docs: nothing may load, run or frame it.
 */
export const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ['data:'],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
} satisfies HelmetOptions;

/** What helmet sets with HELMET_OPTIONS, by lower-case name: its options make no header depend on the request. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
})();
