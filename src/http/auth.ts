// Who is calling, and what they may see. A bearer token is one of MEMGRADE_TOKENS (an
// instructor), or one of the store's (`memgrade tokens add`, a student or an instructor, looked
// up at every request, so that adding and revoking take effect at once). With no token at all,
// and only then, a service that only this machine reaches (loopback, no proxy), or any with
// MEMGRADE_ALLOW_OPEN, is open, and its caller counts as an instructor. Failed attempts are
// counted per address: past the limit, the refusal is 429 instead of 401.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role, SubmissionStore } from '../store/index.ts';
import { tokenDigest } from '../tokens.ts';
import { ApiProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Whose submissions these are, and whom limits count against: see NewSubmission.client. */
    client: string;
    role: Role;
    /**
     * The stored token's name (`memgrade tokens add NAME`): what a student token's submissions are
     * filed under. Null for an environment token, or an open service's caller.
     */
    tokenName: string | null;
  }
}

interface AuthOptions {
  store: SubmissionStore;
  /** MEMGRADE_TOKENS: instructor tokens, for a one-line set-up. */
  envTokens: string[];
  /** The service may answer without a token: it listens on loopback and trusts no proxy, or MEMGRADE_ALLOW_OPEN is set. */
  openAllowed: boolean;
  /** Failed authentications an address may make in a minute before it gets 429. */
  failuresPerMinute: number;
}

function bearer(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match ? match[1] : null;
}

/** Whether a request without a token is answered: no token exists anywhere, and open is allowed. */
export async function isOpen(options: AuthOptions): Promise<boolean> {
  return options.openAllowed && options.envTokens.length === 0 && (await options.store.countTokens()) === 0;
}

export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const envDigests = options.envTokens.map((t) => Buffer.from(tokenDigest(t), 'hex'));
  // Counted per address, and only for requests that fail: a good token is never throttled here.
  const failed = app.createRateLimit({
    max: options.failuresPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `auth-failure:${request.ip}`,
  });
  app.decorateRequest('client', '');
  app.decorateRequest('role', 'student');
  app.decorateRequest('tokenName', null);
  app.addHook('onRequest', async (request) => {
    const given = bearer(request);
    if (given === null && (await isOpen(options))) {
      // Open to this machine's own users, not to the pages of other sites their browsers visit:
      // without a token to forge, a form or a no-cors fetch from another site would act as them
      // (a regrade takes no body). Browsers say where a request comes from; curl says nothing.
      const site = request.headers['sec-fetch-site'];
      if (site === 'cross-site' || site === 'same-site') {
        throw new ApiProblem('forbidden', 'the service is open to this machine, not to pages of other sites: this request came from one', [
          { field: 'header.sec-fetch-site', message: `is ${site}` },
        ]);
      }
      request.client = `address:${request.ip}`;
      request.role = 'instructor';
      return;
    }
    if (given !== null) {
      const digest = tokenDigest(given);
      const bytes = Buffer.from(digest, 'hex');
      // Compared in constant time against every environment token, to leak nothing.
      if (envDigests.map((d) => timingSafeEqual(d, bytes)).includes(true)) {
        request.client = `env:${digest.slice(0, 16)}`;
        request.role = 'instructor';
        return;
      }
      const stored = await options.store.findToken(digest);
      if (stored !== null) {
        request.client = `token:${stored.id}`;
        request.role = stored.role;
        request.tokenName = stored.name;
        return;
      }
    }
    const limit = await failed(request);
    request.log.warn({ ip: request.ip, reason: given === null ? 'no token' : 'unknown token' }, 'authentication failed');
    if (!limit.isAllowed && limit.isExceeded) {
      const retryAfter = Math.max(1, limit.ttlInSeconds);
      throw new ApiProblem('too_many_requests', `too many failed authentications from this address; retry in ${retryAfter} s`, [], {
        'retry-after': String(retryAfter),
      });
    }
    throw new ApiProblem('unauthorized',
      given === null ? 'this API needs a bearer token' : 'the bearer token is not valid',
      [{ field: 'header.authorization', message: given === null ? 'is missing or not "Bearer <token>"' : 'is not a valid token' }],
      { 'www-authenticate': 'Bearer realm="memgrade"' },
    );
  });
}

/** Refuses a caller whose role is not instructor with 403: an instructor route, unlike another token's submission (404), is no secret. */
export function requireInstructor(request: FastifyRequest): void {
  if (request.role !== 'instructor') {
    throw new ApiProblem('forbidden', 'this needs an instructor token', [{ field: 'header.authorization', message: 'is not an instructor token' }]);
  }
}

/** Whether the caller may see a submission made by `client`: its own, or any for an instructor. */
export const maySee = (request: FastifyRequest, client: string) => request.role === 'instructor' || request.client === client;

/**
 * The name a submission is filed under. A student token's are filed under its own name, whatever
 * the body says: the gradebook keys its rows on this name, and a regrade and a webhook read it,
 * so another name would put one student's work in another's row.
 */
export function submissionStudent(request: FastifyRequest, given: string | undefined): string | null {
  if (request.role === 'instructor') return given ?? null;
  const own = request.tokenName;
  if (own !== null && (given === undefined || given === own)) return own;
  throw new ApiProblem(
    'forbidden',
    `a student token files submissions under its own name${own === null ? '' : ` ("${own}")`}: body.student may not name another`,
    [{ field: 'body.student', message: "is not this token's name" }],
  );
}
