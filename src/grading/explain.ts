// Turns the holders found at the peak into what a student reads: who holds each allocation,
// a hint where the holder is in the submission, and the budget in the exercise's own unit.
import {
  SUBMISSION_FILE,
  type AllocationRecord,
  type HeapHolderRecord,
  type HolderRecord,
  type IsolateReport,
  type PeakHolders,
} from '../sandbox-host/index.ts';
import type { Assignment } from './assignments.ts';
import { sizes } from './format.ts';
import type { GradeResult, LiveAllocation } from './result.ts';

/** Holders listed per allocation; the others are counted. */
const MAX_HOLDERS = 8;

/** The last line of the submission that mentions `name`: where it was last read. */
function lastMention(code: string, name: string): number | null {
  const pattern = new RegExp(`(^|[^\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
  const lines = code.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return i + 1;
  return null;
}

function hintFor(holders: HolderRecord[], bytes: number, peakStep: string | null, code: string, assignment: Assignment): string | null {
  const { entry_point: entry, limits } = assignment.manifest;
  const size = sizes(limits.peak_bytes)(bytes);
  const where = peakStep ? ` at the peak in ${peakStep}` : ' at the peak';
  // Held by a frame of the helpers, it is the input or output of the step running at the
  // peak: needed there, whatever else also holds it.
  if (holders.some((h) => h.file !== null && h.file !== SUBMISSION_FILE)) return null;
  const own = holders.find((h) => h.file === SUBMISSION_FILE || h.file === null);
  if (!own) return null;
  switch (own.kind) {
    case 'local':
    case 'parameter': {
      const last = lastMention(code, own.name);
      const read = last === null ? '' : ` is not read after line ${last} but`;
      return `\`${own.name}\`${read} still holds ${size}${where}: reassign one variable at each step, or drop the reference once it is used`;
    }
    case 'closure':
      return `\`${own.name}\`, captured by a closure, still holds ${size}${where}: a closure keeps what it captures alive as long as the closure lives`;
    case 'global':
    case 'module':
      return `the top-level \`${own.name}\` holds ${size} for the whole run${where}: keep the array local to ${entry}, or set it to null once used`;
    case 'property':
      return (
        `the property \`${own.name}\` still holds ${size}${where}: an object that outlives a step keeps its arrays alive; ` +
        'delete the property or set it to null once used'
      );
    case 'temporary':
      return (
        `${own.name} holds ${size}${where}: V8 keeps the argument of a nested call in a register until ${own.function} returns; ` +
        "assign each step's result to one variable instead of nesting the calls"
      );
    case 'new':
      return null;
  }
}

/** What a student can change about a binding that keeps the JS heap alive at the peak. */
function heapHintFor(holder: HeapHolderRecord, assignment: Assignment): string | null {
  if (holder.file !== null && holder.file !== SUBMISSION_FILE) return null;
  const size = sizes(assignment.manifest.limits.peak_bytes)(holder.bytes);
  const through = holder.path === '' ? '' : ` through \`${holder.name}${holder.path}\``;
  switch (holder.kind) {
    case 'local':
    case 'parameter':
      return (
        `\`${holder.name}\`, a ${holder.kind} of ${holder.function}, keeps ${size} alive${through}: if its values are used one at a time, ` +
        'make them one at a time (a generator, or a loop that keeps only what the next value needs) instead of keeping them all'
      );
    case 'global':
    case 'module':
    case 'closure':
      return (
        `${holder.kind === 'closure' ? `\`${holder.name}\`, captured by a closure,` : `the top-level \`${holder.name}\``} keeps ${size} alive` +
        `${through} for as long as the program runs: what a class, a closure or the top level holds outlives every call; keep it ` +
        'with the object it belongs to (an instance field, a WeakMap), or bound it, so that it dies with that object'
      );
    case 'temporary':
      return (
        `values passed between calls in ${holder.function} keep ${size} alive: V8 keeps the arguments of a nested call until it ` +
        'returns, so all of them exist at once; make and pass them one at a time (lazily) instead'
      );
    default:
      return null;
  }
}

export function explain(
  assignment: Assignment,
  code: string,
  report: IsolateReport,
  holders: PeakHolders,
): Pick<GradeResult, 'live_at_peak' | 'explanation'> {
  const heldBy = new Map(holders.status === 'complete' ? holders.held.map((h) => [h.id, h.holders]) : []);
  const live: LiveAllocation[] = report.live_at_peak
    .map((a: AllocationRecord) => {
      const found = heldBy.get(a.id) ?? [];
      return {
        id: a.id,
        step: a.step,
        site: a.site,
        function: a.function,
        file: a.file,
        line: a.line,
        bytes: a.bytes,
        holders: found.slice(0, MAX_HOLDERS),
        holders_omitted: Math.max(0, found.length - MAX_HOLDERS),
        hint: hintFor(found, a.bytes, report.peak_step, code, assignment),
      };
    })
    .sort((a, b) => b.bytes - a.bytes || a.id - b.id);

  const { unit, lower_bound_bytes: lower } = assignment.manifest;
  const units = (bytes: number) => Math.round((bytes / unit.bytes) * 10) / 10;
  const shown = sizes(assignment.manifest.limits.peak_bytes);
  // What the peak held, in the exercise's unit: its ArrayBuffers, counted as the allocations
  // listed, when they are most of it (clinging-onto-memory's 100 MB arrays); else the whole peak,
  // JS heap and all (fibonacci-sequence's BigInts, lru-cache's cache).
  const buffers = report.peak_external_bytes >= report.peak_heap_bytes;
  const alive = buffers
    ? `${live.length} allocation${live.length === 1 ? ' was' : 's were'} alive at the peak (${units(report.peak_external_bytes)} x ${unit.name})`
    : `${shown(report.peak_bytes)} was alive at the peak (${units(report.peak_bytes)} x ${unit.name})`;
  const summary =
    `${alive}; ` +
    `the limit holds ${Math.floor(assignment.manifest.limits.peak_bytes / unit.bytes)} x ${unit.name}, ` +
    `and the exercise can be done in ${shown(lower)} (${units(lower)} x ${unit.name}).`;
  return {
    live_at_peak: live,
    explanation: {
      status: holders.status,
      reason: holders.status === 'missing' ? holders.reason : null,
      summary,
      lower_bound_bytes: lower,
      heap_holders: holders.status === 'complete' ? holders.heap.map((h) => ({ ...h, hint: heapHintFor(h, assignment) })) : [],
    },
  };
}
