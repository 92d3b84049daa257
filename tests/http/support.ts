// Shared by the HTTP tests: the real service (real worker processes, a real SQLite file in a temp
// folder) with the test-only assignments, its log lines, and a checker of answers against the
// committed openapi.yaml.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
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

/** Starts the service with one worker, the fixtures and a fresh (or the given) data folder. */
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
    http: supertest(service.app.server),
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
const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
const ajv = new Ajv2020({
  strict: false,
  allErrors: true,
  formats: { 'date-time': (text: string) => !Number.isNaN(Date.parse(text)) && /T.*Z$/.test(text) },
});
ajv.addSchema(document, 'openapi.json');

/**
 * Fails unless the answer's status is documented for the route, its body matches the schema, and
 * it carries the headers documented for it.
 */
export function assertContract(
  res: { status: number; body: unknown; headers?: Record<string, string> },
  method: string,
  path: string,
): void {
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `openapi.yaml has no ${method} ${path}`);
  const response = operation.responses[String(res.status)];
  assert.ok(response, `openapi.yaml does not document ${res.status} for ${method} ${path}`);
  if (response.content === undefined) {
    assert.ok(res.body === undefined || res.body === '' || Object.keys(res.body as object).length === 0, `${method} ${path} ${res.status} has a body`);
    return;
  }
  for (const header of Object.keys(response.headers ?? {})) {
    assert.ok(res.headers?.[header.toLowerCase()] !== undefined, `${method} ${path} ${res.status} lacks the ${header} header`);
  }
  const schema = JSON.parse(
    JSON.stringify(response.content['application/json'].schema).replaceAll('"#/components/', '"openapi.json#/components/'),
  );
  const validate = ajv.compile(schema);
  assert.ok(validate(res.body), `${method} ${path} ${res.status} breaks the contract: ${ajv.errorsText(validate.errors)}`);
}
