// Runs one submission in a fresh isolate of THIS process. Only the sandbox child process calls
// it: hostile code can crash whatever process hosts the isolate (isolated-vm's README).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type ivmModule from 'isolated-vm';
import { SUBMISSION_FILE } from './constants.ts';
import { readHolders, type CallFrame, type PausedState, type RunScripts } from './holders.ts';
import { InspectorClient } from './inspector.ts';
import { readLiveness } from './liveness.ts';
import type { HolderRecord, IsolateReport, PeakHolders, PeakSoFar, RunOutcome, SandboxJob, ThrownError } from './types.ts';

// Set before the first isolate exists: `gc()` for exact samples.
v8.setFlagsFromString('--expose-gc');
// Freed ArrayBuffers leave the external-memory count when the sweeper finishes; a concurrent
// sweeper may still be running when the sample is read, and the figure would depend on timing.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
// Optimised code lives on the JS heap. Compiled in the background, it lands at a different
// moment in each run and the heap part of a sample would move by hundreds of KB; compiled on
// the isolate's own thread, it lands at the same point every time. The price: a plain element
// loop of a submission's own runs 2 to 3 times slower than in plain Node (the kernels of the
// helpers, which work on words, much less); without these two flags the heap part of the
// original's peak moved by 227 KB over twelve gradings (measured here).
v8.setFlagsFromString('--no-concurrent-recompilation');
v8.setFlagsFromString('--no-concurrent-osr');
v8.setFlagsFromString('--no-concurrent-sparkplug');
const require = createRequire(import.meta.url);
const ivm: typeof ivmModule = require('isolated-vm');

const PRELUDE_FILE = 'memgrade:harness';
const PRELUDE_SOURCE = readFileSync(new URL('../../sandbox/runtime/prelude.js', import.meta.url), 'utf8');

const MODULE_SYNTAX = /Cannot use import statement outside a module|Unexpected token 'export'/;
const CPU_POLL_MS = 25;
/** How long a run gets to end after the inspector asked it to terminate. */
const TERMINATE_GRACE_MS = 1000;
/** How long the inspector gets to answer its last messages before its session is disposed. */
const DRAIN_TIMEOUT_MS = 1000;

/**
 * Set when a run left isolated-vm in a state this process should not run another isolate in
 * (an isolate it disposed itself, a session it could not close): the child then asks its parent
 * to replace it once the result is out.
 */
let recycleAfterRun = false;

/** Whether this process should be replaced; reading it starts the next run afresh. */
export function takeRecycle(): boolean {
  const value = recycleAfterRun;
  recycleAfterRun = false;
  return value;
}

/** Splits isolated-vm's "message [file:line:column]" into its parts. */
function parseCompileError(error: unknown, file: string) {
  const raw = error instanceof Error ? error.message : String(error);
  const match = /^(.*) \[([^\]]*):(\d+):(\d+)\]$/s.exec(raw);
  if (match && match[2] === file) {
    return { message: match[1], line: Number(match[3]), column: Number(match[4]) };
  }
  return { message: raw, line: null, column: null };
}

/**
 * Keeps the error line and the frames of the submission and the assignment's helpers; drops the
 * harness's own frames, which say nothing to a student.
 */
function trimStack(stack: string | null, keepFiles: string[]): string | null {
  if (stack === null) return null;
  const lines = stack.split('\n');
  const head = lines.filter((line) => !line.startsWith('    at '));
  const frames = lines.filter((line) => line.startsWith('    at ') && keepFiles.some((f) => line.includes(`${f}:`)));
  return [...head, ...frames].join('\n');
}

export interface RunHooks {
  /** Called whenever the exact live figure reaches a new high, so a parent can keep it. */
  onPeak?: (peak: PeakSoFar) => void;
}

/** The helpers run inside a function of their own, which returns what they export. The two
 * lines the wrapper adds on top are taken off the line numbers. */
const HELPERS_LINE_OFFSET = -2;
function helperWrapper(job: SandboxJob): string {
  const exported = [...job.helpers.globals, ...(job.check ? [job.check] : [])];
  return `(function () {\n'use strict';\n${job.helpers.source}\nreturn { ${exported.join(', ')} };\n})`;
}

/** A run's outcome before the peak is explained. */
type Measured = Exclude<RunOutcome, { kind: 'report' }> | { kind: 'report'; report: IsolateReport };

/** Where a replay pauses, and what the host does while it is paused there. */
interface Inspect {
  pauseAt: { seq: number; external: number };
  onPaused: (client: InspectorClient, frames: CallFrame[]) => Promise<void>;
}

/** Grades the job, then replays it to find who holds each allocation alive at the peak. */
export async function runInIsolate(job: SandboxJob, hooks: RunHooks = {}): Promise<RunOutcome> {
  const measured = await runOnce(job, hooks, null);
  if (measured.kind !== 'report') return measured;
  return { ...measured, holders: await explainPeak(job, measured.report) };
}

/**
 * Runs the job again with the inspector on, pauses at the sample that was the peak (the run is
 * deterministic, so the same allocation is the same sample) and reads every frame's scopes.
 * Its own time budget; the grade stands whatever happens here.
 */
async function explainPeak(job: SandboxJob, report: IsolateReport): Promise<PeakHolders> {
  const budget = job.limits.explainMs;
  if (budget <= 0) return { status: 'missing', reason: 'the explanation is turned off for this assignment' };
  if (report.live_at_peak.length === 0) return { status: 'complete', held: [], frames: [] };
  let paused: PausedState | null = null;
  let failure: string | null = null;
  // The inspector shows no file names for isolated-vm's scripts: they are told apart by source.
  const scripts: RunScripts = {
    harness: PRELUDE_SOURCE,
    files: [
      { file: job.helpers.filename, source: helperWrapper(job), lineOffset: HELPERS_LINE_OFFSET },
      { file: SUBMISSION_FILE, source: job.code, lineOffset: 0 },
    ],
  };
  const replay = await runOnce({ ...job, limits: { ...job.limits, timeoutMs: budget } }, {}, {
    pauseAt: { seq: report.peak_seq, external: report.peak_external_bytes },
    onPaused: async (client, frames) => {
      try {
        paused = await readHolders(client, frames, scripts);
      } catch (error) {
        failure = `the paused run could not be read: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  });
  const state = paused as PausedState | null;
  if (state === null) {
    const reason =
      failure ?? (replay.kind === 'timeout' ? `the replay ran past its ${budget} ms budget` : 'the replay did not reach the same peak');
    return { status: 'missing', reason };
  }
  // The allocation that made the peak has not reached any variable yet: it is being built.
  // Anything else no binding holds is held by a temporary: V8's interpreter keeps the call
  // arguments of nested expressions in frame registers, which the inspector does not show.
  const caller = state.frames.find((f) => f.file === SUBMISSION_FILE) ?? state.frames[0];
  const innermost = state.frames[0];
  const unnamed = (a: IsolateReport['live_at_peak'][number]): HolderRecord =>
    a.born_seq === report.peak_seq
      ? { name: `being built by ${a.step}`, kind: 'new', function: innermost?.function ?? a.step, file: innermost?.file ?? null, line: innermost?.line ?? null }
      : { name: `a temporary of ${caller?.function ?? job.entryPoint}`, kind: 'temporary', function: caller?.function ?? job.entryPoint, file: caller?.file ?? null, line: caller?.line ?? null };
  return {
    status: 'complete',
    held: report.live_at_peak.map((a) => ({ id: a.id, holders: state.held.get(a.id) ?? [unnamed(a)] })),
    frames: state.frames,
  };
}

async function runOnce(job: SandboxJob, hooks: RunHooks, inspect: Inspect | null): Promise<Measured> {
  // Every run has the inspector on: the harness learns through it which buffers a GC freed.
  const isolate = new ivm.Isolate({ memoryLimit: job.limits.memoryCapMb, inspector: true });
  let baseline: { external: number; heap: number } | null = null;
  let peak: PeakSoFar | null = null;
  let deadlineHit: 'wall' | 'cpu' | null = null;
  const startedAt = Date.now();
  const remaining = () => Math.max(1, job.limits.timeoutMs - (Date.now() - startedAt));

  const stats = new ivm.Callback(() => {
    const s = isolate.getHeapStatisticsSync();
    const external = s.externally_allocated_size;
    const heap = s.used_heap_size;
    if (baseline === null) {
      baseline = { external, heap };
    } else {
      const total = external - baseline.external + (heap - baseline.heap);
      if (peak === null || total > peak.peak_bytes) {
        peak = { peak_bytes: total, peak_external_bytes: external - baseline.external, peak_heap_bytes: heap - baseline.heap };
        hooks.onPeak?.(peak);
      }
    }
    return [external, heap];
  });

  let client: InspectorClient | null = null;
  // isolated-vm's `timeout` covers synchronous execution only, and `cpuTime` is a counter: this
  // process keeps its own wall-clock and CPU deadlines. The inspector ends the run: disposing an
  // isolate that has a session, above all one that is paused, crashes isolated-vm 7.0.1 (see
  // inspector.ts). Should the run not end within TERMINATE_GRACE_MS (a built-in that never
  // checks for interrupts), the isolate is disposed after all, and this process is recycled.
  let hardStop: NodeJS.Timeout | undefined;
  const stop = (limit: 'wall' | 'cpu') => {
    if (deadlineHit !== null || isolate.isDisposed) return;
    deadlineHit = limit;
    if (client === null) {
      isolate.dispose();
      return;
    }
    client.terminate();
    hardStop = setTimeout(() => {
      client?.abandon();
      if (!isolate.isDisposed) isolate.dispose();
    }, TERMINATE_GRACE_MS);
  };
  const wallTimer = setTimeout(() => stop('wall'), job.limits.timeoutMs);
  // CPU time is this process's: a sandbox process runs one isolate at a time and is otherwise
  // idle. isolated-vm's own `cpuTime` is not read: reading it while the isolate runs perturbs
  // V8's heap (one grading in about thirty came out 80 KB higher, seen here).
  const cpuAtStart = process.cpuUsage();
  const cpuTimer = setInterval(() => {
    const used = process.cpuUsage(cpuAtStart);
    if ((used.user + used.system) / 1000 > job.limits.cpuTimeMs) stop('cpu');
  }, CPU_POLL_MS);

  const keepFiles = [SUBMISSION_FILE, job.helpers.filename];
  const thrown = (error: ThrownError): ThrownError => ({ ...error, stack: trimStack(error.stack, keepFiles) });

  try {
    const context = await isolate.createContext({ inspector: true });
    client = await attachInspector(isolate, inspect);
    const install = await (await isolate.compileScript(PRELUDE_SOURCE, { filename: PRELUDE_FILE })).run(context, {
      reference: true,
    });
    const config = { steps: job.steps, entry: job.entryPoint, check: job.check ?? '', pauseAt: inspect?.pauseAt ?? null };
    const harness = (await install.apply(undefined, [stats, new ivm.ExternalCopy(config).copyInto()], {
      result: { reference: true },
    })) as ivmModule.Reference<Record<string, unknown>>;

    const helpersFn = await (
      await isolate.compileScript(helperWrapper(job), { filename: job.helpers.filename, lineOffset: HELPERS_LINE_OFFSET })
    ).run(context, { reference: true });
    const helpers = await helpersFn.apply(undefined, [], { result: { reference: true } });
    const installHelpers = await harness.get('installHelpers', { reference: true });
    await installHelpers.apply(undefined, [helpers.derefInto()]);

    const entry = await loadSubmission(isolate, context, job, remaining);
    if ('kind' in entry) return entry;

    const run = await harness.get('run', { reference: true });
    const json = (await run.apply(undefined, [entry.ref.derefInto()], {
      timeout: remaining(),
      result: { promise: true },
    })) as string;
    const report = JSON.parse(json) as IsolateReport;
    if (report.error) report.error = thrown(report.error);
    return { kind: 'report', report };
  } catch (error) {
    return classifyFailure(error, deadlineHit, job, peak, thrown);
  } finally {
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
    await closeIsolate(isolate, client);
    clearTimeout(hardStop);
  }
}

/**
 * Disposes the isolate and its inspector session in the order isolated-vm 7.0.1 survives: every
 * message answered, the session disconnected, the disconnection run, then the isolate. An
 * isolate that isolated-vm disposed itself (its memory limit) may leave its session half torn
 * down: it is not touched, and the process is marked for recycling.
 */
async function closeIsolate(isolate: ivmModule.Isolate, client: InspectorClient | null): Promise<void> {
  if (isolate.isDisposed) {
    client?.abandon();
    recycleAfterRun = true;
    return;
  }
  if (client !== null) {
    if (!(await client.drain(DRAIN_TIMEOUT_MS)) || isolate.isDisposed) {
      client.abandon();
      recycleAfterRun = true;
    } else {
      client.disconnect();
      await isolate.compileScript('').catch(() => undefined);
    }
  }
  try {
    if (!isolate.isDisposed) isolate.dispose();
  } catch {
    // Disposed meanwhile by isolated-vm itself.
    recycleAfterRun = true;
  }
}

/**
 * Turns the debugger on and answers its pauses: the harness's liveness pauses and, on a replay,
 * its peak pause are served; any other (a `debugger` statement of the submission) is resumed
 * at once.
 */
async function attachInspector(isolate: ivmModule.Isolate, inspect: Inspect | null): Promise<InspectorClient> {
  const client = new InspectorClient(isolate.createInspectorSession());
  const harnessScripts = new Map<string, boolean>();
  const inHarness = async (frame: CallFrame | undefined) => {
    if (frame === undefined) return false;
    const { scriptId } = frame.location;
    if (!harnessScripts.has(scriptId)) {
      const { scriptSource } = await client.send<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId });
      harnessScripts.set(scriptId, scriptSource === PRELUDE_SOURCE);
    }
    return harnessScripts.get(scriptId) === true;
  };
  client.on('Debugger.paused', (params) => {
    const frames = (params as { callFrames: CallFrame[] }).callFrames;
    const serve = async () => {
      if (!(await inHarness(frames[0]))) return;
      if (frames[0].functionName === 'pauseForLiveness') await readLiveness(client, frames[0]);
      else if (frames[0].functionName === 'pauseAtPeak' && inspect !== null) await inspect.onPaused(client, frames);
    };
    // Every pause is resumed, whatever happened while it lasted: a run left paused never ends.
    serve()
      .catch(() => undefined)
      .finally(() => client.post('Debugger.resume'));
  });
  await client.send('Debugger.enable');
  return client;
}

type Entry = { ref: ivmModule.Reference<unknown> };

async function loadSubmission(
  isolate: ivmModule.Isolate,
  context: ivmModule.Context,
  job: SandboxJob,
  remaining: () => number,
): Promise<Entry | Measured> {
  const missing = (): Measured => ({
    kind: 'missing_entry_point',
    message: `the submission does not define a function named ${job.entryPoint} at its top level`,
  });
  let script: ivmModule.Script;
  try {
    script = await isolate.compileScript(job.code, { filename: SUBMISSION_FILE });
  } catch (error) {
    const parsed = parseCompileError(error, SUBMISSION_FILE);
    if (!MODULE_SYNTAX.test(parsed.message)) return { kind: 'syntax_error', ...parsed };
    return loadModule(isolate, context, job, remaining, missing);
  }
  await script.run(context, { timeout: remaining() });
  // A top-level `const` or `let` is a binding of the global scope, not a property of the
  // global object, so the entry point is looked up by evaluating its name.
  const name = JSON.stringify(job.entryPoint).slice(1, -1);
  const ref = (await context.eval(`typeof ${name} === 'function' ? ${name} : undefined`, {
    reference: true,
    timeout: remaining(),
  })) as ivmModule.Reference<unknown>;
  return ref.typeof === 'function' ? { ref } : missing();
}

async function loadModule(
  isolate: ivmModule.Isolate,
  context: ivmModule.Context,
  job: SandboxJob,
  remaining: () => number,
  missing: () => Measured,
): Promise<Entry | Measured> {
  let module: ivmModule.Module;
  try {
    module = await isolate.compileModule(job.code, { filename: SUBMISSION_FILE });
  } catch (error) {
    return { kind: 'syntax_error', ...parseCompileError(error, SUBMISSION_FILE) };
  }
  await module.instantiate(context, (specifier) => {
    throw new Error(`imports are not available in a submission (import of "${specifier}")`);
  });
  await module.evaluate({ timeout: remaining() });
  const ref = await module.namespace.get(job.entryPoint, { reference: true });
  return ref.typeof === 'function' ? { ref } : missing();
}

function classifyFailure(
  error: unknown,
  deadlineHit: 'wall' | 'cpu' | null,
  job: SandboxJob,
  peak: PeakSoFar | null,
  thrown: (e: ThrownError) => ThrownError,
): Measured {
  const message = error instanceof Error ? error.message : String(error);
  if (deadlineHit !== null || /timed out/i.test(message)) {
    const limit = deadlineHit ?? 'wall';
    return { kind: 'timeout', limit, limit_ms: limit === 'cpu' ? job.limits.cpuTimeMs : job.limits.timeoutMs, peak };
  }
  if (/memory limit/i.test(message)) {
    return { kind: 'memory_cap', message: `the isolate ran past its ${job.limits.memoryCapMb} MB memory cap`, peak };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : null;
  return { kind: 'load_error', error: thrown({ name, message, stack }) };
}
