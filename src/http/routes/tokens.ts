// /v1/me: who the caller is (the pages ask it at sign-in). /v1/tokens: the service's tokens, for
// instructor tokens, as `memgrade tokens` manages them from the command line: add (the token is
// answered this once; the store keeps its digest), list (never the tokens), revoke.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TokenNameTakenError } from '../../errors.ts';
import { newToken, tokenDigest } from '../../tokens.ts';
import type { StoredToken } from '../../store/index.ts';
import type { AppDeps } from '../app.ts';
import { isOpen, requireInstructor } from '../auth.ts';
import { ApiProblem } from '../problems.ts';
import { errorResponses } from '../responses.ts';
import { ApiError } from '../schemas.ts';
import { Caller, TokenCreated, TokenList, TokenNameParams, TokenRequest, type TokenView } from '../token-schemas.ts';

const tokenView = (t: StoredToken): TokenView => ({ name: t.name, role: t.role, created_at: t.createdAt, last_used_at: t.lastUsedAt });

/** Whether the caller came in without a token, on a service open to this machine (auth.ts). */
const openCaller = (request: FastifyRequest) => request.client.startsWith('address:');

export function tokenRoutes(app: FastifyInstance, { store, envTokens, openAllowed }: AppDeps): void {
  app.get(
    '/me',
    {
      schema: {
        summary: 'Who is calling: the role and name of the token',
        operationId: 'getCaller',
        description: 'Any token may ask. The pages sign in with it: a token the service does not know is 401.',
        tags: ['tokens'],
        response: { 200: Type.Ref(Caller, { description: 'the caller' }), ...errorResponses(401, 429) },
      },
    },
    async (request) => ({ role: request.role, name: request.tokenName, open: openCaller(request) }),
  );

  app.get(
    '/tokens',
    {
      schema: {
        summary: "The service's tokens, by name (instructor tokens)",
        operationId: 'listTokens',
        description: 'Names, roles, creation and last use, as `memgrade tokens list` shows them; never a token. MEMGRADE_TOKENS are not listed.',
        tags: ['tokens'],
        response: { 200: Type.Ref(TokenList, { description: 'every token of the store' }), ...errorResponses(401, 403, 429) },
      },
    },
    async (request) => {
      requireInstructor(request);
      return { items: (await store.listTokens()).map(tokenView) };
    },
  );

  app.post<{ Body: TokenRequest }>(
    '/tokens',
    {
      schema: {
        summary: 'Make a student or instructor token (instructor tokens)',
        operationId: 'createToken',
        description:
          'Answers the token this once: the service keeps only its SHA-256 digest. It works at once, on every API process. ' +
          'While the service is open (no token exists), the first token must be an instructor\'s: once one exists, every call needs a token.',
        tags: ['tokens'],
        body: Type.Ref(TokenRequest),
        response: {
          201: Type.Ref(TokenCreated, { description: 'made; the token is in the body, and nowhere else' }),
          ...errorResponses(400, 401, 403, 415, 429),
          // Not errorResponses' 409, which declares not_ready's Retry-After: waiting does not free a name.
          409: Type.Ref(ApiError, { description: 'a token of that name exists already (conflict): revoke it first, or choose another name' }),
        },
      },
    },
    async (request, reply) => {
      requireInstructor(request);
      const { name, role } = request.body;
      if (role === 'student' && (await isOpen({ store, envTokens, openAllowed, failuresPerMinute: 0 }))) {
        throw new ApiProblem(
          'invalid_request',
          'the service is open (no token exists yet): make an instructor token first, or no one could use the instructor routes once a token exists',
          [{ field: 'body.role', message: 'must be instructor for the first token' }],
        );
      }
      const token = newToken();
      let stored: StoredToken;
      try {
        stored = await store.addToken({ name, role, digest: tokenDigest(token) });
      } catch (error) {
        if (!(error instanceof TokenNameTakenError)) throw error;
        throw new ApiProblem('conflict', `a token named "${name}" exists already: revoke it first, or choose another name`, [
          { field: 'body.name', message: 'is taken' },
        ]);
      }
      request.log.info({ token_name: name, role }, 'token added');
      return reply.code(201).send({ name: stored.name, role: stored.role, created_at: stored.createdAt, token });
    },
  );

  app.delete<{ Params: TokenNameParams }>(
    '/tokens/:name',
    {
      schema: {
        summary: 'Revoke a token (instructor tokens)',
        operationId: 'revokeToken',
        description: 'It stops working at once. The submissions it made stay, filed under its name.',
        tags: ['tokens'],
        params: TokenNameParams,
        response: { 204: { type: 'null', description: 'revoked' }, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      requireInstructor(request);
      if (!(await store.revokeToken(request.params.name))) {
        throw new ApiProblem('not_found', `no token named "${request.params.name}"`, [{ field: 'path.name', message: 'is not a known token' }]);
      }
      request.log.info({ token_name: request.params.name }, 'token revoked');
      return reply.code(204).send();
    },
  );
}
