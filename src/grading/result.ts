// The grading result: one TypeBox schema is the source of the TypeScript type, the API's
// validation, openapi.yaml and the tests' checks. What a sandboxed run reports reaches it as the
// run's own records (sandbox-host/types.ts), with their bounds: a result comes out of a sandbox
// process, and one that breaks a bound (a compromised child, a harness defect) is refused
// before it is stored or shown.
import { Type, type Static } from '@sinclair/typebox';
import {
  AllocationBase,
  HeapHolderRecord,
  HiddenCheck,
  HolderRecord,
  IsolateReport,
  LIST_LIMITS,
  NAME,
  Nullable,
  SENTENCE,
  Text,
  ThrownError,
} from '../sandbox-host/index.ts';

export const GradeStatus = Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('error')], {
  description: 'passed: correct and under the limit; failed: ran but missed the limit or the result; error: could not be graded to the end',
});

export const GradeReason = Nullable(
  Type.Union([
    Type.Literal('memory_limit'),
    Type.Literal('wrong_result'),
    Type.Literal('syntax_error'),
    Type.Literal('runtime_error'),
    Type.Literal('timeout'),
    Type.Literal('memory_cap'),
    Type.Literal('missing_entry_point'),
    Type.Literal('invalid_submission'),
    Type.Literal('internal'),
  ]),
);

export const LiveAllocation = Type.Composite(
  [
    AllocationBase,
    Type.Object({
      holders: Type.Array(HolderRecord, {
        maxItems: 8,
        description: 'what keeps it alive at the peak, innermost frame first (the first 8); empty when the explanation is missing',
      }),
      holders_omitted: Type.Integer({ minimum: 0, description: 'holders beyond the 8 listed' }),
      hint: Nullable(Text(SENTENCE, { description: 'what the student can change, when the holder is in the submission' })),
    }),
  ],
  { additionalProperties: false },
);

export const Explanation = Type.Object(
  {
    status: Type.Union([Type.Literal('complete'), Type.Literal('missing')]),
    reason: Nullable(Text(SENTENCE, { description: 'why the holders are missing' })),
    summary: Text(SENTENCE),
    lower_bound_bytes: Type.Integer({ description: 'the least peak the assignment allows' }),
    heap_holders: Type.Array(
      Type.Object(
        {
          ...HeapHolderRecord.properties,
          hint: Nullable(Text(SENTENCE, { description: 'what the student can change, when the holder is in the submission' })),
        },
        { additionalProperties: false },
      ),
      {
        maxItems: LIST_LIMITS.heapHolders,
        description:
          'when the peak is mostly JS heap (1 MiB or more): the variables that alone keep it alive, largest first, from a heap snapshot at the peak ' +
          `(the first ${LIST_LIMITS.heapHolders}, each at least 1/50 of the heap part); a temporary is what only the stack keeps: values passed between calls`,
      },
    ),
  },
  { additionalProperties: false },
);

/** What the submission threw, located in its code. */
export const SubmissionError = Type.Object(
  {
    name: ThrownError.properties.name,
    message: ThrownError.properties.message,
    line: Nullable(Type.Integer()),
    column: Nullable(Type.Integer()),
    stack: ThrownError.properties.stack,
  },
  { additionalProperties: false },
);

export const ScorePart = Type.Object(
  {
    part: Type.Union([Type.Literal('correct'), Type.Literal('memory')], {
      description: 'correct: the result is right; memory: the peak is within the limit (partial credit up to a second threshold, when the assignment gives it)',
    }),
    score: Type.Number({ minimum: 0 }),
    max_score: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ScorePart = Static<typeof ScorePart>;

export const GradeLimits = Type.Object(
  {
    peak_bytes: Type.Integer(),
    memory_cap_bytes: Type.Integer(),
    timeout_ms: Type.Integer(),
    cpu_time_ms: Type.Integer(),
    max_code_bytes: Type.Integer(),
  },
  { additionalProperties: false },
);

export const Versions = Type.Object(
  { memgrade: Type.String(), node: Type.String(), v8: Type.String(), isolated_vm: Type.String() },
  { additionalProperties: false },
);

export const GradeResult = Type.Object(
  {
    assignment: Text(NAME),
    status: GradeStatus,
    reason: GradeReason,
    message: Text(2 * SENTENCE),
    correct: Nullable(Type.Boolean()),
    check: IsolateReport.properties.check,
    hidden_check: Nullable(HiddenCheck),
    peak_bytes: Nullable(Type.Integer({ description: 'highest live bytes (ArrayBuffers + JS heap) at any allocation, above the baseline' })),
    peak_external_bytes: Nullable(Type.Integer()),
    peak_heap_bytes: Nullable(Type.Integer()),
    limit_bytes: Type.Integer(),
    peak_step: IsolateReport.properties.peak_step,
    steps: IsolateReport.properties.steps,
    live_at_peak: Type.Array(LiveAllocation, { maxItems: IsolateReport.properties.live_at_peak.maxItems, description: 'largest first (the first 100)' }),
    explanation: Nullable(Explanation),
    untracked_at_peak_bytes: Type.Integer({
      description: 'ArrayBuffer bytes live at the peak that no listed allocation accounts for (allocations under 1 KiB, or past the first 100 listed)',
    }),
    allocations: IsolateReport.properties.allocations,
    timeline: IsolateReport.properties.timeline,
    error: Nullable(SubmissionError),
    limits: GradeLimits,
    measurement: Type.Object(
      {
        gc_count: Type.Integer(),
        measure_ms: Type.Number(),
        tolerance_bytes: Type.Integer({ description: 'peak_bytes is at most this far below the exact maximum' }),
        heap_figure: Type.Union([...IsolateReport.properties.heap_figure.anyOf, Type.Null()], {
          description:
            "what peak_heap_bytes counts: `data_spaces`, the JS heap's data (the native heap-space reader, built at install where a " +
            'C++ compiler is), or `used_heap`, which also counts compiled code (tens of KB more, and less steady); null when nothing ran',
        }),
      },
      { additionalProperties: false },
    ),
    duration_ms: Type.Number(),
    score: Type.Number({ minimum: 0, description: "the assignment's points earned: see score_parts" }),
    max_score: Type.Number({ minimum: 0 }),
    score_parts: Type.Array(ScorePart, { maxItems: 2, description: 'memory points count only with a correct result' }),
    versions: Versions,
  },
  { additionalProperties: false, $id: 'GradeResult' },
);

export type GradeResult = Static<typeof GradeResult>;
export type Holder = HolderRecord;
export type LiveAllocation = Static<typeof LiveAllocation>;
export type GradeReason = Static<typeof GradeReason>;
export type GradeStatus = Static<typeof GradeStatus>;
