// openapi.yaml is generated (npm run openapi); the committed file must be what the script makes
// now, or the contract the other tests check against would be stale. The checker every HTTP
// test's answers go through (support.ts) must itself catch what the contract does not describe.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPENAPI_FILE, openapiYaml } from '../../scripts/openapi.ts';
import { assertAnswer, assertContract, templateOf } from './support.ts';

test('the committed openapi.yaml equals what npm run openapi generates', async () => {
  assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), await openapiYaml(), 'openapi.yaml is stale: run npm run openapi');
});

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

test('the contract check rejects answers the file does not describe', () => {
  assert.throws(() => assertContract({ status: 200, headers: JSON_TYPE, body: { status: 'fine' } }, 'GET', '/healthz'), /breaks the contract/);
  assert.throws(() => assertContract({ status: 418, headers: JSON_TYPE, body: {} }, 'GET', '/healthz'), /does not document 418/);
  assert.throws(
    () => assertContract({ status: 400, headers: JSON_TYPE, body: { error: 'x', message: 'y' } }, 'POST', '/v1/submissions'),
    /details/,
  );
  const refusal = { error: 'unavailable', message: 'full', details: [] };
  assert.throws(() => assertContract({ status: 503, body: refusal, headers: JSON_TYPE }, 'POST', '/v1/submissions'), /Retry-After/);
});

test('it checks the media type and the body of every representation, JSON or not', () => {
  const path = '/v1/submissions/{id}';
  // A platform's format under plain application/json, as memgrade once sent it: not the Submission.
  const gradescope = { score: 1, output: 'PASSED: ok', output_format: 'md', stdout_visibility: 'hidden', tests: [] };
  assert.throws(() => assertContract({ status: 200, headers: JSON_TYPE, text: JSON.stringify(gradescope) }, 'GET', path), /breaks the contract/);
  const vendor = { 'content-type': 'application/vnd.memgrade.gradescope+json; charset=utf-8' };
  assertContract({ status: 200, headers: vendor, text: JSON.stringify(gradescope) }, 'GET', path);
  assert.throws(() => assertContract({ status: 200, headers: vendor, text: JSON.stringify({ ...gradescope, score: -1 }) }, 'GET', path), /breaks/);
  const prairielearn = { 'content-type': 'application/vnd.memgrade.prairielearn+json' };
  assertContract({ status: 200, headers: prairielearn, text: '{"gradable": false, "message": "m", "output": "", "format_errors": ["m"]}' }, 'GET', path);
  assert.throws(() => assertContract({ status: 200, headers: prairielearn, text: '{"gradable": true}' }, 'GET', path), /breaks/);
  assert.throws(() => assertContract({ status: 200, headers: prairielearn, text: '{"gradable": tru' }, 'GET', path), /not JSON/);
  assertContract({ status: 200, headers: { 'content-type': 'application/xml' }, text: '<testsuites/>' }, 'GET', path);
  assert.throws(() => assertContract({ status: 200, headers: { 'content-type': 'application/yaml' }, text: 'a: 1' }, 'GET', path), /does not declare/);
  assert.throws(() => assertContract({ status: 200, headers: {}, text: 'x' }, 'GET', path), /of no media type/);
  assert.throws(() => assertContract({ status: 204, headers: {}, text: 'x' }, 'DELETE', path), /has a body/);
  assertContract({ status: 200, headers: { 'content-type': 'text/csv' }, text: 'student\r\n' }, 'GET', '/v1/assignments/{id}/gradebook');
});

test('any answer: its path found in the document, 405 with Allow for a method the path does not take, refusals in the Error shape', () => {
  assert.equal(templateOf('/v1/submissions/abc'), '/v1/submissions/{id}');
  assert.equal(templateOf('/v1/submissions'), '/v1/submissions');
  assert.equal(templateOf('/v1/assignments/x/gradebook'), '/v1/assignments/{id}/gradebook');
  assert.equal(templateOf('/nothing'), undefined);
  const refusal = (error: string) => JSON.stringify({ error, message: 'm', details: [] });
  const allowed = { ...JSON_TYPE, allow: 'GET, HEAD, DELETE' };
  assertAnswer({ status: 405, headers: allowed, text: refusal('method_not_allowed') }, 'PUT', '/v1/submissions/abc');
  assert.throws(() => assertAnswer({ status: 404, headers: JSON_TYPE, text: refusal('not_found') }, 'PUT', '/v1/submissions/abc'), /405/);
  assert.throws(() => assertAnswer({ status: 405, headers: JSON_TYPE, text: refusal('method_not_allowed') }, 'PATCH', '/v1/submissions/abc'), /Allow/);
  assert.throws(
    () => assertAnswer({ status: 405, headers: { ...JSON_TYPE, allow: 'GET, HEAD' }, text: refusal('method_not_allowed') }, 'PUT', '/v1/submissions/abc'),
    /Allow/,
  );
  assertAnswer({ status: 404, headers: JSON_TYPE, text: refusal('not_found') }, 'GET', '/v2/nothing');
  assert.throws(() => assertAnswer({ status: 404, headers: { 'content-type': 'text/html' }, text: '<p>no</p>' }, 'GET', '/v2/nothing'), /JSON/);
  assertAnswer({ status: 200, headers: { 'content-type': 'text/html' }, text: '<html></html>' }, 'GET', '/docs');
  assertAnswer({ status: 200, headers: JSON_TYPE, text: '' }, 'HEAD', '/healthz');
});
