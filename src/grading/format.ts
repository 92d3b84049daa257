// Byte figures the way pytest-memray prints them, shared by messages and reports.
const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/**
 * A size for a person, one decimal, in the unit that suits it, never below the scale of the
 * assignment's limit: an exercise limited to less than 1 MiB (100 KB) counts in KiB what is
 * under 1 MiB, any other in MiB; GiB from 1 GiB on. So "100.0 KiB", not "0.1 MiB", and the
 * same "0.0 MiB" as ever for an exercise of 100 MB arrays.
 */
export function size(bytes: number, limitBytes: number): string {
  if (Math.abs(bytes) >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  if (limitBytes < MiB && Math.abs(bytes) < MiB) return `${(bytes / KiB).toFixed(1)} KiB`;
  return mib(bytes);
}

/** `size` for the figures of one result: `limitBytes` is its assignment's limit. */
export const sizes =
  (limitBytes: number) =>
  (bytes: number): string =>
    size(bytes, limitBytes);
