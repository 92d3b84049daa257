// Messages between a sandbox child process and its parent, over Node's IPC channel.
import type { RunOutcome, SandboxJob } from './types.ts';

export type ParentMessage = { type: 'run'; id: number; job: SandboxJob };
export type ChildMessage = { type: 'ready' } | { type: 'result'; id: number; outcome: RunOutcome };
