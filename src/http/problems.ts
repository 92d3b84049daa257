// Every failed request answers the same JSON shape, { error, message, details }, whichever layer
// refused it: schema validation, Fastify's body parsing, the rate limiter, or a route.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { API_ERROR_CODES, statusOf, type ApiErrorCode } from '../errors.ts';
import type { ApiError } from './schemas.ts';
import { SECURITY_HEADERS } from './security.ts';

type Detail = ApiError['details'][number];

/** A refusal a route decided on, by its code (src/errors.ts); the error handler turns it into the answer. */
export class ApiProblem extends Error {
  readonly statusCode: number;
  readonly error: ApiErrorCode;
  readonly details: Detail[];
  readonly headers: Record<string, string>;

  constructor(error: ApiErrorCode, message: string, details: Detail[] = [], headers: Record<string, string> = {}) {
    super(message);
    this.statusCode = statusOf(error);
    this.error = error;
    this.details = details;
    this.headers = headers;
  }
}

/** The answer's body: every refusal is this shape, with a code of the table. */
const body = (error: ApiErrorCode, message: string, details: Detail[] = []): ApiError => ({ error, message, details });

const PART: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function validationDetails(issues: AjvIssue[], context: string): Detail[] {
  const part = PART[context] ?? context;
  return issues.map((issue) => {
    const path = issue.instancePath.split('/').filter((p) => p !== '');
    if (issue.keyword === 'required') path.push(String(issue.params.missingProperty));
    if (issue.keyword === 'additionalProperties') path.push(String(issue.params.additionalProperty));
    const message = issue.keyword === 'additionalProperties' ? 'is not an accepted field' : (issue.message ?? 'is invalid');
    return { field: [part, ...path].join('.'), message };
  });
}

/** Fastify's own error codes for requests it refuses before a route runs. */
const FASTIFY_CODES: Record<string, { error: ApiErrorCode; field: string | null }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'payload_too_large', field: 'body' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { error: 'unsupported_media_type', field: 'header.content-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { error: 'invalid_request', field: 'header.content-length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { error: 'invalid_json', field: 'body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { error: 'invalid_json', field: 'body' },
  FST_ERR_BAD_URL: { error: 'invalid_request', field: 'url' },
  FST_ERR_MAX_PARAM_LENGTH: { error: 'uri_too_long', field: 'url' },
};

/**
 * The code of a status Fastify or a plugin answered with, where the status alone is known: the
 * table's first of that status, the general one (invalid_request before invalid_json).
 */
const byStatus = (status: number): ApiErrorCode => API_ERROR_CODES.find((code) => statusOf(code) === status) ?? 'invalid_request';

/** The answer to an error Fastify raised (or anything else thrown), in the API's shape. */
export function problemReply(reply: FastifyReply, err: FastifyError) {
  const status = err.statusCode ?? 500;
  if (status >= 500) return reply.code(status).send(body('internal', 'the server failed to answer this request'));
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  // JSON syntax errors come from the parser without a Fastify code.
  const json = err instanceof SyntaxError ? { error: 'invalid_json' as const, field: 'body' } : undefined;
  const kind = known ?? json ?? { error: byStatus(status), field: null };
  return reply.code(status).send(body(kind.error, err.message, [{ field: kind.field, message: err.message }]));
}

/** The request line and headers together, as docs/service.md says: Node's parser and a hook of the app both hold to it. */
export const MAX_HEAD_BYTES = 16 * 1024;

export const headersTooLarge = () =>
  new ApiProblem('headers_too_large', `the request line and headers are larger than ${MAX_HEAD_BYTES} bytes`, [
    { field: 'header', message: `are larger than ${MAX_HEAD_BYTES} bytes, with the request line` },
  ]);

/** What Node's parser refused, as the API's refusal. */
function parserRefusal(code: string | undefined): ApiProblem {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiProblem('request_timeout', 'the request did not arrive in time');
  if (code === 'HPE_HEADER_OVERFLOW') return headersTooLarge();
  return new ApiProblem('invalid_request', 'the request is not valid HTTP');
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a request that took too long,
 * headers too large, a malformed request), answered on the socket in the API's shape and with
 * the headers of every other answer.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = parserRefusal(err.code);
  const text = JSON.stringify(body(problem.error, problem.message, problem.details));
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${problem.statusCode} ${STATUS_CODES[problem.statusCode]}\r\n${lines.join('')}\r\n${text}`);
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiProblem, request, reply) => {
    if (err instanceof ApiProblem) {
      return reply.code(err.statusCode).headers(err.headers).send(body(err.error, err.message, err.details));
    }
    if (err.validation) {
      const details = validationDetails(err.validation, err.validationContext ?? 'body');
      const message = `invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`;
      return reply.code(statusOf('invalid_request')).send(body('invalid_request', message, details));
    }
    if ((err.statusCode ?? 500) >= 500) request.log.error({ err }, 'request failed');
    return problemReply(reply, err);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    // A path the service has, asked with a method it does not take: 405, saying which it takes.
    // (A route that takes the method and found nothing, a static file say, is a 404.)
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const message = `${request.method} is not allowed on ${path}; it takes ${allowed.join(', ')}`;
      return reply
        .code(statusOf('method_not_allowed'))
        .headers({ allow: allowed.join(', ') })
        .send(body('method_not_allowed', message, [{ field: 'method', message: `is not one of ${allowed.join(', ')}` }]));
    }
    return reply.code(statusOf('not_found')).send(body('not_found', `no route ${request.method} ${path}`));
  });
}

/** The methods a route may take, in the order Allow names them. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
