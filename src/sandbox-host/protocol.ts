// Messages between a sandbox child process and its parent, over Node's IPC channel.
import type { RunOutcome, SandboxJob } from './types.ts';

export type ParentMessage = { type: 'run'; id: number; job: SandboxJob };
/** `recycle`: the child should be replaced before its next job (see takeRecycle in isolate-run.ts). */
export type ChildMessage = { type: 'ready' } | { type: 'result'; id: number; outcome: RunOutcome; recycle: boolean };
