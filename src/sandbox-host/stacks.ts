// Stack traces as a student sees them, apart from fresh-isolate-run.ts (which loads isolated-vm
// and the harness): plain text in, plain text out, testable without an isolate.
import { cutText, TEXT_LIMITS } from './text-limits.ts';

/**
 * Keeps the error line and the frames of the submission and the assignment's helpers; drops the
 * harness's own frames, which say nothing to a student.
 */
export function trimStack(stack: string | null, keepFiles: string[]): string | null {
  if (stack === null) return null;
  const lines = stack.split('\n');
  const head = lines.filter((line) => !line.startsWith('    at '));
  const frames = lines.filter((line) => line.startsWith('    at ') && keepFiles.some((f) => line.includes(`${f}:`)));
  return cutText([...head, ...frames].join('\n'), TEXT_LIMITS.stack);
}
