// What reaches a trusted side from an untrusted one, checked before anything reads it: the
// harness's report out of the isolate, whose realm the submission shares, and the messages of a
// sandbox child process, which runs the submission. A defect of the harness, or a submission
// that got hold of either, could send anything; what breaks its schema is refused whole, with a
// short account of the first thing wrong.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type ValueError } from '@sinclair/typebox/compiler';
import { ChildMessage, PeakLine } from './protocol.ts';
import { cutText, TEXT_LIMITS } from './text-limits.ts';
import { IsolateReport } from './types.ts';

type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Errors looked at per variant of a union: enough to tell the closest. */
const ERRORS_PER_VARIANT = 8;

/**
 * The error to report. A union's own says only that no variant matched: the one inside the
 * variant with the fewest errors says what is wrong (the message and the outcome are unions).
 */
function telling(error: ValueError | undefined): ValueError | undefined {
  if (error === undefined || error.errors.length === 0) return error;
  const variants = error.errors.map((variant) => {
    const found: ValueError[] = [];
    for (const inner of variant) if (found.push(inner) === ERRORS_PER_VARIANT) break;
    return found;
  });
  return telling(variants.reduce((a, b) => (b.length < a.length ? b : a))[0]) ?? error;
}

function checker<T extends TSchema>(schema: T): (value: unknown) => Checked<Static<T>> {
  const compiled = TypeCompiler.Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return { ok: true, value };
    const error = telling(compiled.Errors(value).First());
    // The path quotes the keys the sender chose: cut like any text of theirs.
    const problem = error === undefined ? 'it breaks its schema' : `at ${error.path || '/'}: ${error.message}`;
    return { ok: false, problem: cutText(problem, TEXT_LIMITS.name) };
  };
}

function fromJson<T>(text: unknown, check: (value: unknown) => Checked<T>): Checked<T> {
  if (typeof text !== 'string') return { ok: false, problem: `not JSON text (${typeof text})` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  return check(value);
}

const checkReport = checker(IsolateReport);
const checkPeakLine = checker(PeakLine);

/** The report the harness returns from the isolate, as JSON text. */
export const parseReport = (json: unknown): Checked<IsolateReport> => fromJson(json, checkReport);

/** A message of a sandbox child process, as Node's IPC channel decoded it. */
export const parseChildMessage: (message: unknown) => Checked<ChildMessage> = checker(ChildMessage);

/** A line of a sandbox child's stdout. */
export const parsePeakLine = (line: string): Checked<PeakLine> => fromJson(line, checkPeakLine);
