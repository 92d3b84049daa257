// Shared by the engine tests: the real assignments plus the test-only ones, graded in a real
// sandbox child process.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ASSIGNMENTS_DIR, loadAssignments, type Assignment } from '../src/grading/assignments.ts';
import { grade } from '../src/grading/grade.ts';
import type { GradeResult } from '../src/grading/result.ts';
import { SandboxProcess } from '../src/sandbox-host/sandbox-process.ts';

export const FIXTURE_ASSIGNMENTS_DIR = join(import.meta.dirname, 'fixtures', 'assignments');
/** The assignment folders memgrade ships, read from the disk (not from the loader): a new one is
 * in every test that goes over them without a change here. */
export const SHIPPED_ASSIGNMENTS = readdirSync(DEFAULT_ASSIGNMENTS_DIR)
  .filter((id) => existsSync(join(DEFAULT_ASSIGNMENTS_DIR, id, 'manifest.json')))
  .sort();
export const assignments = loadAssignments([DEFAULT_ASSIGNMENTS_DIR, FIXTURE_ASSIGNMENTS_DIR]);

export function assignment(id: string): Assignment {
  const found = assignments.get(id);
  if (!found) throw new Error(`no assignment ${id}`);
  return found;
}

/** One sandbox process for a test file; replaced when a test kills it. */
export class Grader {
  private sandbox = new SandboxProcess();

  async grade(id: string, code: string): Promise<GradeResult> {
    const a = assignment(id);
    // As the pool does: a process that kept a bigger job's memory is replaced, not given the job.
    if (!this.sandbox.alive || !this.sandbox.fits(a.manifest.limits.memory_cap_mb)) {
      void this.sandbox.close();
      this.sandbox = new SandboxProcess();
    }
    return grade(a, code, this.sandbox);
  }

  close(): Promise<void> {
    return this.sandbox.close();
  }
}
