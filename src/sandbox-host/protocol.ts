// Messages between a sandbox child process and its parent, over Node's IPC channel.
import type { RunOutcome, SandboxJob } from './types.ts';

export type ParentMessage = { type: 'run'; id: number; job: SandboxJob };
/**
 * `measured`: everything the verdict needs, sent before a replay explains the peak; the parent
 * keeps it should the child die or run out of time during the replay. `recycle`: the child
 * should be replaced before its next job (see takeRecycle in isolate-run.ts).
 */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'measured'; id: number; outcome: RunOutcome }
  | { type: 'result'; id: number; outcome: RunOutcome; recycle: boolean };
