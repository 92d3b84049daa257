// Assignments are data: a folder per assignment with a manifest.json, read and validated here.
// Adding an exercise means adding a folder, never changing src/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloneType, Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AssignmentError } from '../errors.ts';

export const DEFAULT_ASSIGNMENTS_DIR = resolve(new URL('../../sandbox/assignments', import.meta.url).pathname);

const Identifier = Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', maxLength: 100 });
/** A function by its name, or a method by its path from one: `Algorithms.prototype.factorial_plus`. */
const StepName = Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$', maxLength: 200 });
/** An argument of the entry point: a helper global by its name, or a literal. */
const EntryArg = Type.Union([
  Identifier,
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
  Type.Object({ value: Type.Unknown() }, { additionalProperties: false, description: 'a JSON literal (a string, an array, an object)' }),
]);

export const Manifest = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: "the assignment's name in --assignment, the API and results: lowercase letters, digits and dashes, its folder's name",
    }),
    title: Type.String({ minLength: 1, description: 'its name for people: report pages, platform exports' }),
    summary: Type.String({ description: "one sentence: what the student does (the API's list; the description when there is no README.md)" }),
    entry_point: CloneType(Identifier, {
      description:
        'the function the submission defines at the top level of its script (or exports from a module): the grader calls it, ' +
        'measures it as a whole, and names it in every message',
    }),
    entry_args: Type.Optional(
      Type.Array(EntryArg, {
        maxItems: 100,
        description:
          'what the entry point is called with (default: nothing): a string names one of the globals, read after the hidden ' +
          'setup ran (so the hidden check can call it with other input); a number, true, false or null is itself; { "value": ... } ' +
          'is any JSON literal',
      }),
    ),
    helpers: Type.String({ description: 'file, relative to the folder, run in the isolate before the submission' }),
    globals: Type.Array(Identifier, { description: 'names the helpers file defines that the submission sees' }),
    steps: Type.Array(StepName, {
      maxItems: 100,
      description:
        'the measured functions, in the order of the report: globals of the helpers, or functions the submission defines at the ' +
        'top level of its script (wrapped once it has loaded), or a method by its path from either (Algorithms.prototype.factorial_plus). ' +
        'A generator function is on the stack while its iterator is driven, and returns when the iterator is done',
    }),
    check: Type.Union([Identifier, Type.Null()], {
      description: "helper that checks the result, or null; called as check(result, uses), uses holding the submission's check_uses",
    }),
    check_uses: Type.Optional(
      Type.Array(Identifier, {
        maxItems: 100,
        description:
          "the submission's top-level bindings the check is handed (its second argument, by name; undefined for one the submission " +
          'does not define), read from the global scope of a script or the exports of a module',
      }),
    ),
    hidden_check: Type.Optional(
      Type.Object(
        {
          setup: CloneType(Identifier, { description: "the helper's name" }),
        },
        {
          additionalProperties: false,
          description:
            'helper that switches the others to input made from a seed (its argument), for a second, small run that a ' +
            'hard-coded answer fails; it runs before the globals and entry_args are read, so they can change with it; the ' +
            'check must then expect what that input gives',
        },
      ),
    ),
    unit: Type.Object(
      {
        name: Type.String({ description: 'as printed after "x": 2 x 100 MB array' }),
        bytes: Type.Integer({ minimum: 1, description: 'its size' }),
      },
      { description: "the exercise's unit of memory, in which the explanation counts the peak, the limit and the lower bound" },
    ),
    points: Type.Optional(
      Type.Object(
        {
          correct: Type.Number({ minimum: 0, description: 'for a correct result' }),
          memory: Type.Number({ minimum: 0, description: 'for a peak within the limit, with a correct result only' }),
          partial_until_bytes: Type.Optional(
            Type.Integer({ minimum: 1, description: 'peak at which partial memory credit reaches 0; none above the limit without it' }),
          ),
        },
        { additionalProperties: false, description: 'points for a correct result and for the memory limit (default: 1 and 1)' },
      ),
    ),
    lower_bound_bytes: Type.Integer({ minimum: 0, description: 'the least peak the exercise allows' }),
    starter: Type.String({ description: 'file of the code students start from: the original program, which must fail' }),
    solutions: Type.Record(
      Type.String(),
      Type.Object({
        file: Type.String({ description: 'relative to the folder' }),
        expect: Type.Union([Type.Literal('passed'), Type.Literal('failed')], { description: 'the status it must get' }),
      }),
      { description: 'reference submissions by name, never shown to students; memgrade check grades each one' },
    ),
    limits: Type.Object(
      {
        peak_bytes: Type.Integer({ minimum: 1, description: 'the memory limit: a higher peak fails (memory_limit)' }),
        memory_cap_mb: Type.Integer({
          minimum: 8,
          description: "the isolate's hard cap: an allocation past it ends the run (memory_cap); room for the originals' peaks",
        }),
        timeout_ms: Type.Integer({ minimum: 100, description: 'wall time a run may take (timeout)' }),
        cpu_time_ms: Type.Integer({ minimum: 100, description: 'CPU time a run may take (timeout)' }),
        explain_ms: Type.Integer({
          minimum: 0,
          description:
            "budget of the reads of who holds what at the peak: the measured run's reads together, and a replay if one is needed; " +
            '0 turns the explanation off',
        }),
        max_code_bytes: Type.Integer({ minimum: 1, description: 'the largest submission accepted (invalid_submission)' }),
      },
      { description: 'what a run may use; a run past one ends with its reason' },
    ),
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

export interface Assignment {
  manifest: Manifest;
  dir: string;
  helpersSource: string;
  /** Name the helpers carry in stack traces and allocation sites. */
  helpersFile: string;
  starterCode: string;
  /** The student-facing README.md. */
  description: string;
}

function readIn(dir: string, file: string): string {
  const path = resolve(dir, file);
  if (!path.startsWith(`${resolve(dir)}/`)) throw new AssignmentError(`${dir}: ${file} is outside the assignment folder`);
  return readFileSync(path, 'utf8');
}

export function loadAssignment(dir: string): Assignment {
  const raw: unknown = JSON.parse(readIn(dir, 'manifest.json'));
  if (!Value.Check(Manifest, raw)) {
    const problems = [...Value.Errors(Manifest, raw)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new AssignmentError(`${dir}/manifest.json is invalid: ${problems.join('; ')}`);
  }
  const manifest = raw;
  const steps = new Set<string>();
  for (const step of manifest.steps) {
    if (step === manifest.entry_point) throw new AssignmentError(`${dir}: step ${step} is the entry point, which is measured as a whole already`);
    if (steps.has(step)) throw new AssignmentError(`${dir}: step ${step} is listed twice`);
    steps.add(step);
  }
  for (const arg of manifest.entry_args ?? []) {
    if (typeof arg === 'string' && !manifest.globals.includes(arg)) throw new AssignmentError(`${dir}: entry argument ${arg} is not among the globals`);
  }
  return {
    manifest,
    dir,
    helpersSource: readIn(dir, manifest.helpers),
    helpersFile: `${manifest.id}/${manifest.helpers}`,
    starterCode: readIn(dir, manifest.starter),
    description: existsSync(join(dir, 'README.md')) ? readIn(dir, 'README.md') : manifest.summary,
  };
}

/** Every assignment in the given folders; a later folder may not reuse an id for another assignment. */
export function loadAssignments(dirs: string[]): Map<string, Assignment> {
  const found = new Map<string, Assignment>();
  for (const root of dirs) {
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !existsSync(join(root, entry.name, 'manifest.json'))) continue;
      const assignment = loadAssignment(join(root, entry.name));
      if (assignment.manifest.id !== entry.name) {
        throw new AssignmentError(`${join(root, entry.name)}: manifest id ${assignment.manifest.id} differs from its folder`);
      }
      const earlier = found.get(assignment.manifest.id);
      // The same assignment twice (a question folder carries a copy of a built-in one) is one.
      if (earlier && (JSON.stringify(earlier.manifest) !== JSON.stringify(assignment.manifest) || earlier.helpersSource !== assignment.helpersSource)) {
        throw new AssignmentError(`assignment ${assignment.manifest.id} is defined twice, differently`);
      }
      if (earlier) continue;
      found.set(assignment.manifest.id, assignment);
    }
  }
  return found;
}
