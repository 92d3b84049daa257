// Optional bearer tokens. With none configured the API is open and a client is its address;
// with some, every /v1 call needs one and the client is the token, so rate and queue limits
// follow a token wherever it connects from.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiProblem } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Whom limits are counted against: "token:<digest prefix>" or "address:<ip>". */
    client: string;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function bearer(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match ? match[1] : null;
}

export function installAuth(app: FastifyInstance, tokens: string[]): void {
  const known = tokens.map(digest);
  app.decorateRequest('client', '');
  app.addHook('onRequest', async (request) => {
    if (known.length === 0) {
      request.client = `address:${request.ip}`;
      return;
    }
    const given = bearer(request);
    const hash = given === null ? null : digest(given);
    // Compare digests of equal length in constant time, against every token, to leak nothing.
    const ok = hash !== null && known.map((k) => timingSafeEqual(k, hash)).includes(true);
    if (!ok) {
      throw new ApiProblem(
        401,
        'unauthorized',
        given === null ? 'this API needs a bearer token' : 'the bearer token is not valid',
        [{ field: 'header.authorization', message: given === null ? 'is missing or not "Bearer <token>"' : 'is not a valid token' }],
        { 'www-authenticate': 'Bearer realm="memgrade"' },
      );
    }
    request.client = `token:${(hash as Buffer).toString('hex').slice(0, 16)}`;
  });
}
