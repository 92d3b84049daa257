// One run of a submission in a fresh isolate of THIS process, with the measurement harness, the
// assignment's helpers and the inspector: the measured run, the hidden check and the replay
// (job-runs.ts) are all runs of this kind, set up differently. Only the sandbox process calls it:
// hostile code can crash whatever process hosts the isolate (isolated-vm's README).
import { readFileSync } from 'node:fs';
import { parseReport } from './boundary.ts';
import { SUBMISSION_FILE } from './constants.ts';
import { readHeapHolders } from './heap-holders.ts';
import { heapSpacesReader } from './heap-reader.ts';
import { readHolders, type CallFrame, type PausedState, type RunScript } from './holders.ts';
import { InspectorClient } from './inspector.ts';
import { LOOP_TICK, originalColumn, TICK, type Instrumented } from './instrument.ts';
import { ivm, type ivmModule } from './isolated-vm.ts';
import { LIST_LIMITS } from './list-limits.ts';
import { readLiveness } from './liveness.ts';
import { SAMPLING } from './sampling.ts';
import { trimStack } from './stacks.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import type { Timeline } from './timings.ts';
import type {
  ExplainMode,
  Harness,
  HarnessConfig,
  HeapHolderRecord,
  HostStats,
  IsolateReport,
  PeakSoFar,
  RunOutcome,
  SandboxJob,
  ThrownError,
} from './types.ts';

const PRELUDE_FILE = 'memgrade:harness';
const PRELUDE_SOURCE = readFileSync(new URL('../../sandbox/runtime/prelude.js', import.meta.url), 'utf8');

const MODULE_SYNTAX = /Cannot use import statement outside a module|Unexpected token 'export'/;
const CPU_POLL_MS = 25;
/** How long a run gets to end after the inspector asked it to terminate. */
const TERMINATE_GRACE_MS = 1000;
/** How long the inspector gets to answer its last messages before its session is disposed. */
const DRAIN_TIMEOUT_MS = 1000;

interface IsolateRunOptions {
  explain: ExplainMode;
  /** Time this run's reads of who holds what may take together; past it, pauses are resumed unread. */
  explainBudgetMs: number;
  /** For the hidden check: the seed of the input the helpers make instead of the usual one. */
  hiddenSeed?: number;
  /** Called whenever the exact live figure reaches a new high, so a parent can keep it. */
  onPeak?: (peak: PeakSoFar) => void;
  /** The submission with its tick calls (instrument.ts); null runs it as sent (it does not parse). */
  instrumented: Instrumented | null;
  /** Where this run's time goes (bench:cli). */
  timeline?: Timeline;
  /** At the pause, also take a heap snapshot and charge the variables what they keep alive
   * (heap-holders.ts): the heap part of the peak being explained. */
  heapHolders?: { heapBytes: number };
}

/** A run's outcome before the peak is explained and the hidden check is added. */
type Measured = Exclude<RunOutcome, { kind: 'report' }> | { kind: 'report'; report: IsolateReport };

export interface IsolateRunResult {
  measured: Measured;
  /** What was read at each peak pause, by timeline sample. */
  paused: Map<number, PausedState>;
  /** Why a read of who holds what failed or was skipped, if one did. */
  explainFailure: string | null;
  /** Who kept the JS heap alive at the pause, when `heapHolders` asked for it and it was read. */
  heap: HeapHolderRecord[] | null;
  /** The isolate was left in a state this process should not run another isolate in. */
  recycle: boolean;
}

/** The helpers run inside a function of their own, which returns a function that reads what
 * they export: read after the hidden setup ran, the values are the hidden input's. The two lines
 * the wrapper adds on top are taken off the line numbers. */
const HELPERS_LINE_OFFSET = -2;
function helperWrapper(job: SandboxJob): string {
  const exported = [...job.helpers.globals, ...[job.check, job.hiddenSetup].filter((name) => name !== null)];
  return `(function () {\n'use strict';\n${job.helpers.source}\nreturn () => ({ ${exported.join(', ')} });\n})`;
}

/** The submission's top-level bindings the harness reads or rebinds: the entry point, the roots of
 * the steps that are not helpers, and what the check uses. */
function scopeNames(job: SandboxJob): string[] {
  const roots = job.steps.map((step) => step.split('.')[0]).filter((root) => !job.helpers.globals.includes(root));
  return [...new Set([job.entryPoint, ...roots, ...job.checkUses])];
}

/**
 * The accessor of the submission's top-level bindings (ScopeAccessor): a function made in the
 * global scope before the submission runs, which names each binding in its source. A top-level
 * `const`, `let` or `class` is a binding of the global scope, not a property of the global
 * object: only code of that scope reaches it. Made before the baseline, so that it costs the
 * submission nothing; the names are identifiers (the manifest's schema).
 */
function scopeAccessor(job: SandboxJob): string {
  const cases = scopeNames(job).map((name) => `case ${JSON.stringify(name)}: if (write) { ${name} = value; return value; } return ${name};`);
  return `(function () {\n'use strict';\nreturn function (name, value, write) {\nswitch (name) {\n${cases.join('\n')}\n}\nreturn undefined;\n};\n})()`;
}

/** Splits isolated-vm's "message [file:line:column]" into its parts. */
function parseCompileError(error: unknown, file: string) {
  const raw = cutText(error instanceof Error ? error.message : String(error), TEXT_LIMITS.message);
  const match = /^(.*) \[([^\]]*):(\d+):(\d+)\]$/s.exec(raw);
  if (match && match[2] === file) {
    return { message: match[1], line: Number(match[3]), column: Number(match[4]) };
  }
  return { message: raw, line: null, column: null };
}

/** Runs the submission once, as `options` say. Never throws for anything the submission does. */
export async function runInFreshIsolate(job: SandboxJob, options: IsolateRunOptions): Promise<IsolateRunResult> {
  // Every run has the inspector on: the harness learns through it which buffers a GC freed.
  const timeline = options.timeline;
  timeline?.mark('start');
  const isolate = new ivm.Isolate({ memoryLimit: job.limits.memoryCapMb, inspector: true });
  timeline?.mark('isolate');
  let baseline: { external: number; heap: number } | null = null;
  let peak: PeakSoFar | null = null;
  let deadlineHit: 'wall' | 'cpu' | null = null;
  const paused = new Map<number, PausedState>();
  let heap: HeapHolderRecord[] | null = null;
  let explainFailure: string | null = null;
  const explainDeadline = Date.now() + options.explainBudgetMs;

  // The harness reads the isolate's figures here: mode 1 takes the baseline, mode 2 an estimate
  // (no GC before it: garbage included), any other an exact sample right after a full GC.
  const readStats: HostStats = (mode, heapFigure) => {
    const s = isolate.getHeapStatisticsSync();
    const external = s.externally_allocated_size;
    const heap = typeof heapFigure === 'number' ? heapFigure : s.used_heap_size;
    if (mode === 1) {
      baseline = { external, heap };
    } else if (mode !== 2 && baseline !== null) {
      const total = external - baseline.external + (heap - baseline.heap);
      if (peak === null || total > peak.peak_bytes) {
        peak = { peak_bytes: total, peak_external_bytes: external - baseline.external, peak_heap_bytes: heap - baseline.heap };
        options.onPeak?.(peak);
      }
    }
    return [external, heap];
  };

  // The inspector shows no file names for isolated-vm's scripts: they are told apart by source.
  const files: RunScript[] = [
    { file: job.helpers.filename, source: helperWrapper(job), lineOffset: HELPERS_LINE_OFFSET },
    { file: SUBMISSION_FILE, source: options.instrumented?.code ?? job.code, lineOffset: 0 },
  ];
  let client: InspectorClient | null = null;
  const scripts = new Map<string, RunScript | null>();
  const scriptOf = async (scriptId: string): Promise<RunScript | null> => {
    if (!scripts.has(scriptId)) {
      const { scriptSource } = await client!.send<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId });
      const known = scriptSource === PRELUDE_SOURCE ? null : files.find((f) => f.source === scriptSource);
      scripts.set(scriptId, known === undefined ? { file: '(eval)', source: scriptSource, lineOffset: 0 } : known);
    }
    return scripts.get(scriptId) ?? null;
  };

  /** Serves the harness's pauses; any other (a `debugger` of the submission) is resumed at once. */
  const onPaused = async (frames: CallFrame[]) => {
    const top = frames[0];
    if (top === undefined || (await scriptOf(top.location.scriptId)) !== null) return;
    if (top.functionName === 'pauseForLiveness') {
      const from = performance.now();
      await readLiveness(client!, top);
      timeline?.add('liveness', performance.now() - from);
      return;
    }
    if (top.functionName !== 'pauseAtPeak') return;
    const left = explainDeadline - Date.now();
    if (left <= 0) {
      explainFailure = `reading who held what ran past its ${options.explainBudgetMs} ms budget`;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), left)));
    const from = performance.now();
    try {
      const read = await Promise.race([readHolders(client!, frames, scriptOf), late]);
      if (read === 'late') explainFailure = `reading who held what ran past its ${options.explainBudgetMs} ms budget`;
      else if (read !== null) paused.set(read.seq, read);
      if (read !== 'late' && read !== null && options.heapHolders !== undefined) {
        const skip = [...job.helpers.globals, ...[job.check, job.hiddenSetup].filter((name) => name !== null)];
        const onHeap = await Promise.race([readHeapHolders(client!, frames, read.frames, scriptOf, skip, options.heapHolders.heapBytes), late]);
        if (onHeap === 'late') explainFailure = `reading who held the heap ran past its ${options.explainBudgetMs} ms budget`;
        else heap = onHeap;
      }
    } catch (error) {
      explainFailure = `the paused run could not be read: ${cutText(error instanceof Error ? error.message : String(error), TEXT_LIMITS.name)}`;
    } finally {
      clearTimeout(timer);
      timeline?.add('holders', performance.now() - from);
    }
  };

  // isolated-vm's `timeout` covers synchronous execution only, and `cpuTime` is a counter: this
  // process keeps its own wall-clock and CPU deadlines. The inspector ends the run: disposing an
  // isolate that has a session, above all one that is paused, crashes isolated-vm 7.0.1 (see
  // inspector.ts). Should the run not end within TERMINATE_GRACE_MS (a built-in that never
  // checks for interrupts), the isolate is disposed after all, and this process is recycled.
  //
  // A run that waits (a promise that never settles) has nothing for terminateExecution to end,
  // and the call that waits for it never settles: the deadline must cover waiting too. So a task
  // is queued on the isolate as well. isolated-vm runs one task of an isolate at a time, and its
  // microtasks with it, so this one runs once the submission's code is stopped, or at once if
  // the submission was only waiting. Either way the isolate is idle then, and nothing of the
  // submission can wake it (no timers, no I/O, no host callback but the harness's synchronous
  // one): a call still waiting for it is given up (`untilStopped`), and no other is made.
  let hardStop: NodeJS.Timeout | undefined;
  let idleAfterStop!: () => void;
  const stoppedIdle = new Promise<never>((_, reject) => (idleAfterStop = () => reject(new Error('stopped while it waited'))));
  stoppedIdle.catch(() => undefined);
  const untilStopped = <T>(waiting: Promise<T>): Promise<T> => {
    // Left behind when the run is over without it: it fails later, unseen.
    waiting.catch(() => undefined);
    return Promise.race([waiting, stoppedIdle]);
  };
  const terminate = () => {
    client!.terminate();
    hardStop = setTimeout(() => {
      client?.abandon();
      if (!isolate.isDisposed) isolate.dispose();
    }, TERMINATE_GRACE_MS);
    // Failing means disposed meanwhile (its memory limit, the hard stop): idle all the same.
    isolate.compileScript('').then(idleAfterStop, idleAfterStop);
  };
  // Before the inspector is attached nothing of the submission runs yet: the deadline is only
  // noted, and acted on once it is (disposing now would leave the attachment waiting forever).
  const stop = (limit: 'wall' | 'cpu') => {
    if (deadlineHit !== null || isolate.isDisposed) return;
    deadlineHit = limit;
    if (client !== null) terminate();
  };
  const wallTimer = setTimeout(() => stop('wall'), job.limits.timeoutMs);
  // CPU time is this process's: a sandbox process runs one isolate at a time and is otherwise
  // idle. isolated-vm's own `cpuTime` is not read: reading it while the isolate runs perturbed
  // V8's heap (one grading in about thirty came out 80 KB higher on isolated-vm 5).
  const cpuAtStart = process.cpuUsage();
  const cpuTimer = setInterval(() => {
    const used = process.cpuUsage(cpuAtStart);
    if ((used.user + used.system) / 1000 > job.limits.cpuTimeMs) stop('cpu');
  }, CPU_POLL_MS);

  const keepFiles = [SUBMISSION_FILE, job.helpers.filename];
  // Positions in the submission are those of the code as it was sent, not as instrumented.
  const inserted = options.instrumented?.insertions;
  const unshift = (stack: string | null) =>
    stack === null || inserted === undefined
      ? stack
      : stack.replaceAll(
          new RegExp(`${SUBMISSION_FILE.replace('.', '\\.')}:(\\d+):(\\d+)`, 'g'),
          (_, line: string, column: string) => `${SUBMISSION_FILE}:${line}:${originalColumn(inserted, Number(line), Number(column))}`,
        );
  const thrown = (error: ThrownError): ThrownError => ({
    name: cutText(error.name, TEXT_LIMITS.name),
    message: cutText(error.message, TEXT_LIMITS.message),
    stack: trimStack(unshift(error.stack), keepFiles),
  });
  const withError = (report: IsolateReport): IsolateReport => (report.error ? { ...report, error: thrown(report.error) } : report);
  // The harness failed, or the submission got past it: nothing of the report is used.
  const malformed = (problem: string): Measured => ({ kind: 'crashed', message: `the harness sent a malformed report (${problem})`, peak });

  let harness: ivmModule.Reference<Record<string, unknown>> | null = null;
  // Past a deadline the harness is called no more: the verdict is a timeout anyway, and the run
  // may be over already (see terminate), its isolate being disposed.
  const pastDeadline = () => {
    if (deadlineHit !== null) throw new Error('past the deadline');
  };
  const call = async (name: keyof Harness, args: unknown[] = [], promise = false) => {
    pastDeadline();
    const fn = await harness!.get(name, { reference: true });
    pastDeadline();
    return promise ? untilStopped(fn.apply(undefined, args, { result: { promise: true } })) : fn.apply(undefined, args, {});
  };
  const measure = async (): Promise<Measured> => {
    const context = await isolate.createContext({ inspector: true });
    timeline?.mark('context');
    client = await attachInspector(isolate, onPaused);
    timeline?.mark('inspector');
    if (deadlineHit !== null) terminate();
    const prelude = await isolate.compileScript(PRELUDE_SOURCE, { filename: PRELUDE_FILE });
    timeline?.mark('harness_compiled');
    const install = await prelude.run(context, { reference: true });
    const config: HarnessConfig = {
      steps: job.steps,
      entry: job.entryPoint,
      entryArgs: job.entryArgs,
      check: job.check ?? '',
      checkUses: job.checkUses,
      hiddenSetup: job.hiddenSetup ?? '',
      tick: TICK,
      loopTick: LOOP_TICK,
      sampling: SAMPLING,
      limitBytes: job.limits.peakBytes,
      explain: options.explain,
      measure: options.hiddenSeed === undefined,
      text: TEXT_LIMITS,
      lists: LIST_LIMITS,
    };
    const spaces = heapSpacesReader();
    const spacesInIsolate = spaces === null ? undefined : (await spaces.create(context)).derefInto();
    harness = (await install.apply(undefined, [new ivm.Callback(readStats), new ivm.ExternalCopy(config).copyInto(), spacesInIsolate], {
      result: { reference: true },
    })) as ivmModule.Reference<Record<string, unknown>>;
    timeline?.mark('harness');

    const helpersFn = await (
      await isolate.compileScript(files[0].source, { filename: job.helpers.filename, lineOffset: HELPERS_LINE_OFFSET })
    ).run(context, { reference: true });
    const readHelpers = await helpersFn.apply(undefined, [], { result: { reference: true } });
    await call('installHelpers', [readHelpers.derefInto(), options.hiddenSeed ?? null]);
    const scope = (await context.eval(scopeAccessor(job), { reference: true })) as ivmModule.Reference<unknown>;
    timeline?.mark('helpers');

    const compiled = await compileSubmission(isolate, files[1].source);
    if ('failure' in compiled) return compiled.failure;
    await call('begin');
    timeline?.mark('begun');
    pastDeadline();
    const stopped = () => deadlineHit !== null || isolate.isDisposed;
    const entry = await evaluateSubmission(compiled, context, scope, job, stopped);
    if ('failure' in entry) return entry.failure;
    if ('error' in entry) {
      // The script threw while it loaded: its measurement so far is kept with the error.
      await call('endLoad');
      const report = parseReport(await call('reportLoad'));
      return report.ok ? { kind: 'load_error', error: thrown(entry.error), report: report.value } : malformed(report.problem);
    }
    await call('endLoad');
    timeline?.mark('loaded');
    const module = 'module' in compiled;
    const bindings = module ? compiled.module.namespace : scope;
    const report = parseReport(await call('run', [entry.ref.derefInto(), bindings.derefInto(), module], true));
    timeline?.mark('ran');
    return report.ok ? { kind: 'report', report: withError(report.value) } : malformed(report.problem);
  };

  let measured: Measured;
  try {
    measured = await measure();
    // Past a deadline the verdict is a timeout, whatever the run came to meanwhile: a module's
    // top-level await, stopped, still lets the entry point run.
    if (deadlineHit !== null) measured = classifyFailure(null, deadlineHit, isolate, job, peak, thrown);
  } catch (error) {
    measured = classifyFailure(error, deadlineHit, isolate, job, peak, thrown);
  } finally {
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
  }
  const recycle = await closeIsolate(isolate, client);
  clearTimeout(hardStop);
  timeline?.mark('closed');
  return { measured, paused, explainFailure, heap, recycle };
}

/**
 * Disposes the isolate and its inspector session in the order isolated-vm 7.0.1 survives: every
 * message answered, the session disconnected, the disconnection run, then the isolate. An
 * isolate that isolated-vm disposed itself (its memory limit) may leave its session half torn
 * down: it is not touched. Answers whether this process should be recycled.
 */
async function closeIsolate(isolate: ivmModule.Isolate, client: InspectorClient | null): Promise<boolean> {
  if (isolate.isDisposed) {
    client?.abandon();
    return true;
  }
  let recycle = false;
  if (client !== null) {
    if (!(await client.drain(DRAIN_TIMEOUT_MS)) || isolate.isDisposed) {
      client.abandon();
      recycle = true;
    } else {
      client.disconnect();
      await isolate.compileScript('').catch(() => undefined);
    }
  }
  try {
    if (!isolate.isDisposed) isolate.dispose();
  } catch {
    // Disposed meanwhile by isolated-vm itself.
    recycle = true;
  }
  return recycle;
}

/** Turns the debugger on; every pause is served by `onPaused`, then resumed. */
async function attachInspector(isolate: ivmModule.Isolate, onPaused: (frames: CallFrame[]) => Promise<void>): Promise<InspectorClient> {
  const client = new InspectorClient(isolate.createInspectorSession());
  client.on('Debugger.paused', (params) => {
    // Every pause is resumed, whatever happened while it lasted: a run left paused never ends.
    onPaused((params as { callFrames: CallFrame[] }).callFrames)
      .catch(() => undefined)
      .finally(() => client.post('Debugger.resume'));
  });
  await client.send('Debugger.enable');
  return client;
}

type Loaded = { ref: ivmModule.Reference<unknown> } | { error: ThrownError } | { failure: Measured };
type Compiled = { script: ivmModule.Script } | { module: ivmModule.Module } | { failure: Measured };

/**
 * Compiles the submission, as a script or, if it is one, as a module. Done before the baseline:
 * isolated-vm keeps a long source outside V8's heap, where it would count as an ArrayBuffer.
 */
async function compileSubmission(isolate: ivmModule.Isolate, code: string): Promise<Compiled> {
  try {
    return { script: await isolate.compileScript(code, { filename: SUBMISSION_FILE }) };
  } catch (error) {
    const parsed = parseCompileError(error, SUBMISSION_FILE);
    if (!MODULE_SYNTAX.test(parsed.message)) return { failure: { kind: 'syntax_error', ...parsed } };
  }
  try {
    return { module: await isolate.compileModule(code, { filename: SUBMISSION_FILE }) };
  } catch (error) {
    return { failure: { kind: 'syntax_error', ...parseCompileError(error, SUBMISSION_FILE) } };
  }
}

/** Evaluates the compiled submission and finds its entry point (through `scope` for a script). */
async function evaluateSubmission(
  compiled: { script: ivmModule.Script } | { module: ivmModule.Module },
  context: ivmModule.Context,
  scope: ivmModule.Reference<unknown>,
  job: SandboxJob,
  stopped: () => boolean,
): Promise<Loaded> {
  const missing = (): Loaded => ({
    failure: {
      kind: 'missing_entry_point',
      message: `the submission does not define a function named ${job.entryPoint} at its top level`,
    },
  });
  if ('module' in compiled) {
    try {
      await compiled.module.instantiate(context, (specifier) => {
        throw new Error(`imports are not available in a submission (import of "${specifier}")`);
      });
      await compiled.module.evaluate();
    } catch (error) {
      return threwWhileLoading(error, stopped);
    }
    const ref = await compiled.module.namespace.get(job.entryPoint, { reference: true });
    return ref.typeof === 'function' ? { ref } : missing();
  }
  try {
    await compiled.script.run(context);
  } catch (error) {
    return threwWhileLoading(error, stopped);
  }
  // A top-level `const` or `let` is a binding of the global scope, not a property of the
  // global object: the entry point is read by the accessor made in that scope.
  let ref: ivmModule.Reference<unknown>;
  try {
    ref = await scope.apply(undefined, [job.entryPoint], { result: { reference: true } });
  } catch (error) {
    // Not declared, or declared and not initialised; a run that was stopped is classified.
    if (stopped()) throw error;
    return missing();
  }
  return ref.typeof === 'function' ? { ref } : missing();
}

/**
 * An error out of the script's evaluation is the submission's own, unless the run was stopped
 * (a deadline, the memory limit): those are rethrown for classifyFailure, which knows why.
 */
function threwWhileLoading(error: unknown, stopped: () => boolean): Loaded {
  if (stopped()) throw error;
  if (!(error instanceof Error)) return { error: { name: 'thrown value', message: String(error), stack: null } };
  return { error: { name: error.name, message: error.message, stack: typeof error.stack === 'string' ? error.stack : null } };
}

/**
 * Why a run ended without a report. The run's own state says so, never the text of an error,
 * which a submission can make say anything ("timed out", "memory limit").
 */
function classifyFailure(
  error: unknown,
  deadlineHit: 'wall' | 'cpu' | null,
  isolate: ivmModule.Isolate,
  job: SandboxJob,
  peak: PeakSoFar | null,
  thrown: (e: ThrownError) => ThrownError,
): Measured {
  if (deadlineHit !== null) {
    return { kind: 'timeout', limit: deadlineHit, limit_ms: deadlineHit === 'cpu' ? job.limits.cpuTimeMs : job.limits.timeoutMs, peak };
  }
  if (isolate.isDisposed) {
    return { kind: 'memory_cap', message: `the isolate ran past its ${job.limits.memoryCapMb} MB memory cap`, peak };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : null;
  return { kind: 'crashed', message: thrown({ name, message, stack }).message, peak };
}
