// Byte figures the way pytest-memray prints them, shared by messages and reports.
export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
