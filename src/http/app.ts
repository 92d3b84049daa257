// The Fastify application: routes, validation, errors, auth, rate limits and the API document.
// It holds no state of its own; everything it serves comes from the dependencies it is given.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { versions, type Assignment } from '../grading/index.ts';
import type { GradingQueue } from '../queue/index.ts';
import type { SandboxPool } from '../sandbox-host/index.ts';
import type { SubmissionStore } from '../store/index.ts';
import { installAuth } from './auth.ts';
import { ApiProblem, clientError, headersTooLarge, installProblemHandlers, MAX_HEAD_BYTES, problemReply } from './problems.ts';
import { errorResponses } from './responses.ts';
import { assignmentRoutes } from './routes/assignments.ts';
import { eventRoutes } from './routes/events.ts';
import { instructorRoutes } from './routes/instructor.ts';
import { operationRoutes } from './routes/operations.ts';
import { pageRoutes } from './routes/pages.ts';
import { submissionRoutes } from './routes/submissions.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { sharedSchemas } from './schemas.ts';
import { HELMET_OPTIONS, SECURITY_HEADERS } from './security.ts';
import { validatorCompiler } from './validation.ts';

export interface AppDeps {
  store: SubmissionStore;
  queue: GradingQueue;
  pool: SandboxPool;
  assignments: Map<string, Assignment>;
  logger: Logger;
  /** MEMGRADE_TOKENS: instructor tokens. */
  envTokens: string[];
  /** The service may answer without a token when no token exists (loopback and no trusted proxy, or MEMGRADE_ALLOW_OPEN). */
  openAllowed: boolean;
  authFailuresPerMinute: number;
  /** Fastify's trustProxy: behind a reverse proxy, limits key on the client's address, not the proxy's. */
  trustProxy: boolean | string[];
  /** Set when MEMGRADE_WEBHOOK_SECRET is: submissions may then carry a callback_url. */
  webhooks: { allowPrivate: boolean } | null;
  rateLimitPerMinute: number;
  maxWaitS: number;
  queueLimit: number;
}

/** Room for JSON escaping around the largest code any assignment accepts. */
const BODY_OVERHEAD_FACTOR = 6;
const BODY_OVERHEAD_BYTES = 16 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** A slow client is ended in seconds: the whole request must arrive within this. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
/** The shortest header line, "a:" and CRLF: no more headers than this fit in the head. */
const MIN_HEADER_LINE_BYTES = 4;

/**
 * The request line and headers, as clients write them (`name: value` and CRLF); the parser keeps
 * no other whitespace, so padding inside a line is not counted.
 */
function headBytes(raw: IncomingMessage): number {
  const line = Buffer.byteLength(`${raw.method} ${raw.url} HTTP/${raw.httpVersion}\r\n`, 'latin1');
  return raw.rawHeaders.reduce((bytes, part) => bytes + Buffer.byteLength(part, 'latin1') + 2, line);
}

/** What the offline Swagger UI of /docs needs: its own scripts and styles, inline styles, data images. */
const DOCS_CSP =
  "default-src 'self'; base-uri 'none'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'";

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const largestCode = Math.max(0, ...[...deps.assignments.values()].map((a) => a.manifest.limits.max_code_bytes));
  // Given to fastify as its own logger type, so that the app is a plain FastifyInstance, not one
  // typed with pino's Logger (which the routes' FastifyInstance parameters would not accept).
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: largestCode * BODY_OVERHEAD_FACTOR + BODY_OVERHEAD_BYTES,
    // A caller's X-Request-Id is kept when it is sane, so its logs and ours can be joined.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'req_id' }),
    trustProxy: deps.trustProxy,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: {
      // Node checks the two timeouts every connectionsCheckingInterval (30 s by default).
      headersTimeout: HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
      // Set here, not left to node's --max-http-header-size. Node counts the URL, names and values
      // but not the separators, so it never refuses a head within the limit; the hook below
      // counts the rest.
      maxHeaderSize: MAX_HEAD_BYTES,
    },
    // Refusals made before a route runs keep the API's shape too: a bad URL, an overlong path.
    // They come before the hooks, helmet's included, so they take its headers here.
    frameworkErrors: (error, _request, reply) => void problemReply(reply.headers(SECURITY_HEADERS), error),
    clientErrorHandler: clientError,
    // While closing, requests on open connections are still served: reads work, and the queue
    // refuses new submissions with its own 503 and Retry-After.
    return503OnClosing: false,
  });
  // Node's parser refuses a request of more than 1,000 headers unless told otherwise, which is
  // about 10 KB of short ones: the size is the limit, and this many of the shortest headers fill it.
  app.server.maxHeadersCount = MAX_HEAD_BYTES / MIN_HEADER_LINE_BYTES;
  // JSON is the only body this API takes; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler(sharedSchemas));
  // Results go out exactly as the engine made them: plain JSON, not re-shaped by a schema.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of sharedSchemas) app.addSchema(schema);
  installProblemHandlers(app);
  await app.register(helmet, HELMET_OPTIONS);
  // After helmet's hooks, so that the refusal carries its headers.
  app.addHook('onRequest', async (request) => {
    if (headBytes(request.raw) > MAX_HEAD_BYTES) throw headersTooLarge();
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Results are private to their owner and change while a grading runs: never cached.
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'memgrade',
        version: versions.memgrade,
        description:
          'Grades memory-efficiency exercises: submissions run in isolated V8 sandboxes and come back with their peak memory, ' +
          'the allocations alive at the peak, and a verdict against the assignment limit. ' +
          'A method a path does not take is answered 405, with Allow naming those it takes.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative: the document is served by the service it describes, wherever that listens.
      servers: [{ url: '/', description: 'the service that serves this document (npm start: http://127.0.0.1:3000)' }],
      tags: [
        { name: 'submissions', description: 'grading' },
        { name: 'assignments', description: 'the exercises' },
        { name: 'instructor', description: 'gradebook and regrading, for instructor tokens' },
        { name: 'tokens', description: 'who is calling; the tokens, managed by instructor tokens' },
        { name: 'operations', description: 'probes' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'needed on /v1 unless the service has no token at all, listens on loopback and trusts no proxy; ' +
              'a student token sees only its own submissions, and files them under its own name',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  // Answers any documented route may give besides its own: a request that did not arrive in time
  // (408), a head too large (431), a failure of the server (500), and on a path with a
  // parameter, one too long (414).
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema?.response || schema.hide) return;
    const common = errorResponses(408, ...(route.url.includes(':') ? [414] : []), 431, 500);
    route.schema = { ...schema, response: { ...common, ...schema.response } };
  });

  await app.register(
    async (v1) => {
      await v1.register(rateLimit, {
        max: deps.rateLimitPerMinute,
        timeWindow: 60_000,
        // After authentication (onRequest), so that a token's limit follows the token.
        hook: 'preHandler',
        keyGenerator: (request) => request.client,
        enableDraftSpec: true,
        errorResponseBuilder: (_request, context) =>
          new ApiProblem('too_many_requests', `rate limit of ${context.max} requests per minute reached; retry in ${context.after}`),
      });
      installAuth(v1, {
        store: deps.store,
        envTokens: deps.envTokens,
        openAllowed: deps.openAllowed,
        failuresPerMinute: deps.authFailuresPerMinute,
      });
      v1.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{}, { bearer: [] }] };
        // Any call may be refused 403 on a service open without a token, when a browser sends it from another site (auth.ts).
        const response = route.schema.response as Record<string, unknown> | undefined;
        if (response !== undefined && !('403' in response)) route.schema.response = { ...response, ...errorResponses(403) };
        // A route that declares no body takes none: one sent is refused, not silently dropped
        // (before it is parsed, so whatever its type or size, the answer is this 400).
        if (route.schema.body === undefined && [route.method].flat().every((method) => method !== 'GET' && method !== 'HEAD')) {
          route.onRequest = [...[route.onRequest ?? []].flat(), refuseBody];
        }
      });
      submissionRoutes(v1, deps);
      eventRoutes(v1, deps);
      assignmentRoutes(v1, deps);
      instructorRoutes(v1, deps);
      tokenRoutes(v1, deps);
    },
    { prefix: '/v1' },
  );
  operationRoutes(app, deps);
  // The pages (/, /instructor, /assets/): outside /v1, no token needed to load them.
  pageRoutes(app, deps);
  return app;
}

/** The refusal of a body sent to a route that takes none. */
async function refuseBody(request: FastifyRequest): Promise<void> {
  const length = request.headers['content-length'];
  if ((length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined) {
    throw new ApiProblem('invalid_request', `${request.method} ${request.url.split('?')[0]} takes no body`, [
      { field: 'body', message: 'is not taken: send none' },
    ]);
  }
}
