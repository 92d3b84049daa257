// openapi.yaml is generated (npm run openapi); the committed file must be what the script makes
// now, or the contract the other tests check against would be stale.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPENAPI_FILE, openapiYaml } from '../../scripts/openapi.ts';
import { assertContract } from './support.ts';

test('the committed openapi.yaml equals what npm run openapi generates', async () => {
  assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), await openapiYaml(), 'openapi.yaml is stale: run npm run openapi');
});

test('the contract check rejects answers the file does not describe', () => {
  assert.throws(() => assertContract({ status: 200, body: { status: 'fine' } }, 'GET', '/healthz'), /breaks the contract/);
  assert.throws(() => assertContract({ status: 418, body: {} }, 'GET', '/healthz'), /does not document 418/);
  assert.throws(
    () => assertContract({ status: 400, body: { error: 'x', message: 'y' } }, 'POST', '/v1/submissions'),
    /details/,
  );
  const refusal = { error: 'unavailable', message: 'full', details: [] };
  assert.throws(() => assertContract({ status: 503, body: refusal, headers: {} }, 'POST', '/v1/submissions'), /Retry-After/);
});
