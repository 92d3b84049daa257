// A command line's refusal of its arguments: memgrade prints the message and the usage, and
// exits with 2.
export class UsageError extends Error {}

export function usageError(message: string): never {
  throw new UsageError(message);
}
