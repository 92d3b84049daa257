// The errors a process raises carry a code of the one table, and their class name, so that
// callers (the CLI, the routes, a supervisor reading logs) tell them apart without their message;
// the API's refusals, as openapi.yaml documents them, are that table's too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  API_ERRORS,
  AssignmentError,
  ConfigError,
  ERROR_CODES,
  InvalidCursorError,
  MemgradeError,
  PoolClosedError,
  TokenNameTakenError,
  UsageError,
} from '../../src/errors.ts';
import { ConfigError as FromConfig } from '../../src/config.ts';
import { errorResponses } from '../../src/http/responses.ts';

test('each error class has its code and its name', () => {
  const made = [
    new ConfigError('x'),
    new AssignmentError('x'),
    new UsageError('x'),
    new InvalidCursorError('x'),
    new TokenNameTakenError('x'),
    new PoolClosedError('x'),
  ];
  assert.deepEqual(
    made.map((e) => [e.name, e.code]),
    [
      ['ConfigError', 'MEMGRADE_CONFIG'],
      ['AssignmentError', 'MEMGRADE_ASSIGNMENT'],
      ['UsageError', 'MEMGRADE_USAGE'],
      ['InvalidCursorError', 'MEMGRADE_INVALID_CURSOR'],
      ['TokenNameTakenError', 'MEMGRADE_TOKEN_NAME_TAKEN'],
      ['PoolClosedError', 'MEMGRADE_POOL_CLOSED'],
    ],
  );
  assert.deepEqual(new Set(made.map((e) => e.code)), new Set(Object.keys(ERROR_CODES)), 'every code of the table has its class');
  for (const e of made) assert.ok(e instanceof MemgradeError && e instanceof Error);
  assert.equal(FromConfig, ConfigError, 'the modules that raise them re-export the one class');
});

test("a route's documented refusals are the table's: each status described by its codes, Retry-After where one carries it", () => {
  const responses = errorResponses(400, 409, 429, 503) as Record<number, { description: string; headers?: object }>;
  for (const [status, codes] of [[400, ['invalid_request', 'invalid_json']], [409, ['conflict', 'not_ready']]] as const) {
    for (const code of codes) assert.ok(responses[status].description.includes(`\`${code}\`: ${API_ERRORS[code].when}`), `${status} names ${code}`);
  }
  assert.deepEqual(
    Object.entries(responses).filter(([, r]) => r.headers !== undefined).map(([status]) => Number(status)),
    [409, 429, 503],
  );
  assert.throws(() => errorResponses(418), /no error code answers 418/);
});
