// Shapes exchanged between the grading layer, the sandbox child process and the isolate.
//
// What travels towards the grader (the harness's report out of the isolate, a child's outcome)
// is a TypeBox schema, defined once: it gives the TypeScript type, the JSDoc types the harness
// (sandbox/runtime/prelude.js) is type-checked against, and the check of what arrives
// (boundary.ts). The API's result (grading/result.ts) is made of the same records, so their
// descriptions here are the API's documentation too.
//
// Every string and list has the bound its producer cuts it to, so that the schema states it: a
// submission is hostile, and what crosses from the isolate or the child is refused past it.
import { Type, type Static, type StringOptions, type TProperties } from '@sinclair/typebox';
import { LIST_LIMITS } from './list-limits.ts';
import type { Sampling } from './sampling.ts';
import { cutLength, TEXT_LIMITS } from './text-limits.ts';

export const NAME = cutLength(TEXT_LIMITS.name);
const MESSAGE = cutLength(TEXT_LIMITS.message);
/** A sentence that quotes a name and a message of the submission's. */
export const SENTENCE = 2 * MESSAGE;
export const Text = (maxLength: number, options: StringOptions = {}) => Type.String({ ...options, maxLength });

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** Everything a sandbox child needs to grade one submission; plain data, sent over IPC. */
export interface SandboxJob {
  code: string;
  /** The assignment's helper source, run in the isolate before the submission. */
  helpers: { source: string; filename: string; globals: string[] };
  entryPoint: string;
  /** What the entry point is called with: helper globals by name, and literals. */
  entryArgs: EntryArg[];
  /**
   * The measured steps: helper globals, the submission's own top-level functions (wrapped once
   * its script has run), or a method by its path from one (`Algorithms.prototype.factorial_plus`).
   */
  steps: string[];
  /** Name of the helper that checks the result, or null when the assignment has none. */
  check: string | null;
  /** The submission's top-level bindings the check is handed, by name (its second argument). */
  checkUses: string[];
  /** Name of the helper that switches the others to hidden input for the hidden check, or null. */
  hiddenSetup: string | null;
  limits: SandboxLimits;
}

/** An argument of the entry point: the name of a helper global, or a literal value. */
type EntryArg = string | number | boolean | null | { value: unknown };

interface SandboxLimits {
  memoryCapMb: number;
  /** The assignment's limit on the peak. */
  peakBytes: number;
  timeoutMs: number;
  cpuTimeMs: number;
  /**
   * Budget of the reads of who holds what at the peak: of the measured run's reads together, and
   * of a replay, when one is needed (its whole run); 0 turns the explanation off.
   */
  explainMs: number;
}

// ---- into the isolate: what the host hands the harness ----------------------------------------

/** How the harness explains the peak: not at all, at each new peak, or at one given sample. */
export type ExplainMode =
  | { mode: 'off' }
  | { mode: 'peaks'; maxPauses: number }
  | ({ mode: 'at'; external: number } & IsolateReport['peak_mark']);

/** The harness's `install` configuration, copied into the isolate. */
export interface HarnessConfig {
  steps: string[];
  entry: string;
  entryArgs: EntryArg[];
  /** The checking helper's name; '' when there is none. */
  check: string;
  /** The submission's bindings the check is handed (SandboxJob.checkUses). */
  checkUses: string[];
  /** The hidden check's setup helper's name; '' when there is none. */
  hiddenSetup: string;
  /** Globals the instrumented submission calls (instrument.ts). */
  tick: string;
  loopTick: string;
  sampling: Sampling;
  /** The assignment's limit on the peak: the sampling tolerance is held to a fraction of it. */
  limitBytes: number;
  explain: ExplainMode;
  /** False for the hidden check's run, which measures nothing. */
  measure: boolean;
  text: typeof TEXT_LIMITS;
  lists: typeof LIST_LIMITS;
}

/**
 * The host's callback for the isolate's figures, [external bytes, used heap bytes]: mode 1 also
 * takes them as the baseline, mode 2 is an estimate (no GC before it), none an exact sample.
 * `heap`, when the harness reads the heap spaces itself (heap-reader.ts), is the heap figure to
 * use instead of the isolate's used heap size.
 */
export type HostStats = (mode?: 1 | 2, heap?: number) => [external: number, heap: number];

/**
 * A function made in the isolate's global scope, before the submission runs (fresh-isolate-run.ts):
 * answers the top-level binding `name` (throws for one that does not exist), or, with `write`,
 * assigns `value` to it (throws for a `const`).
 */
export type ScopeAccessor = (name: string, value?: unknown, write?: boolean) => unknown;

/** What the harness's `install` returns; the host calls these by name. */
export interface Harness {
  /**
   * Installs the helpers' globals from `read` (which answers their current values). For the
   * hidden check, `seed` is handed to the hidden setup first, so that the values read after it,
   * the entry point's arguments among them, are the hidden input.
   */
  installHelpers(read: () => Record<PropertyKey, unknown>, seed: number | null): void;
  begin(): void;
  endLoad(): void;
  /**
   * Wraps the submission's own steps, runs the entry point and checks its result; resolves with
   * the report as JSON text. `scope` reads (and, for a script, rebinds) the submission's
   * top-level bindings: the accessor made in the global scope (ScopeAccessor), or a module's
   * namespace.
   */
  run(entry: (...args: unknown[]) => unknown, scope: ScopeAccessor | object, module: boolean): Promise<string>;
  /** The report of a script that threw while it loaded, as JSON text. */
  reportLoad(): string;
}

// ---- the records of a run, as the API shows them too ------------------------------------------

export const StepRecord = Type.Object(
  {
    name: Text(NAME),
    calls: Type.Integer({ minimum: 0, description: "calls of the step (of a generator function: the iterators it made); the entry point's 1" }),
    allocated_bytes: Type.Integer({ description: 'ArrayBuffer bytes allocated while this step was the innermost one running' }),
    peak_live_bytes: Type.Integer({
      description: 'highest exact live figure sampled while a call of this step was on the stack (a generator: while its iterator was driven)',
    }),
    live_after_bytes: Type.Integer({
      description:
        'exact live figure when the last measured call returned (a generator: when its iterator finished); the first 8 calls of a step ' +
        'are measured, then the 16th, 32nd, 64th...',
    }),
    duration_ms: Type.Number({
      description: 'wall time inside the step (a generator: while its iterators were being driven), measurement time excluded',
    }),
  },
  { additionalProperties: false },
);
export type StepRecord = Static<typeof StepRecord>;

/** What every listed allocation has, in the report's lists and in the API's. */
export const AllocationBase = Type.Object(
  {
    id: Type.Integer(),
    step: Text(NAME, { description: 'the step (or entry point) that was innermost when it was allocated' }),
    site: Nullable(Text(3 * NAME, { description: '"function (file:line)"; null for allocations under 1 KiB' })),
    function: Nullable(Text(NAME)),
    file: Nullable(Text(NAME)),
    line: Type.Integer(),
    bytes: Type.Integer(),
  },
  { additionalProperties: false },
);

/** One tracked ArrayBuffer allocation, as the in-isolate harness reports it. */
export const AllocationRecord = Type.Composite(
  [
    AllocationBase,
    Type.Object({
      born_seq: Type.Integer({ description: 'first timeline sample at which it is live' }),
      died_seq: Nullable(Type.Integer({ description: 'first timeline sample at which it is gone; null if it outlived the run' })),
    }),
  ],
  { additionalProperties: false },
);
export type AllocationRecord = Static<typeof AllocationRecord>;

export const SampleRecord = Type.Object(
  {
    seq: Type.Integer(),
    t_ms: Type.Number(),
    live_bytes: Type.Integer(),
    external_bytes: Type.Integer(),
    heap_bytes: Type.Integer(),
    step: Text(NAME),
    reason: Text(2 * NAME, { description: "start, allocation, heap, return:<step>, end, or collector (V8's own full collection found it)" }),
  },
  { additionalProperties: false },
);
export type SampleRecord = Static<typeof SampleRecord>;

export const CheckRecord = Type.Object(
  {
    correct: Type.Boolean(),
    message: Nullable(Text(MESSAGE)),
    first_bad_index: Nullable(Type.Integer({ description: 'first element that differs from the expected result' })),
  },
  { additionalProperties: false },
);
export type CheckRecord = Static<typeof CheckRecord>;

/** What the submission threw; the harness cuts it, the host then trims its stack. */
export const ThrownError = Type.Object(
  {
    name: Text(NAME),
    message: Text(MESSAGE),
    stack: Nullable(Text(cutLength(TEXT_LIMITS.stack), { description: 'frames of the submission and the helpers only' })),
  },
  { additionalProperties: false },
);
export type ThrownError = Static<typeof ThrownError>;

/** A binding that keeps an allocation alive at the peak. */
export const HolderRecord = Type.Object(
  {
    name: Text(2 * NAME, { description: 'the variable, `variable.path` for an object property, or a description' }),
    kind: Type.Union(
      [
        Type.Literal('local'),
        Type.Literal('parameter'),
        Type.Literal('closure'),
        Type.Literal('global'),
        Type.Literal('module'),
        Type.Literal('property'),
        Type.Literal('temporary'),
        Type.Literal('new'),
      ],
      { description: 'temporary: an interpreter register of a nested call; new: the allocation that made the peak, being built' },
    ),
    function: Text(NAME, { description: '"(top level)" for global and module bindings' }),
    file: Nullable(Text(NAME)),
    line: Nullable(Type.Integer({ description: 'where that function was at the peak' })),
  },
  { additionalProperties: false },
);
export type HolderRecord = Static<typeof HolderRecord>;
export type HolderKind = HolderRecord['kind'];

/** A binding (or the stack's temporaries) and the JS heap it alone keeps alive at the peak. */
export const HeapHolderRecord = Type.Object(
  {
    ...HolderRecord.properties,
    path: Text(NAME, { description: 'where most of it is, from the binding: `.prototype.f <closure memo>`, `[0]`; empty for itself' }),
    bytes: Type.Integer({ minimum: 0, description: 'what it alone keeps alive: its retained size in a heap snapshot at the peak' }),
  },
  { additionalProperties: false },
);
export type HeapHolderRecord = Static<typeof HeapHolderRecord>;

/** The check of a second, small run on input the submission could not predict. */
export const HiddenCheck = Type.Object(
  {
    correct: Type.Boolean(),
    message: Text(SENTENCE, { description: 'what the check found on the hidden input' }),
  },
  {
    additionalProperties: false,
    description: 'a second, small run on input the submission cannot predict (from a seed it never sees), when the assignment declares one',
  },
);
export type HiddenCheck = Static<typeof HiddenCheck>;

// ---- out of the isolate: the harness's report ------------------------------------------------

export const IsolateReport = Type.Object(
  {
    /** load_failed: the script threw while it loaded; the report holds what was measured so far. */
    outcome: Type.Union([
      Type.Literal('returned'),
      Type.Literal('threw'),
      Type.Literal('memory_cap'),
      Type.Literal('check_threw'),
      Type.Literal('load_failed'),
    ]),
    error: Nullable(ThrownError),
    check: Nullable(CheckRecord),
    peak_bytes: Type.Integer(),
    peak_external_bytes: Type.Integer(),
    peak_heap_bytes: Type.Integer(),
    peak_seq: Type.Integer(),
    /** Where the run was at the peak's sample, the same in every run: how a replay finds it. */
    peak_mark: Type.Object(
      { ticks: Type.Integer(), allocations: Type.Integer(), reason: SampleRecord.properties.reason },
      { additionalProperties: false },
    ),
    peak_step: Nullable(Text(NAME)),
    cap_hit: Type.Boolean(),
    /** What the submission asked for: the length it passed, which need not be whole. */
    cap_request_bytes: Type.Number(),
    gc_count: Type.Integer({ minimum: 0 }),
    /** Pauses in which the host read which tracked buffers are alive, and those it did not answer. */
    liveness_reads: Type.Integer({ minimum: 0 }),
    /** Looks at the heap's size prompted by the submission's ticks and large built-in results. */
    heap_checks: Type.Integer({ minimum: 0 }),
    liveness_failures: Type.Integer({ minimum: 0 }),
    /** How far below the exact maximum the reported peak may be (the sampling tolerance). */
    tolerance_bytes: Type.Integer(),
    /** What the heap part counts: the data spaces (the native reader), or the whole used heap. */
    heap_figure: Type.Union([Type.Literal('data_spaces'), Type.Literal('used_heap')]),
    measure_ms: Type.Number(),
    run_ms: Type.Number(),
    /** The script's top level when it ran any, each step of the manifest (100 at most), the entry point. */
    steps: Type.Array(StepRecord, { maxItems: 102 }),
    /** Largest first; the host adds their holders and hints. */
    live_at_peak: Type.Array(AllocationRecord, { maxItems: LIST_LIMITS.listedAtPeak }),
    allocations: Type.Array(AllocationRecord, {
      maxItems: LIST_LIMITS.lifetimes,
      description: 'allocations of 64 KiB or more (the first 500), with their lifetimes on the timeline',
    }),
    timeline: Type.Array(SampleRecord, { maxItems: LIST_LIMITS.timeline, description: 'the exact samples, in order (the first 1,000)' }),
  },
  { additionalProperties: false },
);
/** The harness's report, parsed and checked from the JSON text it builds inside the isolate. */
export type IsolateReport = Static<typeof IsolateReport>;

// ---- out of the child process: how a run ended ------------------------------------------------

/**
 * Holders sent per allocation, and frames sent: deep recursion can give an allocation one holder
 * per frame. The API lists 8 and counts the rest; past this bound the count is a floor.
 */
export const MAX_HOLDERS_SENT = 1000;

/** Holders of the allocations alive at the peak, read while the run was paused there. */
export const PeakHolders = Type.Union([
  Type.Object(
    {
      status: Type.Literal('complete'),
      held: Type.Array(
        Type.Object({ id: Type.Integer(), holders: Type.Array(HolderRecord, { maxItems: MAX_HOLDERS_SENT }) }, { additionalProperties: false }),
        { maxItems: LIST_LIMITS.listedAtPeak },
      ),
      /** The frames outside the harness at the pause, innermost first. */
      frames: Type.Array(
        Type.Object({ function: Text(NAME), file: Text(NAME), line: Type.Integer() }, { additionalProperties: false }),
        { maxItems: MAX_HOLDERS_SENT },
      ),
      /** Who keeps the JS heap alive, when the peak is mostly heap (heap-holders.ts); else empty. */
      heap: Type.Array(HeapHolderRecord, { maxItems: LIST_LIMITS.heapHolders }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ status: Type.Literal('missing'), reason: Text(SENTENCE) }, { additionalProperties: false }),
]);
export type PeakHolders = Static<typeof PeakHolders>;

/** Highest exact live figure seen by the host, kept even when the isolate dies. */
export const PeakSoFar = Type.Pick(IsolateReport, ['peak_bytes', 'peak_external_bytes', 'peak_heap_bytes']);
export type PeakSoFar = Static<typeof PeakSoFar>;

const Message = Text(MESSAGE);
const Outcome = <K extends string, P extends TProperties>(kind: K, properties: P) =>
  Type.Object({ kind: Type.Literal(kind), ...properties }, { additionalProperties: false });

/** How a sandboxed run ended, before any verdict is drawn from it. */
export const RunOutcome = Type.Union([
  Outcome('report', { report: IsolateReport, holders: PeakHolders, hidden: Nullable(HiddenCheck) }),
  Outcome('syntax_error', { message: Message, line: Nullable(Type.Integer()), column: Nullable(Type.Integer()) }),
  /** Refused before it ran: it reaches for what the grader inserts (instrument.ts). */
  Outcome('invalid', { message: Message }),
  Outcome('missing_entry_point', { message: Message }),
  Outcome('load_error', { error: ThrownError, report: Nullable(IsolateReport) }),
  Outcome('timeout', { limit: Type.Union([Type.Literal('wall'), Type.Literal('cpu')]), limit_ms: Type.Integer(), peak: Nullable(PeakSoFar) }),
  Outcome('memory_cap', { message: Message, peak: Nullable(PeakSoFar) }),
  Outcome('crashed', { message: Message, peak: Nullable(PeakSoFar) }),
]);
export type RunOutcome = Static<typeof RunOutcome>;
