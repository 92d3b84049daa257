// The errors a process raises carry a code of the one table, and their class name, so that
// callers (the CLI, the routes, a supervisor reading logs) tell them apart without their message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
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
