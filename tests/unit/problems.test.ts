// How a refused request becomes { error, message, details }: real Ajv errors from the service's
// own validator, handed to the error handler problems.ts installs, on a stand-in app and reply
// (no server). The field names in `details` are what API clients match on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import { ApiProblem, clientError, installProblemHandlers, problemReply } from '../../src/http/problems.ts';
import { IdParams, ListQuery, SubmissionRequest } from '../../src/http/schemas.ts';
import { SECURITY_HEADERS } from '../../src/http/security.ts';
import { validatorCompiler } from '../../src/http/validation.ts';

type Handler = (err: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

interface Sent {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string; details: { field: string | null; message: string }[] };
}

function stubReply(): { reply: FastifyReply; sent: Sent } {
  const sent = { status: 0, headers: {} } as Sent;
  const reply = {
    code: (status: number) => ((sent.status = status), reply),
    headers: (headers: Record<string, string>) => (Object.assign(sent.headers, headers), reply),
    send: (body: Sent['body']) => ((sent.body = body), reply),
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

/** The error handler and the not-found handler, as installed on an app. */
function handlers(): { onError: Handler; onNotFound: (request: FastifyRequest, reply: FastifyReply) => unknown } {
  const installed: Partial<ReturnType<typeof handlers>> = {};
  installProblemHandlers({
    setErrorHandler: (h: Handler) => (installed.onError = h),
    setNotFoundHandler: (h: ReturnType<typeof handlers>['onNotFound']) => (installed.onNotFound = h),
    // One path, taking GET and HEAD.
    findRoute: ({ method, url }: { method: string; url: string }) => (url === '/v1/things' && (method === 'GET' || method === 'HEAD') ? {} : null),
  } as unknown as FastifyInstance);
  return installed as ReturnType<typeof handlers>;
}

const logged: unknown[] = [];
const request = { method: 'GET', url: '/v1/nothing?x=1', log: { error: (...args: unknown[]) => logged.push(args) } } as unknown as FastifyRequest;
const { onError, onNotFound } = handlers();

const compile = validatorCompiler([]);
/** What Fastify would raise for `data` against `schema` in that part of the request. */
function validationError(schema: object, httpPart: string, data: unknown): FastifyError {
  const route = { schema, httpPart, method: 'POST', url: '/' } as Parameters<typeof compile>[0];
  const validate = compile(route) as unknown as ((d: unknown) => boolean) & { errors: unknown[] };
  assert.equal(validate(data), false, 'the data must be refused');
  const error = Object.assign(new Error('validation failed'), { statusCode: 400, validation: validate.errors, validationContext: httpPart });
  return error as unknown as FastifyError;
}

function answer(err: unknown): Sent {
  const { reply, sent } = stubReply();
  onError(err, request, reply);
  return sent;
}

describe('validation errors become details', () => {
  test('a body: the missing field, the unknown field and the wrong types, each named', () => {
    const sent = answer(validationError(SubmissionRequest, 'body', { code: 1, extra: true, wait: '5' }));
    assert.equal(sent.status, 400);
    assert.equal(sent.body.error, 'invalid_request');
    assert.deepEqual(sent.body.details, [
      { field: 'body.assignment', message: "must have required property 'assignment'" },
      { field: 'body.extra', message: 'is not an accepted field' },
      { field: 'body.code', message: 'must be string' },
      { field: 'body.wait', message: 'must be integer' },
    ]);
    assert.equal(
      sent.body.message,
      "invalid request: body.assignment must have required property 'assignment'; body.extra is not an accepted field; " +
        'body.code must be string; body.wait must be integer',
    );
  });

  test('path parameters and query strings are named path.* and query.*', () => {
    assert.deepEqual(answer(validationError(IdParams, 'params', { id: '../x' })).body.details.map((d) => d.field), ['path.id']);
    assert.deepEqual(answer(validationError(ListQuery, 'querystring', { limit: '0' })).body.details, [
      { field: 'query.limit', message: 'must be >= 1' },
    ]);
  });

  test('nested paths are dotted, and a made-up Ajv error without a message is "is invalid"', () => {
    const err = Object.assign(new Error('x'), {
      statusCode: 400,
      validationContext: 'headers',
      validation: [{ instancePath: '/a/0/b', keyword: 'custom', params: {} }],
    });
    assert.deepEqual(answer(err).body.details, [{ field: 'header.a.0.b', message: 'is invalid' }]);
  });
});

describe('the validator', () => {
  test('coerces query strings, fills defaults, and leaves a JSON body as sent', () => {
    const query = compile({ schema: ListQuery, httpPart: 'querystring', method: 'GET', url: '/' }) as unknown as (d: unknown) => boolean;
    const text: Record<string, unknown> = { limit: '5' };
    assert.equal(query(text), true);
    assert.deepEqual(text, { limit: 5 });
    const empty: Record<string, unknown> = {};
    assert.equal(query(empty), true);
    assert.deepEqual(empty, { limit: 20 });
    // The same kind of mistake in a body is refused, not coerced: {"wait": "5"} above.
    validationError(SubmissionRequest, 'body', { assignment: 'tiny-sum', code: 'x', wait: '5' });
  });
});

describe('other refusals', () => {
  test("a route's ApiProblem is answered with its code's status, details and headers", () => {
    const sent = answer(new ApiProblem('not_ready', 'not yet', [{ field: 'path.id', message: 'is queued' }], { 'retry-after': '1' }));
    assert.deepEqual(sent, {
      status: 409,
      headers: { 'retry-after': '1' },
      body: { error: 'not_ready', message: 'not yet', details: [{ field: 'path.id', message: 'is queued' }] },
    });
  });

  test("Fastify's own codes name the error and the field", () => {
    const fastify = (code: string | undefined, statusCode: number, message = 'refused') =>
      Object.assign(new Error(message), { code, statusCode }) as unknown as FastifyError;
    const reply = (err: FastifyError) => {
      const { reply: r, sent } = stubReply();
      problemReply(r, err);
      return sent;
    };
    assert.deepEqual(reply(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'too big')).body, {
      error: 'payload_too_large',
      message: 'too big',
      details: [{ field: 'body', message: 'too big' }],
    });
    assert.equal(reply(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).body.details[0].field, 'header.content-type');
    assert.deepEqual(reply(fastify(undefined, 429)).body.error, 'too_many_requests');
    assert.deepEqual(reply(fastify(undefined, 418)).body.error, 'invalid_request');
    const json = Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 }) as unknown as FastifyError;
    assert.deepEqual(reply(json).body.details, [{ field: 'body', message: 'Unexpected token } in JSON' }]);
  });

  test('a server error says nothing of its cause, and is logged', () => {
    logged.length = 0;
    const sent = answer(Object.assign(new Error('password=hunter2'), { statusCode: 500 }));
    assert.deepEqual(sent, { status: 500, headers: {}, body: { error: 'internal', message: 'the server failed to answer this request', details: [] } });
    assert.equal(logged.length, 1);
  });

  test('an unknown route names the method and the path, without its query', () => {
    const { reply, sent } = stubReply();
    onNotFound(request, reply);
    assert.deepEqual(sent.body, { error: 'not_found', message: 'no route GET /v1/nothing', details: [] });
  });

  test('a path the service has, asked with another method: 405, and Allow names those it takes', () => {
    const { reply, sent } = stubReply();
    onNotFound({ ...request, method: 'PUT', url: '/v1/things?x=1' }, reply);
    assert.deepEqual(sent, {
      status: 405,
      headers: { allow: 'GET, HEAD' },
      body: {
        error: 'method_not_allowed',
        message: 'PUT is not allowed on /v1/things; it takes GET, HEAD',
        details: [{ field: 'method', message: 'is not one of GET, HEAD' }],
      },
    });
  });

  test("what Node's parser refuses is answered on the socket in the same shape, with the security headers", () => {
    const written: string[] = [];
    const socket = { destroyed: false, end: (text: string) => written.push(text) } as unknown as Duplex;
    clientError(Object.assign(new Error('slow'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket);
    clientError(Object.assign(new Error('big'), { code: 'HPE_HEADER_OVERFLOW' }), socket);
    clientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
    assert.equal(written.length, 2, 'a reset connection is not answered');
    const [head, body] = written[0].split('\r\n\r\n');
    const [status, ...lines] = head.split('\r\n');
    assert.equal(status, 'HTTP/1.1 408 Request Timeout');
    const headers = Object.fromEntries(lines.map((l) => l.split(': ')));
    assert.equal(headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(headers.connection, 'close');
    assert.equal(Number(headers['content-length']), Buffer.byteLength(body));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(headers[name], value, name);
    assert.match(headers['content-security-policy'], /default-src 'none'/);
    assert.deepEqual(JSON.parse(body), { error: 'request_timeout', message: 'the request did not arrive in time', details: [] });
    assert.match(written[1], /^HTTP\/1\.1 431 /);
    assert.deepEqual(JSON.parse(written[1].split('\r\n\r\n')[1]).details.map((d: { field: string }) => d.field), ['header']);
  });
});
