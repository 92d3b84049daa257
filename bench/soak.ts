// `npm run bench:soak [-- --minutes 20]`: the service under hours-like traffic, compressed. Starts
// `npm start`'s process on loopback (embedded defaults, open, a fresh data folder), measures its
// capacity on the traffic mix, then sends that mix at --load (0.7) of the capacity for --minutes:
// gradings of every declared solution of the assignment and of hostile submissions (memory bombs,
// busy loops and never-settling awaits that run into the deadline, huge errors, syntax errors),
// and between them reads, lists, report pages and gradebooks. It prints, each minute, the
// service's RSS, the sandbox processes' RSS, grading and read latencies, submissions accepted and
// finished, and the data folder's bytes; at the end, leftover processes, accepted against
// finished, and the RSS growth over the last half of the run (the last 10 minutes at most).
// Exits 1 if a process is left over, a submission is lost or a verdict is not the expected one.
import { readFileSync, readdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { spawnMemgrade } from '../tests/support/processes.ts';
import { percentile, table } from './stats.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' },
    load: { type: 'string', default: '0.7' },
    assignment: { type: 'string', default: 'clinging-onto-memory' },
    pool: { type: 'string', default: 'auto' },
  },
});
const minutes = Number(values.minutes);
const load = Number(values.load);
if (!(minutes > 0) || !(load > 0 && load <= 1)) throw new Error('--minutes must be positive and --load in (0, 1]');

interface Case {
  name: string;
  code: string;
  /** `status/reason` the grading must end with. */
  expect: string;
  /** How many of each cycle of the mix. */
  weight: number;
}

const ROOT = new URL('..', import.meta.url).pathname;
const assignmentDir = join(ROOT, 'sandbox/assignments', values.assignment);
const manifest = JSON.parse(readFileSync(join(assignmentDir, 'manifest.json'), 'utf8')) as {
  entry_point: string;
  solutions: Record<string, { file: string; expect: string }>;
};
const entry = manifest.entry_point;
const CASES: Case[] = [
  ...Object.entries(manifest.solutions).map(([name, s]) => ({
    name,
    code: readFileSync(join(assignmentDir, s.file), 'utf8'),
    expect: s.expect,
    weight: 2,
  })),
  { name: 'memory bomb', code: `function ${entry}() { return Array(4e8).fill(0); }`, expect: 'error/memory_cap', weight: 1 },
  { name: 'heap bomb', code: `function ${entry}() { const a = []; for (;;) a.push(new Array(1e5).fill(0.5)); }`, expect: 'error/memory_cap', weight: 1 },
  { name: 'huge error', code: `function ${entry}() { throw new Error('x'.repeat(5e6)); }`, expect: 'error/runtime_error', weight: 1 },
  { name: 'syntax error', code: `function ${entry}( {`, expect: 'error/syntax_error', weight: 1 },
  { name: 'busy loop', code: `function ${entry}() { for (;;) {} }`, expect: 'error/timeout', weight: 1 },
  { name: 'never settles', code: `async function ${entry}() { await new Promise(() => {}); }`, expect: 'error/timeout', weight: 1 },
];
const MIX = CASES.flatMap((c) => Array.from({ length: c.weight }, () => c));

/** Every process below `root`, with its start time (a pid can be reused). */
function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  const started = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(name);
      const ppid = Number(fields[1]);
      started.set(pid, fields[19]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // gone while listing
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      found.set(c, started.get(c)!);
      walk(c);
    }
  };
  walk(root);
  return found;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function alive(pid: number, startTime: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === startTime;
  } catch {
    return false;
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

const dataDir = mkdtempSync(join(tmpdir(), 'memgrade-soak-'));
const api = await spawnMemgrade(
  ['src/main.ts'],
  {
    HOST: '127.0.0.1',
    PORT: '0',
    MEMGRADE_DATA_DIR: dataDir,
    MEMGRADE_TOKENS: '',
    MEMGRADE_POOL_SIZE: values.pool,
    MEMGRADE_RATE_LIMIT: '1000000',
    MEMGRADE_QUEUE_LIMIT: '1000',
    MEMGRADE_QUEUE_PER_CLIENT: '1000',
    // The ready line is logged at info; the lines are dropped every minute.
    LOG_LEVEL: 'info',
  },
  /Server listening at (http:\/\/127\.0\.0\.1:\d+)/,
);
const base = api.match[1];
const servicePid = api.child.pid!;

interface Tally {
  accepted: number;
  finished: number;
  refused: number;
  wrong: string[];
  gradingMs: number[];
  readMs: number[];
}
const tally = (): Tally => ({ accepted: 0, finished: 0, refused: 0, wrong: [], gradingMs: [], readMs: [] });
const total = tally();
let minute = tally();
const done: string[] = [];
const seen = new Map<number, string>();

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** Submits one case and follows it to its verdict; counts it in the tallies. */
async function grade(c: Case, i: number, deadline: number): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ assignment: values.assignment, code: c.code, student: `soak-${i % 40}`, wait: 60 }),
  });
  const body = await json(res);
  if (res.status !== 201 && res.status !== 202) {
    total.refused++;
    minute.refused++;
    return;
  }
  total.accepted++;
  minute.accepted++;
  const id = body.id as string;
  let result = body.result as { status: string; reason: string | null } | undefined;
  while (result === undefined && performance.now() - started < deadline) {
    await sleep(250);
    const poll = await json(await fetch(`${base}/v1/submissions/${id}`));
    if (poll.status === 'done') result = poll.result as { status: string; reason: string | null };
  }
  if (result === undefined) return;
  total.finished++;
  minute.finished++;
  const got = c.expect.includes('/') ? `${result.status}/${result.reason}` : result.status;
  if (got !== c.expect) total.wrong.push(`${c.name}: ${got}, expected ${c.expect}`);
  minute.gradingMs.push(performance.now() - started);
  done.push(id);
}

/** One read of the kinds a class makes between gradings. */
async function read(n: number): Promise<void> {
  const id = done.length ? done[n % done.length] : null;
  const paths = [
    id && `/v1/submissions/${id}`,
    id && `/v1/submissions/${id}/report`,
    id && `/v1/submissions/${id}?format=text`,
    `/v1/submissions?limit=20`,
    `/v1/submissions?assignment=${values.assignment}&student=soak-${n % 40}`,
    `/v1/assignments/${values.assignment}/gradebook`,
    `/v1/assignments/${values.assignment}`,
    '/readyz',
  ].filter((p): p is string => typeof p === 'string');
  const path = paths[n % paths.length];
  const started = performance.now();
  const res = await fetch(base + path, path.endsWith('gradebook') && n % 2 ? { headers: { accept: 'text/csv' } } : {});
  await res.arrayBuffer();
  minute.readMs.push(performance.now() - started);
}

function sample(): { service: number; sandboxes: number; count: number } {
  const below = descendants(servicePid);
  for (const [pid, start] of below) seen.set(pid, start);
  let sandboxes = 0;
  for (const pid of below.keys()) sandboxes += rssBytes(pid);
  return { service: rssBytes(servicePid), sandboxes, count: below.size };
}

const MiB = (n: number) => (n / 2 ** 20).toFixed(0);
const s = (ms: number[]) => (ms.length ? (percentile([...ms].sort((a, b) => a - b), 50) / 1000).toFixed(2) : '-');
const s95 = (ms: number[]) => (ms.length ? (percentile([...ms].sort((a, b) => a - b), 95) / 1000).toFixed(2) : '-');

// Capacity: two cycles of the mix at once, as many as the queue takes, graded back to back.
const calibrationStart = performance.now();
await Promise.all([...MIX, ...MIX].map((c, i) => grade(c, i, 600_000)));
const capacity = (2 * MIX.length) / ((performance.now() - calibrationStart) / 1000);
const rate = capacity * load;
process.stdout.write(
  `memgrade soak: ${values.assignment}, ${MIX.length} submissions a cycle (${CASES.map((c) => `${c.weight} ${c.name}`).join(', ')})\n` +
    `machine: ${availableParallelism()} CPUs; capacity on this mix ${capacity.toFixed(2)} gradings/s; ` +
    `sending ${rate.toFixed(2)}/s (${Math.round(load * 100)}%) for ${minutes} min, and 5 reads a second\n\n`,
);
const calibration = { ...total };
Object.assign(total, tally());
minute = tally();

const rows: string[][] = [];
const rssByMinute: { service: number; sandboxes: number }[] = [];
const inflight: Promise<void>[] = [];
const endAt = performance.now() + minutes * 60_000;
let n = 0;
let reads = 0;
let nextMinute = performance.now() + 60_000;
let nextReadAt = performance.now();
let nextGradeAt = performance.now();
while (rows.length < minutes) {
  const now = performance.now();
  if (now >= nextGradeAt && now < endAt) {
    inflight.push(grade(MIX[n % MIX.length], n, 300_000));
    n++;
    nextGradeAt += 1000 / rate;
  }
  if (now >= nextReadAt && now < endAt) {
    inflight.push(read(reads++));
    nextReadAt += 200;
  }
  if (now >= nextMinute) {
    const m = sample();
    rssByMinute.push(m);
    rows.push([
      String(rows.length + 1),
      MiB(m.service),
      `${MiB(m.sandboxes)} (${m.count})`,
      s(minute.gradingMs),
      s95(minute.gradingMs),
      s(minute.readMs),
      s95(minute.readMs),
      String(minute.accepted),
      String(minute.finished),
      folderBytes(dataDir).toLocaleString('en-US'),
    ]);
    process.stdout.write(`minute ${rows.length}: ${rows.at(-1)!.join('  ')}\n`);
    minute = tally();
    api.logs.length = 0;
    nextMinute += 60_000;
  }
  sample();
  const wakeAt = performance.now() < endAt ? Math.min(nextGradeAt, nextReadAt, nextMinute) : nextMinute;
  await sleep(Math.max(1, wakeAt - performance.now()));
}
await Promise.all(inflight);
const last = sample();

api.child.kill('SIGTERM');
const code = await api.exited;
await sleep(5_500);
const leftover = [...seen].filter(([pid, start]) => alive(pid, start)).map(([pid]) => pid);
rmSync(dataDir, { recursive: true, force: true });

const window = Math.min(10, Math.floor(rssByMinute.length / 2));
const from = rssByMinute.at(-1 - window) ?? last;
const to = rssByMinute.at(-1) ?? last;
process.stdout.write(
  [
    '',
    table(
      ['minute', 'service MiB', 'sandboxes MiB (n)', 'grading p50 s', 'p95 s', 'read p50 s', 'p95 s', 'accepted', 'finished', 'data bytes'],
      rows,
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `calibration: accepted ${calibration.accepted}, finished ${calibration.finished}`,
    `soak: accepted ${total.accepted}, finished ${total.finished}, refused ${total.refused}, wrong verdicts ${total.wrong.length}`,
    ...total.wrong.slice(0, 10).map((w) => `  ${w}`),
    `RSS over the last ${window} min: service ${MiB(from.service)} -> ${MiB(to.service)} MiB, ` +
      `sandboxes ${MiB(from.sandboxes)} -> ${MiB(to.sandboxes)} MiB`,
    `service exit code ${code}; processes left 5 s after it stopped: ${leftover.length ? leftover.join(', ') : 'none'}`,
    '',
  ].join('\n'),
);
process.exitCode = leftover.length === 0 && total.accepted === total.finished && total.wrong.length === 0 ? 0 : 1;
