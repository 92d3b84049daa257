// How long a string that comes out of the isolate may be, wherever it is cut: by the harness
// inside the isolate, by the host for what isolated-vm hands it, and in the result's schema.
export const TEXT_LIMITS = {
  /** Error names, function, file, holder and property names. */
  name: 200,
  /** Error and check messages. */
  message: 2000,
  /** A stack trace, after trimming to the submission's frames. */
  stack: 8000,
  /** What replaces the cut part: the marker, then how many characters were cut. */
  mark: '... [cut: ',
} as const;

/** Cuts `text` to `max` characters, marking the cut. */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}${TEXT_LIMITS.mark}${text.length - max} more characters]`;
}

/** The most a cut string can be: `max` plus the marker. */
export const cutLength = (max: number) => max + TEXT_LIMITS.mark.length + 32;
