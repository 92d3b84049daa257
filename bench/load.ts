// `npm run bench:load`: the service under concurrent load. Starts the real service on loopback,
// sends --count submissions of the assignment's reference solutions all at once (each asks to
// wait for its result, and polls if the wait runs out), then prints throughput, latency
// percentiles, and accepted against finished, which must be equal.
//
// Setups, each in this same run so that their figures compare:
//   sqlite          the embedded default: one process, its pool sized automatically
//   postgres:N      an API process that grades nothing (MEMGRADE_POOL_SIZE=0) and N `memgrade
//                   worker` processes of --worker-pool sandbox processes each, on PostgreSQL
// --setups sqlite,postgres:1,postgres:2,postgres:3 by default. PostgreSQL is --database, or a
// throwaway cluster started here (Debian's postgresql, as the tests use). With a postgres setup,
// --failover also measures how long a killed worker's job takes to be finished by another.
// Stops by itself after --budget seconds a setup at the latest.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startService } from '../src/service.ts';
import { testDatabase } from '../tests/support/postgres.ts';
import { spawnMemgrade, WORKER_ARGS, WORKER_READY, type Started } from '../tests/support/processes.ts';
import { percentile, table } from './stats.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '16' },
    assignment: { type: 'string', default: 'clinging-onto-memory' },
    budget: { type: 'string', default: '240' },
    setups: { type: 'string', default: 'sqlite,postgres:1,postgres:2,postgres:3' },
    'worker-pool': { type: 'string', default: '1' },
    database: { type: 'string' },
    failover: { type: 'string', default: '3' },
  },
});
const count = Number(values.count);
const budgetS = Number(values.budget);

interface Outcome {
  name: string;
  accepted: boolean;
  status: string | null;
  expected: string;
  latencyMs: number;
}

interface Measured {
  setup: string;
  graders: string;
  accepted: number;
  finished: number;
  wrong: number;
  throughput: number;
  p50: number;
  p95: number;
}

interface Solution {
  name: string;
  expect: string;
  code: string;
}

const solutionsOf = (dir: string, manifest: { solutions: Record<string, { file: string; expect: string }> }): Solution[] =>
  Object.entries(manifest.solutions).map(([name, s]) => ({ name, expect: s.expect, code: readFileSync(join(dir, s.file), 'utf8') }));

async function submitAndWait(base: string, assignment: string, solution: Solution, i: number, deadline: number): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ assignment, code: solution.code, student: `load-${i}`, wait: budgetS }),
  });
  const body = (await res.json()) as { id?: string; result?: { status: string } };
  const outcome = { name: solution.name, expected: solution.expect, accepted: res.status === 201 || res.status === 202 };
  if (res.status === 201) return { ...outcome, status: body.result!.status, latencyMs: performance.now() - started };
  while (outcome.accepted && Date.now() < deadline) {
    const poll = (await (await fetch(`${base}/v1/submissions/${body.id}`)).json()) as { status: string; result: { status: string } | null };
    if (poll.status === 'done') return { ...outcome, status: poll.result!.status, latencyMs: performance.now() - started };
    await sleep(200);
  }
  return { ...outcome, status: null, latencyMs: performance.now() - started };
}

interface Worker extends Started {
  env: Record<string, string>;
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const { match: _, ...started } = await spawnMemgrade(WORKER_ARGS, { LOG_LEVEL: 'info', ...env }, WORKER_READY);
  return { ...started, env };
}

/** One setup: starts it, loads it, stops it. */
async function measure(setup: string): Promise<Measured & { failoverMs: number[] }> {
  const postgres = /^postgres:(\d+)$/.exec(setup);
  if (setup !== 'sqlite' && !postgres) throw new Error(`unknown setup "${setup}"`);
  const dataDir = mkdtempSync(join(tmpdir(), 'memgrade-load-'));
  const db = postgres ? await testDatabase() : null;
  const shared = {
    MEMGRADE_QUEUE_LIMIT: String(Math.max(count, 1) + 10),
    MEMGRADE_QUEUE_PER_CLIENT: String(Math.max(count, 1) + 10),
    ...(db ? { MEMGRADE_DATABASE_URL: db.url } : {}),
  };
  const config = loadConfig({
    ...process.env,
    ...shared,
    MEMGRADE_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    MEMGRADE_TOKENS: '',
    MEMGRADE_POOL_SIZE: postgres ? '0' : 'auto',
    MEMGRADE_MAX_WAIT_S: String(budgetS),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  const service = await startService(config, createLogger(config.logLevel));
  const base = await service.app.listen({ host: config.host, port: config.port });
  // Each worker has a data folder of its own, as on separate machines (and removed with the setup).
  const workerEnv = (i: number) => ({ ...shared, MEMGRADE_DATA_DIR: join(dataDir, `worker-${i}`), MEMGRADE_POOL_SIZE: values['worker-pool'] });
  const workers = await Promise.all(Array.from({ length: postgres ? Number(postgres[1]) : 0 }, (_, i) => startWorker(workerEnv(i))));
  const assignment = service.assignments.get(values.assignment);
  if (!assignment) throw new Error(`unknown assignment ${values.assignment}`);
  const solutions = solutionsOf(assignment.dir, assignment.manifest);

  const deadline = Date.now() + budgetS * 1000;
  const startedAt = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) => submitAndWait(base, assignment.manifest.id, solutions[i % solutions.length], i, deadline)),
  );
  const elapsedS = (performance.now() - startedAt) / 1000;

  const failoverMs: number[] = [];
  if (postgres && workers.length >= 2) {
    for (let i = 0; i < Number(values.failover); i++) failoverMs.push(await failover(base, assignment.manifest.id, solutions[0], workers, deadline));
  }
  const graders = postgres ? `${workers.length} x ${values['worker-pool']}` : `1 x ${service.pool.size}`;
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await service.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });

  const done = outcomes.filter((o) => o.status !== null);
  const latencies = done.map((o) => o.latencyMs).sort((a, b) => a - b);
  return {
    setup,
    graders,
    accepted: outcomes.filter((o) => o.accepted).length,
    finished: done.length,
    wrong: done.filter((o) => o.status !== o.expected).length,
    throughput: done.length / elapsedS,
    p50: latencies.length ? percentile(latencies, 50) : NaN,
    p95: latencies.length ? percentile(latencies, 95) : NaN,
    failoverMs,
  };
}

/**
 * Submits one grading, kills (SIGKILL) the worker that starts it, and answers the time from the
 * kill to the result stored by another worker. A fresh worker takes the dead one's place.
 */
async function failover(base: string, assignment: string, solution: { code: string }, workers: Worker[], deadline: number): Promise<number> {
  const res = await fetch(`${base}/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ assignment, code: solution.code, student: 'failover' }),
  });
  const { id } = (await res.json()) as { id: string };
  const started = `"submission_id":"${id}"`;
  let victim: Worker | undefined;
  while (!(victim = workers.find((w) => w.logs.some((l) => l.includes(started) && l.includes('"msg":"grading started"'))))) {
    if (Date.now() > deadline) throw new Error('no worker started the failover grading');
    await sleep(20);
  }
  victim.child.kill('SIGKILL');
  const killedAt = performance.now();
  await victim.exited;
  for (;;) {
    const poll = (await (await fetch(`${base}/v1/submissions/${id}`)).json()) as { status: string };
    if (poll.status === 'done') break;
    if (Date.now() > deadline) throw new Error('the killed worker\'s job was not finished elsewhere');
    await sleep(100);
  }
  const tookMs = performance.now() - killedAt;
  workers[workers.indexOf(victim)] = await startWorker(victim.env);
  return tookMs;
}

// The throwaway cluster's helper takes a server from this variable when one is given.
if (values.database !== undefined) process.env.MEMGRADE_TEST_DATABASE_URL = values.database;
const setups = values.setups.split(',').filter((s) => s !== '');
const results: Awaited<ReturnType<typeof measure>>[] = [];
for (const setup of setups) results.push(await measure(setup));

const base = results[0];
process.stdout.write(
  [
    `memgrade load benchmark: ${count} concurrent submissions of ${values.assignment}, each setup in this run`,
    `machine: ${availableParallelism()} CPUs, load average ${loadavg()[0].toFixed(2)}`,
    '',
    table(
      ['setup', 'graders (processes x pool)', 'accepted', 'finished', 'gradings/s', `vs ${base.setup}`, 'p50 s', 'p95 s'],
      results.map((r) => [
        r.setup,
        r.graders,
        String(r.accepted),
        String(r.finished) + (r.wrong ? ` (${r.wrong} wrong)` : ''),
        r.throughput.toFixed(2),
        `${(r.throughput / base.throughput).toFixed(2)}x`,
        (r.p50 / 1000).toFixed(2),
        (r.p95 / 1000).toFixed(2),
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    ...results
      .filter((r) => r.failoverMs.length > 0)
      .map((r) => {
        const seconds = r.failoverMs.map((m) => (m / 1000).toFixed(1)).join(', ');
        return `${r.setup}: a killed worker's job finished elsewhere after ${seconds} s (kill to stored result)`;
      }),
    '',
  ].join('\n'),
);
process.exitCode = results.every((r) => r.finished === count && r.accepted === count && r.wrong === 0) ? 0 : 1;
