// The sandbox host, as the layers above use it: a pool of sandbox processes (or one process) that
// runs a job and answers its outcome, how they are launched, and the records of a run. What runs
// inside the child (child-main.ts, the isolate runs, the inspector) is not offered here: loading
// it would load isolated-vm into the caller.
export { SandboxPool, poolSize, type RunHooks } from './pool.ts';
export { SandboxProcess, SANDBOX_ENTRY, rssLimitBytes } from './sandbox-process.ts';
export { DEFAULT_SANDBOX_USER, type StartedChild } from './start.ts';
export { sandboxLaunch } from './launch.ts';
export { SUBMISSION_FILE } from './constants.ts';
export { LIST_LIMITS } from './list-limits.ts';
export {
  AllocationBase,
  HiddenCheck,
  HeapHolderRecord,
  HolderRecord,
  IsolateReport,
  NAME,
  Nullable,
  SENTENCE,
  Text,
  ThrownError,
  type AllocationRecord,
  type PeakHolders,
  type PeakSoFar,
  type RunOutcome,
  type SandboxJob,
} from './types.ts';
