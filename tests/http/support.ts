// Shared by the HTTP tests: the real service (real sandbox processes, a real SQLite file in a temp
// folder) with the test-only assignments, its log lines, and a checker of answers against the
// committed openapi.yaml.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import supertest from 'supertest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type Service } from '../../src/service.ts';
import { FIXTURE_ASSIGNMENTS_DIR } from '../support.ts';

export const TINY = 'tiny-sum';
const fixture = (file: string) => readFileSync(join(FIXTURE_ASSIGNMENTS_DIR, TINY, file), 'utf8');
export const STARTER = fixture('starter.js');
export const PASSING = fixture('solutions/fixed.js');
/**
 * Correct, but busy for about `ms` first (a loop of 100,000 steps a millisecond; the isolate's clock is
 * deterministic, so waiting for it would not take time): long enough to act on a grading while
 * it runs.
 */
export const slowPassing = (ms: number) =>
  [
    'function process_data() {',
    '  let x = 0;',
    `  for (let i = 0; i < ${ms} * 1e5; i++) x = (x + i) | 0;`,
    '  let data = load(SIZE + (x & 0));',
    '  data = double_it(data);',
    '  return double_it(data);',
    '}',
    '',
  ].join('\n');

export interface TestService {
  service: Service;
  http: ReturnType<typeof supertest>;
  dataDir: string;
  logs: string[];
  /** Closes the service; removes the data folder unless it is kept for a restart. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts the service with one sandbox process, the fixtures and a fresh (or the given) data folder. */
export async function startTestService(env: Record<string, string> = {}, dataDir?: string): Promise<TestService> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'memgrade-http-'));
  const config = loadConfig({
    MEMGRADE_DATA_DIR: dir,
    MEMGRADE_ASSIGNMENTS_DIRS: FIXTURE_ASSIGNMENTS_DIR,
    MEMGRADE_POOL_SIZE: '1',
    // Tests poll; the rate limit has a test of its own.
    MEMGRADE_RATE_LIMIT: '100000',
    ...env,
  });
  const logs: string[] = [];
  const service = await startService(config, createLogger('info', { write: (line: string) => void logs.push(line) }));
  return {
    service,
    http: contractChecked(supertest(service.app.server)),
    dataDir: dir,
    logs,
    async close(options = {}) {
      await service.close();
      if (!options.keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Polls a submission until it is done and returns its body. */
export async function finished(http: TestService['http'], id: string, headers: Record<string, string> = {}) {
  return until(`submission ${id} to finish`, async () => {
    const res = await http.get(`/v1/submissions/${id}`).set(headers).expect(200);
    return res.body.status === 'done' ? res.body : undefined;
  });
}

// The contract: openapi.yaml as committed, its schemas compiled once.
interface MediaObject {
  schema: Record<string, unknown>;
}
interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, MediaObject>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { schemas: Record<string, unknown> };
}
export const document: Document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const ajv = new Ajv2020({
  strict: false,
  allErrors: true,
  formats: { 'date-time': (text: string) => !Number.isNaN(Date.parse(text)) && /T.*Z$/.test(text) },
});
ajv.addSchema(document, 'openapi.json');
const validators = new Map<string, ValidateFunction>();
function validatorOf(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')));
    validators.set(key, validate);
  }
  return validate;
}

/** An answer, from supertest or read off a raw socket. */
export interface Answer {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  /** The body as text, when there is one. */
  text?: string;
  /** The body parsed (supertest parses JSON). */
  body?: unknown;
}

const isJson = (media: string) => media === 'application/json' || media.endsWith('+json');
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Fails unless the answer's status is documented for the operation, it carries the headers
 * documented for it, its media type is one the response declares, and its body matches that
 * media type's schema: JSON parsed and validated, text (XML, HTML, CSV, plain) as a string; a
 * response declared without content has no body. HEAD answers as GET does, without a body.
 */
export function assertContract(res: Answer, method: string, path: string): void {
  const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const operation = document.paths[path]?.[verb];
  assert.ok(operation, `openapi.yaml has no ${method} ${path}`);
  const what = `${method} ${path} ${res.status}`;
  const response = operation.responses[String(res.status)];
  assert.ok(response, `openapi.yaml does not document ${res.status} for ${method} ${path}`);
  for (const header of Object.keys(response.headers ?? {})) {
    assert.ok(res.headers?.[header.toLowerCase()] !== undefined, `${what} lacks the ${header} header`);
  }
  const text = res.text ?? (res.body === undefined ? '' : typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
  if (response.content === undefined || method.toLowerCase() === 'head') {
    assert.ok(text === '' || (typeof res.body === 'object' && res.body !== null && Object.keys(res.body).length === 0 && !res.text), `${what} has a body`);
    return;
  }
  const type = String(res.headers?.['content-type'] ?? '');
  const media = type.split(';')[0].trim().toLowerCase();
  const declared = response.content[media];
  const listed = Object.keys(response.content).join(', ');
  assert.ok(declared, `${what} is ${media || 'of no media type'}, which openapi.yaml does not declare (it declares ${listed})`);
  let value: unknown = text;
  if (isJson(media)) {
    assert.doesNotThrow(() => (value = JSON.parse(text)), `${what} is not JSON`);
  }
  const validate = validatorOf(`${path} ${verb} ${res.status} ${media}`, declared.schema);
  assert.ok(validate(value), `${what} (${media}) breaks the contract: ${ajv.errorsText(validate.errors)}`);
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TEMPLATES = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escaped).join('[^/]+')}$`),
  static: !template.includes('{'),
}));
/** The path of openapi.yaml a concrete path falls under, if any: /v1/submissions/abc is /v1/submissions/{id}. */
export function templateOf(path: string): string | undefined {
  const matches = TEMPLATES.filter((t) => t.pattern.test(path));
  return (matches.find((t) => t.static) ?? matches[0])?.template;
}

/**
 * Any answer of the service, checked against openapi.yaml: under a documented path and method,
 * as assertContract says; a method the path does not take is a 405 in the Error shape whose
 * Allow names the methods the document gives the path (and HEAD with GET); an undocumented path
 * (the documentation's own pages, an unknown route) answers in the Error shape when it refuses.
 */
export function assertAnswer(res: Answer, method: string, url: string): void {
  const path = url.split('?')[0];
  const template = templateOf(path);
  const what = `${method} ${path} ${res.status}`;
  const errorShape = () => {
    if (method.toUpperCase() === 'HEAD') return;
    const validate = validatorOf('Error', { $ref: '#/components/schemas/Error' });
    assert.match(String(res.headers?.['content-type'] ?? ''), /^application\/json/, `${what}: a refusal is JSON`);
    assert.ok(validate(JSON.parse(res.text ?? JSON.stringify(res.body))), `${what} is not an Error: ${ajv.errorsText(validate.errors)}`);
  };
  if (template === undefined) {
    if (res.status >= 400) errorShape();
    return;
  }
  const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  if (document.paths[template][verb] !== undefined) return assertContract(res, method, template);
  assert.equal(res.status, 405, `${what}: ${method} is not documented for ${template}, so the answer is 405`);
  errorShape();
  const documented = Object.keys(document.paths[template]).filter((m) => OPERATION_METHODS.includes(m)).map((m) => m.toUpperCase());
  if (documented.includes('GET')) documented.push('HEAD');
  const allow = String(res.headers?.allow ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '');
  assert.deepEqual(new Set(allow), new Set(documented), `${what}: Allow names what the path takes`);
}

type Agent = ReturnType<typeof supertest>;
const AGENT_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options']);

/**
 * supertest, with every answer checked against openapi.yaml (assertAnswer) before the test's own
 * expectations: no answer a test receives escapes the contract, whatever the test looks at.
 */
export function contractChecked(agent: Agent): Agent {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !AGENT_METHODS.has(property) || typeof value !== 'function') return value;
      const method = property === 'del' ? 'DELETE' : property.toUpperCase();
      return (url: string, ...rest: unknown[]) =>
        (value as (url: string, ...rest: unknown[]) => supertest.Test).call(target, url, ...rest).expect((res) => assertAnswer(res, method, url));
    },
  });
}
