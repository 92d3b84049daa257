// The grading result: one TypeBox schema is the source of the TypeScript type, the API's
// validation, openapi.yaml and the tests' checks.
import { Type, type Static, type StringOptions } from '@sinclair/typebox';
import { cutLength, TEXT_LIMITS } from '../sandbox-host/text-limits.ts';

// Every string has a bound: a result comes out of a sandbox process, and one that breaks a
// bound (a compromised child, a harness defect) is refused before it is stored or shown.
const NAME = cutLength(TEXT_LIMITS.name);
const MESSAGE = cutLength(TEXT_LIMITS.message);
/** A sentence that quotes a name and a message of the submission's. */
const SENTENCE = 2 * MESSAGE;
const Text = (maxLength: number, options: StringOptions = {}) => Type.String({ ...options, maxLength });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

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

export const StepResult = Type.Object(
  {
    name: Text(NAME),
    calls: Type.Integer({ minimum: 0 }),
    allocated_bytes: Type.Integer({ description: 'ArrayBuffer bytes allocated while this step was the innermost one running' }),
    peak_live_bytes: Type.Integer({ description: 'highest exact live figure sampled while a call of this step was on the stack' }),
    live_after_bytes: Type.Integer({ description: 'exact live figure when the last measured call returned' }),
    duration_ms: Type.Number({ description: 'wall time inside the step, measurement time excluded' }),
  },
  { additionalProperties: false },
);

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

export const Holder = Type.Object(
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

export const LiveAllocation = Type.Composite(
  [
    AllocationBase,
    Type.Object({
      holders: Type.Array(Holder, {
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
  },
  { additionalProperties: false },
);

export const Allocation = Type.Composite(
  [
    AllocationBase,
    Type.Object({
      born_seq: Type.Integer({ description: 'first timeline sample at which it is live' }),
      died_seq: Nullable(Type.Integer({ description: 'first timeline sample at which it is gone; null if it outlived the run' })),
    }),
  ],
  { additionalProperties: false },
);

export const TimelineSample = Type.Object(
  {
    seq: Type.Integer(),
    t_ms: Type.Number(),
    live_bytes: Type.Integer(),
    external_bytes: Type.Integer(),
    heap_bytes: Type.Integer(),
    step: Text(NAME),
    reason: Text(2 * NAME, { description: 'start, allocation, heap, return:<step> or end' }),
  },
  { additionalProperties: false },
);

export const SubmissionError = Type.Object(
  {
    name: Text(NAME),
    message: Text(MESSAGE),
    line: Nullable(Type.Integer()),
    column: Nullable(Type.Integer()),
    stack: Nullable(Text(cutLength(TEXT_LIMITS.stack), { description: 'frames of the submission and the helpers only' })),
  },
  { additionalProperties: false },
);

export const CheckResult = Type.Object(
  {
    correct: Type.Boolean(),
    message: Nullable(Text(MESSAGE)),
    first_bad_index: Nullable(Type.Integer({ description: 'first element that differs from the expected result' })),
  },
  { additionalProperties: false },
);

export const HiddenCheckResult = Type.Object(
  {
    correct: Type.Boolean(),
    message: Text(SENTENCE, { description: 'what the check found on the hidden input' }),
  },
  {
    additionalProperties: false,
    description: 'a second, small run on input the submission cannot predict (from a seed it never sees), when the assignment declares one',
  },
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
    check: Nullable(CheckResult),
    hidden_check: Nullable(HiddenCheckResult),
    peak_bytes: Nullable(Type.Integer({ description: 'highest live bytes (ArrayBuffers + JS heap) at any allocation, above the baseline' })),
    peak_external_bytes: Nullable(Type.Integer()),
    peak_heap_bytes: Nullable(Type.Integer()),
    limit_bytes: Type.Integer(),
    peak_step: Nullable(Text(NAME)),
    steps: Type.Array(StepResult, { maxItems: 102 }),
    live_at_peak: Type.Array(LiveAllocation, { maxItems: 100, description: 'largest first (the first 100)' }),
    explanation: Nullable(Explanation),
    untracked_at_peak_bytes: Type.Integer({
      description: 'ArrayBuffer bytes live at the peak that no listed allocation accounts for (allocations under 1 KiB, or past the first 100 listed)',
    }),
    allocations: Type.Array(Allocation, { maxItems: 500, description: 'allocations of 64 KiB or more (the first 500), with their lifetimes on the timeline' }),
    timeline: Type.Array(TimelineSample, { maxItems: 1000, description: 'the exact samples, in order (the first 1,000)' }),
    error: Nullable(SubmissionError),
    limits: GradeLimits,
    measurement: Type.Object(
      {
        gc_count: Type.Integer(),
        measure_ms: Type.Number(),
        tolerance_bytes: Type.Integer({ description: 'peak_bytes is at most this far below the exact maximum' }),
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
export type Holder = Static<typeof Holder>;
export type LiveAllocation = Static<typeof LiveAllocation>;
export type GradeReason = Static<typeof GradeReason>;
export type GradeStatus = Static<typeof GradeStatus>;
