// The figures that decide when the harness measures: one object, handed to the harness inside the
// isolate (HarnessConfig.sampling) and used by the source transform (instrument.ts), so that the
// two sides cannot disagree; docs/measurement.md quotes them and tests/unit/sampling.test.ts
// checks that it quotes these. Why each has its value: docs/measurement.md, "How the peak is measured".
export const SAMPLING = {
  /** Iterations of a submission's loop between two of its ticks. */
  loopBatch: 8192,
  /** Ticks between two looks at the heap's size without a GC, by the heap figure's cost to read:
   * the native reader answers in about 1 us, a call to the host in 40 to 100 us. */
  ticksPerLook: { data_spaces: 8192, used_heap: 65536 },
  /** The sampling tolerance: max(minimum, peak x fraction), and never above the limit x limitFraction. */
  tolerance: { minBytes: 256 * 1024, peakFraction: 1 / 512, limitFraction: 1 / 32 },
  /** A look that finds garbage raises what the next must beat, from min to max, doubling. */
  allowance: { minBytes: 1024 * 1024, maxBytes: 16 * 1024 * 1024 },
  /** A look forces an exact sample only past the best figure plus max(tolerance, best / this). */
  heapStepDivisor: 16,
  /** A built-in's result this large prompts a look: array elements, string characters. */
  largeArray: 65536,
  largeString: 1024 * 1024,
  /** How much higher a later sample must be to take the peak over, by heap figure. */
  laterSampleMargin: { data_spaces: 1024, used_heap: 16 * 1024 },
  /** Step exits sampled exactly: the first calls of each step, then powers of two, up to a total. */
  firstExitSamples: 8,
  maxExitSamples: 400,
  /** Added per allocation to the upper bound of what may have grown since the last exact sample. */
  bookkeepingBytes: 256,
} as const;

export type Sampling = typeof SAMPLING;
