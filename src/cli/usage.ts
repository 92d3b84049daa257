// A command line's refusal of its arguments: memgrade prints the message and the usage, and
// exits with 2.
import { UsageError } from '../errors.ts';

// Raised here; defined, with its code, in the one table of errors.
export { UsageError };

export function usageError(message: string): never {
  throw new UsageError(message);
}
