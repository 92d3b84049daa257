// The service behind Prism's validation proxy (@stoplight/prism-cli, `prism proxy --errors`), a
// validator nobody here wrote: a handful of calls, every format of a result, each answer checked
// by Prism against openapi.yaml (a violation turns it into Prism's 500, or a sl-violations header).
//
// Prism 5 validates a +json body against the first JSON representation the response declares,
// whatever the body's media type (stoplightio/prism#2713): a platform's format is sent to a
// Prism whose copy of the document lists that format's representation first, schemas unchanged.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import supertest from 'supertest';
import { parse, stringify } from 'yaml';
import { RESULT_FORMATS } from '../../src/http/schemas.ts';
import { mediaTypes, REPORTERS } from '../../src/report/index.ts';
import { contractChecked, PASSING, STARTER, startTestService, TINY, type TestService } from './support.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PRISM = join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
const CONTRACT = readFileSync(join(ROOT, 'openapi.yaml'), 'utf8');
const served = (format: (typeof RESULT_FORMATS)[number]) => mediaTypes(REPORTERS[format])[0];
/** The JSON formats of a schema, each read through a Prism of its own (see the top); the text ones through the contract's. */
const withSchema = (format: (typeof RESULT_FORMATS)[number]) => REPORTERS[format].schema !== undefined;
const PLATFORMS = RESULT_FORMATS.filter(withSchema);
const TEXT_FORMATS = RESULT_FORMATS.filter((f) => !withSchema(f));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

interface Prism {
  http: ReturnType<typeof supertest>;
  output: string[];
  process: ChildProcess;
}

/** `prism proxy DOCUMENT UPSTREAM --errors` on a free port, once it listens. */
async function startPrism(document: string, upstream: string): Promise<Prism> {
  const port = await freePort();
  const child = spawn(process.execPath, [PRISM, 'proxy', document, upstream, '--port', String(port), '--host', '127.0.0.1', '--errors'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start:\n${output.join('')}`)), 30_000);
    const read = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (/Prism is listening on/.test(output.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`Prism exited (${code}):\n${output.join('')}`)));
  });
  return { http: contractChecked(supertest(`http://127.0.0.1:${port}`)), output, process: child };
}

let t: TestService;
let scratch: string;
const prisms: Record<string, Prism> = {};
before(async () => {
  t = await startTestService();
  await t.service.app.listen({ host: '127.0.0.1', port: 0 });
  const upstream = `http://127.0.0.1:${(t.service.app.server.address() as { port: number }).port}`;
  scratch = mkdtempSync(join(tmpdir(), 'memgrade-prism-'));
  const documents: Record<string, string> = { contract: join(ROOT, 'openapi.yaml') };
  for (const format of PLATFORMS) {
    const media = served(format);
    const document = parse(CONTRACT);
    const content = document.paths['/v1/submissions/{id}'].get.responses['200'].content;
    assert.ok(content[media], `openapi.yaml declares ${media}`);
    document.paths['/v1/submissions/{id}'].get.responses['200'].content = { [media]: content[media], ...content };
    documents[format] = join(scratch, `${format}.yaml`);
    writeFileSync(documents[format], stringify(document));
  }
  await Promise.all(Object.entries(documents).map(async ([name, file]) => (prisms[name] = await startPrism(file, upstream))));
});
after(async () => {
  for (const prism of Object.values(prisms)) prism.process.kill();
  await t.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Prism let the answer through: no violation turned it into Prism's own error, none reported in a header. */
function passedPrism(res: supertest.Response, what: string): void {
  assert.doesNotMatch(String(res.headers['content-type']), /problem\+json/, `${what}: ${res.text}`);
  assert.equal(res.headers['sl-violations'], undefined, `${what}: ${String(res.headers['sl-violations'])}`);
}

test('through Prism: submitting, reading, every format, the report, lists, assignments, the gradebook, regrading, probes, deleting', async () => {
  const { http } = prisms.contract;
  const call = async (what: string, request: supertest.Test, status: number) => {
    const res = await request;
    passedPrism(res, what);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    return res;
  };
  const graded = (await call('POST (waits)', http.post('/v1/submissions').send({ assignment: TINY, code: STARTER, student: 'ada', wait: 30 }), 201)).body;
  await call('POST (queued)', http.post('/v1/submissions').send({ assignment: TINY, code: PASSING }), 202);
  const broken = { assignment: TINY, code: 'function process_data( {', wait: 30 };
  const syntax = (await call('POST (syntax error)', http.post('/v1/submissions').send(broken), 201)).body;
  assert.ok(TEXT_FORMATS.length > 0 && PLATFORMS.length > 0, 'text formats and JSON ones alike');
  for (const id of [graded.id, syntax.id]) {
    await call('GET', http.get(`/v1/submissions/${id}`), 200);
    for (const format of TEXT_FORMATS) {
      const res = await call(`?format=${format}`, http.get(`/v1/submissions/${id}?format=${format}`), 200);
      assert.equal(res.headers['content-type'].split(';')[0], served(format));
      await call(`Accept: ${served(format)}`, http.get(`/v1/submissions/${id}`).set('accept', served(format)), 200);
    }
    for (const format of PLATFORMS) {
      const prism = prisms[format];
      const media = served(format);
      const res = await call(`?format=${format}`, prism.http.get(`/v1/submissions/${id}?format=${format}`), 200);
      assert.equal(res.headers['content-type'].split(';')[0], media);
      await call(`Accept: ${media}`, prism.http.get(`/v1/submissions/${id}`).set('accept', media), 200);
    }
    await call('GET report', http.get(`/v1/submissions/${id}/report`), 200);
  }
  await call('GET missing', http.get('/v1/submissions/no-such-submission'), 404);
  await call('GET list', http.get('/v1/submissions?limit=2'), 200);
  await call('GET assignments', http.get('/v1/assignments'), 200);
  await call('GET assignment', http.get(`/v1/assignments/${TINY}`), 200);
  await call('GET gradebook', http.get(`/v1/assignments/${TINY}/gradebook`), 200);
  await call('GET gradebook (CSV)', http.get(`/v1/assignments/${TINY}/gradebook`).set('accept', 'text/csv'), 200);
  await call('POST regrade', http.post(`/v1/assignments/${TINY}/regrade`), 202);
  await call('GET /healthz', http.get('/healthz'), 200);
  await call('GET /readyz', http.get('/readyz'), 200);
  await call('DELETE', http.delete(`/v1/submissions/${syntax.id}`), 204);
  for (const [name, prism] of Object.entries(prisms)) {
    const said = prism.output.join('');
    assert.doesNotMatch(said, /violation|✖/i, `Prism (${name}) reported:\n${said}`);
  }
});
