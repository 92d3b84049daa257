// One sandbox child process, seen from its parent: starts it, hands it a job, and turns every
// way the child can fail (V8 abort, runaway memory, a hang past every deadline) into a
// RunOutcome, so that no submission can take the parent down or leave it waiting.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseChildMessage, parsePeakLine } from './boundary.ts';
import type { ParentMessage } from './protocol.ts';
import { startSandboxChild, type StartedChild } from './start.ts';
import { epochNow, type Timings } from './timings.ts';
import type { PeakSoFar, RunOutcome, SandboxJob } from './types.ts';

export { SANDBOX_ENTRY } from './start.ts';
const STDERR_TAIL_BYTES = 8192;
const RSS_POLL_MS = 50;
/** Time a child gets beyond the job's own limits to set up, report and tear down. */
const DEADLINE_GRACE_MS = 5000;

/**
 * The longest a job may take in its child: the measured run and the hidden check each within
 * the submission's timeout, the explanation within its budget, and the grace.
 */
const jobDeadlineMs = (job: SandboxJob) =>
  job.limits.timeoutMs * (job.hiddenSetup === null ? 1 : 2) + job.limits.explainMs + DEADLINE_GRACE_MS;
/**
 * What V8 prints, each at the start of a line, when it aborts on a heap it cannot grow. Only the
 * stderr of the job at hand is searched: nothing a submission does reaches stderr.
 */
const V8_OOM = /^(<--- Last few GCs --->|is_heap_oom = 1|FATAL ERROR: .*(out of memory|heap limit)|# Fatal process out of memory)/m;

/** Resident memory a sandbox process may reach beyond the isolate's own cap. */
const PROCESS_OVERHEAD_BYTES = 512 * 1024 * 1024;

/** Resident memory a whole sandbox process may use, for an isolate capped at `memoryCapMb`. */
export const rssLimitBytes = (memoryCapMb: number) => memoryCapMb * 1024 * 1024 + PROCESS_OVERHEAD_BYTES;

function rssOf(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export class SandboxProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  jobsRun = 0;
  private exited = false;
  /** Set as soon as the child is being stopped: it takes no job from then on. */
  private stopping = false;
  private stderrTail = '';
  private nextId = 1;
  private peaks = new Map<number, PeakSoFar>();
  private maxRss = 0;
  /** Where the last job's time went (timings.ts), in the child and around it: for bench:cli. */
  lastTimings: Timings | null = null;

  /** `started`: a child started already (start.ts), taken over; else one is started now. */
  constructor(options: { user?: string; started?: StartedChild } = {}) {
    const started = options.started ?? startSandboxChild({ user: options.user });
    this.child = started.child;
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        // A child only writes peaks to stdout: anything else is noise.
        const parsed = parsePeakLine(line);
        if (parsed.ok) this.peaks.set(parsed.value.id, parsed.value.peak);
      });
    }
    this.ready = new Promise((resolve, reject) => {
      let isReady = false;
      const onMessage = (message: unknown) => {
        const parsed = parseChildMessage(message);
        if (!isReady && parsed.ok && parsed.value.type === 'ready') {
          isReady = true;
          this.child.off('message', onMessage);
          resolve();
        }
      };
      this.child.on('message', onMessage);
      const exitedEarly = (code: number | null, signal: NodeJS.Signals | null) =>
        reject(new Error(`sandbox process exited before it was ready (${signal ?? code}): ${this.stderrTail.trim()}`));
      this.child.once('exit', exitedEarly);
      // What the child said, or whether it ended, before this object listened (its last words
      // on stderr read first).
      for (const message of started.takeMessages()) onMessage(message);
      const { exitCode, signalCode, stderr } = this.child;
      if (exitCode !== null || signalCode !== null) {
        if (stderr === null || stderr.readableEnded || stderr.destroyed) exitedEarly(exitCode, signalCode);
        else stderr.once('close', () => exitedEarly(exitCode, signalCode));
      }
    });
    // Callers that never run a job must not see an unhandled rejection if the child dies.
    this.ready.catch(() => undefined);
    this.exited = this.child.exitCode !== null || this.child.signalCode !== null;
    this.child.once('exit', () => {
      this.exited = true;
    });
  }

  get alive(): boolean {
    return !this.exited && !this.stopping && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Whether this process may take a job of that isolate cap: one that kept more than half of the job's memory
   * limit (a previous job had a higher cap, and glibc need not give memory back) would start it
   * near the limit and be stopped for what it held before.
   */
  fits(memoryCapMb: number): boolean {
    const rss = this.child.pid === undefined ? null : rssOf(this.child.pid);
    return rss === null || rss <= rssLimitBytes(memoryCapMb) / 2;
  }

  /** The highest resident set size sampled while this process ran jobs. */
  get peakRssBytes(): number {
    return this.maxRss;
  }

  /**
   * Runs one job. Resolves with the child's own outcome, or with one made here when the child
   * dies, outgrows its resident-memory limit, or outlives the job's deadline.
   */
  async run(job: SandboxJob): Promise<RunOutcome> {
    const rssLimit = rssLimitBytes(job.limits.memoryCapMb);
    await this.ready;
    if (!this.alive) return { kind: 'crashed', message: 'the sandbox process had died before the job', peak: null };
    const id = this.nextId++;
    this.jobsRun++;
    this.stderrTail = '';
    return new Promise<RunOutcome>((resolve) => {
      let killedFor: 'deadline' | 'rss' | null = null;
      let measured: RunOutcome | null = null;
      const finish = (outcome: RunOutcome) => {
        clearTimeout(deadline);
        clearInterval(watch);
        this.child.off('message', onMessage);
        this.child.off('close', onClose);
        this.peaks.delete(id);
        resolve(outcome);
      };
      const kill = (why: 'deadline' | 'rss') => {
        killedFor = why;
        this.child.kill('SIGKILL');
      };
      const deadline = setTimeout(() => kill('deadline'), jobDeadlineMs(job));
      const watch = setInterval(() => {
        const rss = this.child.pid === undefined ? null : rssOf(this.child.pid);
        if (rss === null) return;
        this.maxRss = Math.max(this.maxRss, rss);
        if (rss > rssLimit) kill('rss');
      }, RSS_POLL_MS);
      const onMessage = (raw: unknown) => {
        const parsed = parseChildMessage(raw);
        if (!parsed.ok) {
          // Nothing of it is used, and a child that sent it gets no other job.
          const peak = this.peaks.get(id) ?? null;
          void this.close();
          finish({ kind: 'crashed', message: `the sandbox process sent a malformed message (${parsed.problem})`, peak });
          return;
        }
        const message = parsed.value;
        if (message.type === 'measured' && message.id === id) measured = message.outcome;
        if (message.type !== 'result' || message.id !== id) return;
        // A child that asks to be replaced is stopped now, and so is one that kept much of the
        // job's memory (glibc need not give it back): the next job would start near the limit.
        // Its pool starts another.
        this.lastTimings = { ...message.timings, 'parent.sent': sentAt, 'parent.received': epochNow() };
        const rss = this.child.pid === undefined ? null : rssOf(this.child.pid);
        if (message.recycle || (rss !== null && rss > rssLimit / 2)) void this.close();
        finish(message.outcome);
      };
      // Classified once the child's output is all read: its last peak line and V8's
      // out-of-memory text may still be in the pipes when the process exits.
      const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
        const peak = this.peaks.get(id) ?? null;
        if (measured !== null) {
          // Graded already; only the explanation's replay was lost.
          const why = killedFor === 'deadline' ? 'out of time' : `the sandbox process died: ${signal ?? code}`;
          const reason = `the explanation's replay did not finish (${why})`;
          finish(measured.kind === 'report' ? { ...measured, holders: { status: 'missing', reason } } : measured);
        } else if (killedFor === 'deadline') {
          finish({ kind: 'timeout', limit: 'wall', limit_ms: job.limits.timeoutMs, peak });
        } else if (killedFor === 'rss' || V8_OOM.test(this.stderrTail)) {
          finish({
            kind: 'memory_cap',
            message:
              killedFor === 'rss'
                ? `the sandbox process grew past ${Math.round(rssLimit / 2 ** 20)} MiB and was stopped`
                : 'V8 ran out of memory and aborted the sandbox process',
            peak,
          });
        } else {
          finish({ kind: 'crashed', message: `the sandbox process died (${signal ?? `exit code ${code}`})`, peak });
        }
      };
      this.child.on('message', onMessage);
      this.child.once('close', onClose);
      const message: ParentMessage = { type: 'run', id, job };
      const sentAt = epochNow();
      this.child.send(message);
    });
  }

  /** Stops the child now and resolves once it is gone. */
  async close(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.stopping = true;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}
