// Byte figures the way pytest-memray prints them, shared by messages and reports.
const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * 1024 * 1024;

/** One decimal; a figure that rounds to zero is "0.0", whichever side of the baseline it is on
 * (a step can end a few bytes under it: "-0.0" would read as a loss). */
const oneDecimal = (value: number) => {
  const text = value.toFixed(1);
  return text === '-0.0' ? '0.0' : text;
};

export function mib(bytes: number): string {
  return `${oneDecimal(bytes / MiB)} MiB`;
}

/**
 * A size for a person, one decimal, in the unit that suits it, never below the scale of the
 * assignment's limit: an exercise limited to less than 1 MiB (100 KB) counts in KiB what is
 * under 1 MiB, any other in MiB; GiB from 1 GiB on. So "100.0 KiB", not "0.1 MiB", and the
 * same "0.0 MiB" as ever for an exercise of 100 MB arrays.
 */
export function size(bytes: number, limitBytes: number): string {
  if (Math.abs(bytes) >= GiB) return `${oneDecimal(bytes / GiB)} GiB`;
  if (limitBytes < MiB && Math.abs(bytes) < MiB) return `${oneDecimal(bytes / KiB)} KiB`;
  return mib(bytes);
}

/** `size` for the figures of one result: `limitBytes` is its assignment's limit. */
export const sizes =
  (limitBytes: number) =>
  (bytes: number): string =>
    size(bytes, limitBytes);
