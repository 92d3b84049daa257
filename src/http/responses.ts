// The documented error answers of a route, all of one shape.
import { Type } from '@sinclair/typebox';
import { ApiError } from './schemas.ts';

const MEANING: Record<number, string> = {
  400: 'invalid request: malformed JSON or URL, a field of the wrong type, an unknown field, a body where the route takes none',
  401: 'a bearer token is required (when any token exists, or off loopback) or is not valid',
  403: 'the call needs an instructor token, or sets what only an instructor may (callback_url); or a page of another site called an open service',
  404: 'no such resource',
  408: 'the request did not arrive within 10 s (headers within 5 s)',
  409: 'the submission is not graded yet; see Retry-After',
  413: 'the code (or the whole body) is larger than the assignment accepts',
  414: 'a path parameter longer than 100 characters',
  415: 'the body is not application/json',
  429: 'too many requests or too many queued submissions for this client; see Retry-After',
  431: 'the request line and headers are larger than 16 KB together',
  500: 'the server failed to answer (logged with the request id)',
  503: 'the grading queue is full or the service is shutting down; see Retry-After',
};

const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'seconds to wait before trying again' } };

export function errorResponses(...codes: number[]) {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      Type.Ref(ApiError, { description: MEANING[code], ...(code === 409 || code === 429 || code === 503 ? { headers: RETRY_AFTER } : {}) }),
    ]),
  );
}
