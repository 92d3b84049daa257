// A fixed number of sandbox processes shared by concurrent gradings. A sandbox process is
// replaced after a number of jobs (isolated-vm leaves some memory behind per isolate) and
// whenever it dies; a job whose sandbox process died under it gets one more try in a freshly
// started one, because a killed or crashed process says nothing certain about the submission.
import { availableParallelism, totalmem } from 'node:os';
import { SandboxProcess } from './sandbox-process.ts';
import type { RunOutcome, SandboxJob } from './types.ts';
import { PoolClosedError } from '../errors.ts';

interface PoolOptions {
  size: number;
  /** Jobs a sandbox process runs before it is replaced. */
  maxJobsPerProcess: number;
  /** The user sandbox processes run as when this process is root. */
  sandboxUser?: string;
}

export interface RunHooks {
  /** Called when an attempt starts in a sandbox process, with its pid and the attempt's number (1, 2). */
  onAttempt?: (attempt: { pid: number | undefined; number: number }) => void;
}

interface PoolStats {
  size: number;
  alive: number;
  /** Highest resident set size of any sandbox process this pool has run, replaced ones included. */
  peakRssBytes: number;
  /** Sandbox processes started so far, replacements included. */
  started: number;
}

/** Tries a job gets when its sandbox process dies under it. */
const ATTEMPTS = 2;
/** A sandbox process not ready by then is stuck, not slow: it normally starts in well under a second. */
const START_TIMEOUT_MS = 30_000;

/** Memory this process may use: the machine's, or its container's (cgroup) limit when lower. */
function usableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** As many sandbox processes as there are CPUs, but no more than the memory budget (default: half) holds. */
export function poolSize(budget: { memoryBytes?: number; perProcessBytes: number; cpus?: number }): number {
  const cpus = budget.cpus ?? availableParallelism();
  const memory = budget.memoryBytes ?? usableMemory() / 2;
  return Math.max(1, Math.min(cpus, Math.floor(memory / budget.perProcessBytes)));
}

interface Slot {
  sandbox: SandboxProcess;
  busy: boolean;
}

export class SandboxPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  private retiredPeakRss = 0;
  private started = 0;

  private readonly options: PoolOptions;

  constructor(options: PoolOptions) {
    this.options = options;
    for (let i = 0; i < options.size; i++) this.slots.push({ sandbox: this.spawn(), busy: false });
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * Runs a job in a free sandbox process; resolves with a 'crashed' outcome only if two sandbox
   * processes died on it. The pool does not queue: its caller (the grading queue, a command grading several
   * files) runs at most `size` jobs at once, and decides which goes next.
   */
  async run(job: SandboxJob, hooks: RunHooks = {}): Promise<RunOutcome> {
    const slot = this.acquire();
    try {
      let outcome: RunOutcome | null = null;
      for (let number = 1; number <= ATTEMPTS; number++) {
        if (!slot.sandbox.alive || !slot.sandbox.fits(job.limits.memoryCapMb)) this.replace(slot);
        hooks.onAttempt?.({ pid: slot.sandbox.pid, number });
        outcome = await this.attempt(slot.sandbox, job);
        if (outcome.kind !== 'crashed' || this.closed) break;
        this.replace(slot);
      }
      if (outcome?.kind === 'crashed' && !this.closed) {
        return { ...outcome, message: `${outcome.message}, in ${ATTEMPTS} sandbox processes in a row` };
      }
      return outcome as RunOutcome;
    } finally {
      this.release(slot);
    }
  }

  stats(): PoolStats {
    const sandboxes = this.slots.map((slot) => slot.sandbox);
    return {
      size: this.size,
      alive: sandboxes.filter((s) => s.alive).length,
      peakRssBytes: Math.max(this.retiredPeakRss, ...sandboxes.map((s) => s.peakRssBytes)),
      started: this.started,
    };
  }

  /** Kills every sandbox process; jobs still running resolve as crashed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.sandbox.close()));
  }

  private spawn(): SandboxProcess {
    const sandbox = new SandboxProcess({ user: this.options.sandboxUser });
    this.started++;
    // A sandbox process that dies while idle (killed from outside, say) is replaced before it is needed;
    // one that never got ready is left for the next job to replace, or a broken install would
    // start processes in a loop.
    let ready = false;
    sandbox.ready.then(() => (ready = true), () => undefined);
    sandbox.child.once('exit', () => {
      const slot = this.slots.find((s) => s.sandbox === sandbox);
      if (ready && slot && !slot.busy && !this.closed) this.replace(slot);
    });
    return sandbox;
  }

  private replace(slot: Slot): void {
    const old = slot.sandbox;
    this.retiredPeakRss = Math.max(this.retiredPeakRss, old.peakRssBytes);
    void old.close();
    slot.sandbox = this.spawn();
  }

  /** One attempt; a sandbox process that fails to start, or takes too long to, counts as one that crashed. */
  private async attempt(sandbox: SandboxProcess, job: SandboxJob): Promise<RunOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const slowStart = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([sandbox.ready, slowStart]);
      clearTimeout(timer);
      return await sandbox.run(job);
    } catch (error) {
      void sandbox.close();
      return { kind: 'crashed', message: `the sandbox process failed to start: ${(error as Error).message}`, peak: null };
    } finally {
      clearTimeout(timer);
    }
  }

  private acquire(): Slot {
    if (this.closed) throw new PoolClosedError('the sandbox pool is closed');
    const free = this.slots.find((s) => !s.busy);
    if (!free) throw new Error(`all ${this.size} sandbox processes are busy: a caller ran more jobs at once than the pool has`);
    free.busy = true;
    return free;
  }

  private release(slot: Slot): void {
    if (!this.closed && (!slot.sandbox.alive || slot.sandbox.jobsRun >= this.options.maxJobsPerProcess)) this.replace(slot);
    slot.busy = false;
  }
}
