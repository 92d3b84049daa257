// Runs one submission in a fresh isolate of THIS process. Only the sandbox child process calls
// it: hostile code can crash whatever process hosts the isolate (isolated-vm's README).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import type ivmModule from 'isolated-vm';
import { SUBMISSION_FILE } from './constants.js';
import type { IsolateReport, PeakSoFar, RunOutcome, SandboxJob, ThrownError } from './types.js';

// Both flags must be set before the first isolate exists: `gc()` for exact samples, and
// FinalizationRegistry.prototype.cleanupSome to learn synchronously which buffers a GC freed.
v8.setFlagsFromString('--expose-gc');
v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
// Freed ArrayBuffers leave the external-memory count when the sweeper finishes; a concurrent
// sweeper may still be running when the sample is read, and the figure would depend on timing.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
// Optimised code lives on the JS heap. Compiled in the background, it lands at a different
// moment in each run and the heap part of a sample would move by hundreds of KB; compiled on
// the isolate's own thread, it lands at the same point every time.
v8.setFlagsFromString('--no-concurrent-recompilation');
v8.setFlagsFromString('--no-concurrent-osr');
v8.setFlagsFromString('--no-concurrent-sparkplug');
const require = createRequire(import.meta.url);
const ivm: typeof ivmModule = require('isolated-vm');

const PRELUDE_FILE = 'memgrade:harness';
const PRELUDE_SOURCE = readFileSync(new URL('../../sandbox/runtime/prelude.js', import.meta.url), 'utf8');

const MODULE_SYNTAX = /Cannot use import statement outside a module|Unexpected token 'export'/;
const CPU_POLL_MS = 25;

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
export function trimStack(stack: string | null, keepFiles: string[]): string | null {
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

export async function runInIsolate(job: SandboxJob, hooks: RunHooks = {}): Promise<RunOutcome> {
  const isolate = new ivm.Isolate({ memoryLimit: job.limits.memoryCapMb });
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

  // isolated-vm's `timeout` covers synchronous execution only, and `cpuTime` is a counter: this
  // process keeps its own wall-clock and CPU deadlines, and disposing the isolate ends the run.
  const stop = (limit: 'wall' | 'cpu') => {
    if (deadlineHit !== null || isolate.isDisposed) return;
    deadlineHit = limit;
    isolate.dispose();
  };
  const wallTimer = setTimeout(() => stop('wall'), job.limits.timeoutMs);
  const cpuTimer = setInterval(() => {
    if (!isolate.isDisposed && isolate.cpuTime > BigInt(job.limits.cpuTimeMs) * 1_000_000n) stop('cpu');
  }, CPU_POLL_MS);

  const keepFiles = [SUBMISSION_FILE, job.helpers.filename];
  const thrown = (error: ThrownError): ThrownError => ({ ...error, stack: trimStack(error.stack, keepFiles) });

  try {
    const context = await isolate.createContext();
    const install = await (await isolate.compileScript(PRELUDE_SOURCE, { filename: PRELUDE_FILE })).run(context, {
      reference: true,
    });
    const config = { steps: job.steps, entry: job.entryPoint, check: job.check ?? '' };
    const harness = (await install.apply(undefined, [stats, new ivm.ExternalCopy(config).copyInto()], {
      result: { reference: true },
    })) as ivmModule.Reference<Record<string, unknown>>;

    const exported = [...job.helpers.globals, ...(job.check ? [job.check] : [])];
    const helperSource = `(function () {\n'use strict';\n${job.helpers.source}\nreturn { ${exported.join(', ')} };\n})`;
    const helpersFn = await (
      await isolate.compileScript(helperSource, { filename: job.helpers.filename, lineOffset: -2 })
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
    if (!isolate.isDisposed) isolate.dispose();
  }
}

type Entry = { ref: ivmModule.Reference<unknown> };

async function loadSubmission(
  isolate: ivmModule.Isolate,
  context: ivmModule.Context,
  job: SandboxJob,
  remaining: () => number,
): Promise<Entry | RunOutcome> {
  const missing = (): RunOutcome => ({
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
  missing: () => RunOutcome,
): Promise<Entry | RunOutcome> {
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
): RunOutcome {
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
