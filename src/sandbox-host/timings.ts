// Where a grading's time goes, for `npm run bench:cli`: named points in time, in ms since the
// Unix epoch as each process's performance clock has them (performance.timeOrigin + now()), so
// that the command line's points and its sandbox child's can be laid on one line. A sandbox
// child sends its job's record with the result (protocol.ts has its schema); nothing of it reaches
// a result. No schema library here: a sandbox child loads this before it is ready.

/** At most this many points in a record: a child that sends more breaks the message's schema. */
export const MAX_POINTS = 64;

export type Timings = Record<string, number>;

/** Now, in ms since the epoch, to the microsecond. */
export const epochNow = () => performance.timeOrigin + performance.now();

/** A record of points (`mark`) and summed durations (`add`, names ending in _ms), under a prefix. */
export class Timeline {
  readonly record: Timings;
  private readonly prefix: string;

  constructor(record: Timings = {}, prefix = '') {
    this.record = record;
    this.prefix = prefix;
  }

  mark(name: string): void {
    if (Object.keys(this.record).length < MAX_POINTS) this.record[this.prefix + name] = epochNow();
  }

  add(name: string, ms: number): void {
    const key = `${this.prefix}${name}_ms`;
    if (key in this.record || Object.keys(this.record).length < MAX_POINTS) this.record[key] = (this.record[key] ?? 0) + ms;
  }

  /** The same record, its names under `prefix` (one run of a job: `measured.`, `hidden.`). */
  under(prefix: string): Timeline {
    return new Timeline(this.record, this.prefix + prefix);
  }
}
