// Assignments are data: a folder per assignment with a manifest.json, read and validated here.
// Adding an exercise means adding a folder, never changing src/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AssignmentError } from '../errors.ts';

export const DEFAULT_ASSIGNMENTS_DIR = resolve(new URL('../../sandbox/assignments', import.meta.url).pathname);

const Identifier = Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', maxLength: 100 });

export const Manifest = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    title: Type.String({ minLength: 1 }),
    summary: Type.String(),
    entry_point: Identifier,
    helpers: Type.String({ description: 'file, relative to the folder, run in the isolate before the submission' }),
    globals: Type.Array(Identifier, { description: 'names the helpers file defines that the submission sees' }),
    steps: Type.Array(Identifier, { maxItems: 100, description: 'the pipeline functions, in order; each call is measured' }),
    check: Type.Union([Identifier, Type.Null()], { description: 'helper that checks the result, or null' }),
    hidden_check: Type.Optional(
      Type.Object(
        {
          setup: Identifier,
        },
        {
          additionalProperties: false,
          description:
            'helper that switches the others to input made from a seed (its argument), for a second, small run that a ' +
            'hard-coded answer fails; the check must then expect what that input gives',
        },
      ),
    ),
    unit: Type.Object({ name: Type.String(), bytes: Type.Integer({ minimum: 1 }) }),
    points: Type.Optional(
      Type.Object(
        {
          correct: Type.Number({ minimum: 0 }),
          memory: Type.Number({ minimum: 0 }),
          partial_until_bytes: Type.Optional(
            Type.Integer({ minimum: 1, description: 'peak at which partial memory credit reaches 0; none above the limit without it' }),
          ),
        },
        { additionalProperties: false, description: 'points for a correct result and for the memory limit (default: 1 and 1)' },
      ),
    ),
    lower_bound_bytes: Type.Integer({ minimum: 0, description: 'the least peak the exercise allows' }),
    starter: Type.String(),
    solutions: Type.Record(
      Type.String(),
      Type.Object({ file: Type.String(), expect: Type.Union([Type.Literal('passed'), Type.Literal('failed')]) }),
    ),
    limits: Type.Object({
      peak_bytes: Type.Integer({ minimum: 1 }),
      memory_cap_mb: Type.Integer({ minimum: 8 }),
      timeout_ms: Type.Integer({ minimum: 100 }),
      cpu_time_ms: Type.Integer({ minimum: 100 }),
      explain_ms: Type.Integer({ minimum: 0, description: 'budget of the replay that finds who holds what at the peak; 0 turns it off' }),
      max_code_bytes: Type.Integer({ minimum: 1 }),
    }),
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

// Raised here; defined, with its code, in the one table of errors.
export { AssignmentError };

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
  for (const step of manifest.steps) {
    if (!manifest.globals.includes(step)) throw new AssignmentError(`${dir}: step ${step} is not among the globals`);
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
