// How many entries of each list the harness keeps in its report. The harness stops there
// (sandbox/runtime/prelude.js is handed these), and the result's schema, against which the
// report is checked when it leaves the isolate, states the same bounds.
export const LIST_LIMITS = {
  /** Exact samples of the timeline, the first ones. */
  timeline: 1000,
  /** Allocations of 64 KiB or more kept with their lifetimes, the first ones. */
  lifetimes: 500,
  /** Allocations listed as alive at the peak, largest first. */
  listedAtPeak: 100,
  /** Variables (and temporaries) that keep the JS heap alive at the peak, largest first. */
  heapHolders: 8,
} as const;
