// A fixed number of sandbox child processes shared by concurrent gradings. A worker is replaced
// after a number of jobs (isolated-vm leaves some memory behind per isolate) and whenever it
// dies; a job whose worker died under it gets one more try in a freshly started worker, because
// a killed or crashed process says nothing certain about the submission.
import { availableParallelism, totalmem } from 'node:os';
import { SandboxProcess } from './sandbox-process.ts';
import type { RunOutcome, SandboxJob } from './types.ts';
import { PoolClosedError } from '../errors.ts';

export interface PoolOptions {
  size: number;
  /** Jobs a worker runs before it is replaced. */
  maxJobsPerWorker: number;
  /** The user workers run as when this process is root. */
  sandboxUser?: string;
}

export interface RunHooks {
  /** Called when an attempt starts in a worker, with its pid and the attempt's number (1, 2). */
  onAttempt?: (attempt: { pid: number | undefined; number: number }) => void;
}

export interface PoolStats {
  size: number;
  alive: number;
  /** Highest resident set size of any worker this pool has run, replaced ones included. */
  peakRssBytes: number;
  /** Worker processes started so far, replacements included. */
  started: number;
}

/** Tries a job gets when its worker dies under it. */
const ATTEMPTS = 2;
/** A worker not ready by then is stuck, not slow: it normally starts in well under a second. */
const START_TIMEOUT_MS = 30_000;

/** Memory this process may use: the machine's, or its container's (cgroup) limit when lower. */
function usableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
}

/** As many workers as there are CPUs, but no more than the memory budget (default: half) holds. */
export function poolSize(budget: { memoryBytes?: number; perWorkerBytes: number; cpus?: number }): number {
  const cpus = budget.cpus ?? availableParallelism();
  const memory = budget.memoryBytes ?? usableMemory() / 2;
  return Math.max(1, Math.min(cpus, Math.floor(memory / budget.perWorkerBytes)));
}

// Raised here; defined, with its code, in the one table of errors.
export { PoolClosedError };

interface Slot {
  worker: SandboxProcess;
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
    for (let i = 0; i < options.size; i++) this.slots.push({ worker: this.spawn(), busy: false });
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * Runs a job in a free worker; resolves with a 'crashed' outcome only if two workers died on
   * it. The pool does not queue: its caller (the grading queue, a command grading several
   * files) runs at most `size` jobs at once, and decides which goes next.
   */
  async run(job: SandboxJob, hooks: RunHooks = {}): Promise<RunOutcome> {
    const slot = this.acquire();
    try {
      let outcome: RunOutcome | null = null;
      for (let number = 1; number <= ATTEMPTS; number++) {
        if (!slot.worker.alive || !slot.worker.fits(job.limits.memoryCapMb)) this.replace(slot);
        hooks.onAttempt?.({ pid: slot.worker.pid, number });
        outcome = await this.attempt(slot.worker, job);
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
    const workers = this.slots.map((slot) => slot.worker);
    return {
      size: this.size,
      alive: workers.filter((w) => w.alive).length,
      peakRssBytes: Math.max(this.retiredPeakRss, ...workers.map((w) => w.peakRssBytes)),
      started: this.started,
    };
  }

  /** Kills every worker; jobs still running resolve as crashed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.close()));
  }

  private spawn(): SandboxProcess {
    const worker = new SandboxProcess({ user: this.options.sandboxUser });
    this.started++;
    // A worker that dies while idle (killed from outside, say) is replaced before it is needed;
    // one that never got ready is left for the next job to replace, or a broken install would
    // start processes in a loop.
    let ready = false;
    worker.ready.then(() => (ready = true), () => undefined);
    worker.child.once('exit', () => {
      const slot = this.slots.find((s) => s.worker === worker);
      if (ready && slot && !slot.busy && !this.closed) this.replace(slot);
    });
    return worker;
  }

  private replace(slot: Slot): void {
    const old = slot.worker;
    this.retiredPeakRss = Math.max(this.retiredPeakRss, old.peakRssBytes);
    void old.close();
    slot.worker = this.spawn();
  }

  /** One attempt; a worker that fails to start, or takes too long to, counts as one that crashed. */
  private async attempt(worker: SandboxProcess, job: SandboxJob): Promise<RunOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const slowStart = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    });
    try {
      await Promise.race([worker.ready, slowStart]);
      clearTimeout(timer);
      return await worker.run(job);
    } catch (error) {
      void worker.close();
      return { kind: 'crashed', message: `the sandbox process failed to start: ${(error as Error).message}`, peak: null };
    } finally {
      clearTimeout(timer);
    }
  }

  private acquire(): Slot {
    if (this.closed) throw new PoolClosedError('the sandbox pool is closed');
    const free = this.slots.find((s) => !s.busy);
    if (!free) throw new Error(`all ${this.size} sandbox workers are busy: a caller ran more jobs at once than the pool has workers`);
    free.busy = true;
    return free;
  }

  private release(slot: Slot): void {
    if (!this.closed && (!slot.worker.alive || slot.worker.jobsRun >= this.options.maxJobsPerWorker)) this.replace(slot);
    slot.busy = false;
  }
}
