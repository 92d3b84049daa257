// `npm run bench:load`: the service under concurrent load. Starts the real service on loopback
// with its own temporary data folder, sends --count submissions of the assignment's reference
// solutions all at once (each asks to wait for its result, and polls if the wait runs out),
// then prints throughput, latency percentiles, the workers' peak RSS, and accepted against
// finished, which must be equal. Stops by itself after --budget seconds at the latest.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { mib } from '../src/grading/format.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/service.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '16' },
    assignment: { type: 'string', default: 'clinging-onto-memory' },
    budget: { type: 'string', default: '240' },
  },
});
const count = Number(values.count);
const budgetMs = Number(values.budget) * 1000;

const dataDir = mkdtempSync(join(tmpdir(), 'memgrade-load-'));
const config = loadConfig({
  ...process.env,
  MEMGRADE_DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  PORT: '0',
  MEMGRADE_TOKENS: '',
  MEMGRADE_QUEUE_LIMIT: String(Math.max(count, 1)),
  MEMGRADE_QUEUE_PER_CLIENT: String(Math.max(count, 1)),
  MEMGRADE_MAX_WAIT_S: String(values.budget),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const service = await startService(config, createLogger(config.logLevel));
const base = await service.app.listen({ host: config.host, port: config.port });

const assignment = service.assignments.get(values.assignment);
if (!assignment) throw new Error(`unknown assignment ${values.assignment}`);
const solutions = Object.entries(assignment.manifest.solutions).map(([name, s]) => ({
  name,
  expect: s.expect,
  code: readFileSync(join(assignment.dir, s.file), 'utf8'),
}));

interface Outcome {
  name: string;
  accepted: boolean;
  status: string | null;
  expected: string;
  latencyMs: number;
  /** The engine's own duration_ms: the grading without the wait in the queue. */
  gradeMs: number | null;
}

const deadline = Date.now() + budgetMs;

async function one(i: number): Promise<Outcome> {
  const solution = solutions[i % solutions.length];
  const started = performance.now();
  const res = await fetch(`${base}/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ assignment: assignment!.manifest.id, code: solution.code, student: `load-${i}`, wait: Number(values.budget) }),
  });
  const body = (await res.json()) as { id?: string; result?: { status: string; duration_ms: number } };
  const outcome = { name: solution.name, expected: solution.expect, accepted: res.status === 201 || res.status === 202 };
  if (res.status === 201) {
    return { ...outcome, status: body.result!.status, gradeMs: body.result!.duration_ms, latencyMs: performance.now() - started };
  }
  while (outcome.accepted && Date.now() < deadline) {
    const poll = (await (await fetch(`${base}/v1/submissions/${body.id}`)).json()) as {
      status: string;
      result: { status: string; duration_ms: number } | null;
    };
    if (poll.status === 'done') {
      return { ...outcome, status: poll.result!.status, gradeMs: poll.result!.duration_ms, latencyMs: performance.now() - started };
    }
    await sleep(200);
  }
  return { ...outcome, status: null, gradeMs: null, latencyMs: performance.now() - started };
}


const startedAt = performance.now();
const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
const elapsedS = (performance.now() - startedAt) / 1000;
const stats = service.pool.stats();
await service.close();
rmSync(dataDir, { recursive: true, force: true });

const done = outcomes.filter((o) => o.status !== null);
const latencies = done.map((o) => o.latencyMs).sort((a, b) => a - b);
const wrong = done.filter((o) => o.status !== o.expected);
const gradeTimes = done.map((o) => o.gradeMs as number).sort((a, b) => a - b);
const lines = [
  `memgrade load benchmark: ${count} concurrent submissions of ${assignment.manifest.id} (${solutions.map((s) => s.name).join(', ')})`,
  `machine: ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}; pool of ${stats.size} workers (${stats.started} started)`,
  `accepted ${outcomes.filter((o) => o.accepted).length}, finished ${done.length}${wrong.length ? `, ${wrong.length} with an unexpected verdict` : ', every verdict as the manifest expects'}`,
  `wall time ${elapsedS.toFixed(1)} s, throughput ${(done.length / elapsedS).toFixed(2)} gradings/s`,
  latencies.length
    ? `latency (submit to result): p50 ${(percentile(latencies, 50) / 1000).toFixed(2)} s, p95 ${(percentile(latencies, 95) / 1000).toFixed(2)} s, max ${(latencies[latencies.length - 1] / 1000).toFixed(2)} s`
    : 'latency: nothing finished',
  gradeTimes.length ? `grading alone (engine duration_ms): p50 ${(percentile(gradeTimes, 50) / 1000).toFixed(2)} s` : '',
  `workers' peak RSS: ${mib(stats.peakRssBytes)} (highest of any worker)`,
];
process.stdout.write(`${lines.filter((l) => l !== '').join('\n')}\n`);
process.exitCode = done.length === count && wrong.length === 0 ? 0 : 1;
