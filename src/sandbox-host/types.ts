// Shapes exchanged between the grading layer, the sandbox child process and the isolate.

/** Everything a sandbox child needs to grade one submission; plain data, sent over IPC. */
export interface SandboxJob {
  code: string;
  /** The assignment's helper source, run in the isolate before the submission. */
  helpers: { source: string; filename: string; globals: string[] };
  entryPoint: string;
  steps: string[];
  /** Name of the helper that checks the result, or null when the assignment has none. */
  check: string | null;
  /** Name of the helper that switches the others to hidden input for the hidden check, or null. */
  hiddenSetup: string | null;
  limits: SandboxLimits;
}

export interface SandboxLimits {
  memoryCapMb: number;
  timeoutMs: number;
  cpuTimeMs: number;
  /** Budget of the replay that finds who holds what at the peak; 0 turns it off. */
  explainMs: number;
}

/** One tracked ArrayBuffer allocation, as the in-isolate harness reports it. */
export interface AllocationRecord {
  id: number;
  step: string;
  site: string | null;
  function: string | null;
  file: string | null;
  line: number;
  bytes: number;
  born_seq: number;
  died_seq: number | null;
}

export interface StepRecord {
  name: string;
  calls: number;
  allocated_bytes: number;
  peak_live_bytes: number;
  live_after_bytes: number;
  duration_ms: number;
}

export interface SampleRecord {
  seq: number;
  t_ms: number;
  live_bytes: number;
  external_bytes: number;
  heap_bytes: number;
  step: string;
  reason: string;
}

export interface ThrownError {
  name: string;
  message: string;
  stack: string | null;
}

export interface CheckRecord {
  correct: boolean;
  message: string | null;
  first_bad_index: number | null;
}

/** `temporary`: an interpreter register; `new`: the allocation that made the peak, not yet stored anywhere. */
export type HolderKind = 'local' | 'parameter' | 'closure' | 'global' | 'module' | 'property' | 'temporary' | 'new';

/** A binding that keeps an allocation alive at the peak. */
export interface HolderRecord {
  /** Variable name, `name.path` for an object property, or a description for a temporary. */
  name: string;
  kind: HolderKind;
  function: string;
  file: string | null;
  line: number | null;
}

/** Holders of the allocations alive at the peak, from a replay paused at the peak. */
export type PeakHolders =
  | { status: 'complete'; held: { id: number; holders: HolderRecord[] }[]; frames: { function: string; file: string; line: number }[] }
  | { status: 'missing'; reason: string };

/** The harness's report, parsed from the JSON string it builds inside the isolate. */
export interface IsolateReport {
  /** load_failed: the script threw while it loaded; the report holds what was measured so far. */
  outcome: 'returned' | 'threw' | 'memory_cap' | 'check_threw' | 'load_failed';
  error: ThrownError | null;
  check: CheckRecord | null;
  peak_bytes: number;
  peak_external_bytes: number;
  peak_heap_bytes: number;
  peak_seq: number;
  /** Where the run was at the peak's sample, the same in every run: how a replay finds it. */
  peak_mark: { ticks: number; allocations: number; reason: string };
  peak_step: string | null;
  cap_hit: boolean;
  cap_request_bytes: number;
  gc_count: number;
  /** Pauses in which the host read which tracked buffers are alive, and those it did not answer. */
  liveness_reads: number;
  /** Looks at the heap's size prompted by the submission's ticks and large built-in results. */
  heap_checks: number;
  liveness_failures: number;
  /** How far below the exact maximum the reported peak may be (the sampling tolerance). */
  tolerance_bytes: number;
  measure_ms: number;
  run_ms: number;
  steps: StepRecord[];
  live_at_peak: AllocationRecord[];
  allocations: AllocationRecord[];
  timeline: SampleRecord[];
}

/** The check of a second, small run on input the submission could not predict. */
export interface HiddenCheck {
  correct: boolean;
  message: string;
}

/** Highest exact live figure seen by the host, kept even when the isolate dies. */
export interface PeakSoFar {
  peak_bytes: number;
  peak_external_bytes: number;
  peak_heap_bytes: number;
}

/** How a sandboxed run ended, before any verdict is drawn from it. */
export type RunOutcome =
  | { kind: 'report'; report: IsolateReport; holders: PeakHolders; hidden: HiddenCheck | null }
  | { kind: 'syntax_error'; message: string; line: number | null; column: number | null }
  /** Refused before it ran: it reaches for what the grader inserts (instrument.ts). */
  | { kind: 'invalid'; message: string }
  | { kind: 'missing_entry_point'; message: string }
  | { kind: 'load_error'; error: ThrownError; report: IsolateReport | null }
  | { kind: 'timeout'; limit: 'wall' | 'cpu'; limit_ms: number; peak: PeakSoFar | null }
  | { kind: 'memory_cap'; message: string; peak: PeakSoFar | null }
  | { kind: 'crashed'; message: string; peak: PeakSoFar | null };
