// Messages between a sandbox child process and its parent, over Node's IPC channel, and the peak
// lines a child writes to its stdout. What the child sends is a schema: the parent checks it
// (boundary.ts) before it reads any of it.
import { Type, type Static } from '@sinclair/typebox';
import { MAX_POINTS } from './timings.ts';
import { PeakSoFar, RunOutcome, type SandboxJob } from './types.ts';

/** Where a job's time went in the child (timings.ts). */
const Timings = Type.Record(Type.String({ maxLength: 40, pattern: '^[a-z_.]+$' }), Type.Number(), { maxProperties: MAX_POINTS });

export type ParentMessage = { type: 'run'; id: number; job: SandboxJob };

/**
 * `measured`: everything the verdict needs, sent before a replay explains the peak; the parent
 * keeps it should the child die or run out of time during the replay. `recycle`: the child
 * should be replaced before its next job (see takeRecycle in job-runs.ts). `timings`: where the
 * job's time went in the child (timings.ts), for bench:cli.
 */
export const ChildMessage = Type.Union([
  Type.Object({ type: Type.Literal('ready') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('measured'), id: Type.Integer(), outcome: RunOutcome }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('result'), id: Type.Integer(), outcome: RunOutcome, recycle: Type.Boolean(), timings: Type.Optional(Timings) },
    { additionalProperties: false },
  ),
]);
export type ChildMessage = Static<typeof ChildMessage>;

/** A new peak of job `id`, written with a blocking write so that it outlives a V8 abort. */
export const PeakLine = Type.Object({ id: Type.Integer(), peak: PeakSoFar }, { additionalProperties: false });
export type PeakLine = Static<typeof PeakLine>;
