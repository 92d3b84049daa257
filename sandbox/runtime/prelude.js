// @ts-check
// The measurement harness. It runs inside the isolate, before the assignment's helpers and
// before the submission, and evaluates to one function, `install`, that only the host holds a
// Reference to. Nothing it defines is reachable from the global object.
//
// Hostile-code rules followed throughout, because the submission runs after this file in the
// same realm and may rewrite any built-in prototype:
// - every built-in method used after install is captured here and called uncurried;
// - no iterator protocol on arrays (no for-of, spread or array destructuring), no `push`,
//   no property reads that could fall through to a prototype: records are null-prototype
//   objects with every field initialised, lists are appended with defineProperty;
// - the result leaves the isolate as JSON text written here (`toJson`), never through
//   JSON.stringify of an object (it would consult a `toJSON` the submission may have planted).
//
// Type-checked (tsconfig.json) against the shapes of src/sandbox-host/types.ts: the report it
// writes is the IsolateReport the host checks as it arrives (boundary.ts).
/**
 * @import { AllocationRecord, CheckRecord, Harness, HarnessConfig, HostStats } from '../../src/sandbox-host/types.ts'
 * @import { IsolateReport, SampleRecord, ScopeAccessor, StepRecord, ThrownError } from '../../src/sandbox-host/types.ts'
 */
/**
 * A record of the harness's own: no prototype for a read to fall through to.
 * @template T
 * @typedef {T & { __proto__: null }} Bare
 */
/** @typedef {Bare<StepRecord>} Stats */
/** @typedef {{ spaces: (out: Float64Array) => number; collected: (out: Float64Array) => number; quiet: (on: boolean) => void }} HeapSpaces */
/** @typedef {Bare<{ function: string; file: string; line: number; column: number }>} Site */
(/**
 * @param {HostStats} hostStats
 * @param {HarnessConfig} config
 * @param {HeapSpaces} [heapSpaces] the native heap-space reader (heap-reader.ts), when loaded
 * @returns {Bare<Harness>}
 */ function install(hostStats, config, heapSpaces) {
  'use strict';

  const { apply, construct, getOwnPropertyDescriptor, getPrototypeOf, ownKeys, setPrototypeOf } = Reflect;
  /** Reflect.defineProperty as it was: answers false where the definition is refused. */
  const tryDefineProperty = Reflect.defineProperty;
  // Reflect.defineProperty answers false instead of throwing; a definition the harness relies
  // on must not fail silently.
  /** @type {(target: object, key: PropertyKey, descriptor: PropertyDescriptor) => true} */
  const defineProperty = (target, key, descriptor) => {
    if (!Reflect.defineProperty(target, key, descriptor)) throw new TypeError('memgrade harness: cannot define ' + String(key));
    return true;
  };
  /**
   * @template {unknown[]} A
   * @template R
   * @param {(...args: A) => R} fn
   * @returns {(self: unknown, ...args: A) => R}
   */
  const uncurry = (fn) => apply(Function.prototype.bind, Function.prototype.call, [fn]);
  /** @type {(obj: object, key: PropertyKey) => (self: unknown) => any} */
  const getter = (obj, key) => uncurry(/** @type {() => unknown} */ (getOwnPropertyDescriptor(obj, key)?.get));

  const NativeArrayBuffer = ArrayBuffer;
  const NativeError = Error;
  const NativeRangeError = RangeError;
  const NativeTypeError = TypeError;
  const TypedArray = /** @type {{ prototype: object }} */ (getPrototypeOf(Uint8Array));
  /** @type {(self: unknown) => string | undefined} */
  const typedArrayTag = getter(TypedArray.prototype, Symbol.toStringTag);
  /** @type {(self: unknown) => ArrayBuffer} */
  const typedArrayBuffer = getter(TypedArray.prototype, 'buffer');
  /** @type {(self: unknown) => ArrayBuffer} */
  const dataViewBuffer = getter(DataView.prototype, 'buffer');
  /** @type {(self: unknown) => number} */
  const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  /** @type {(v: unknown) => v is ArrayBuffer} */
  const isArrayBuffer = (v) => {
    try {
      arrayBufferByteLength(v);
      return true;
    } catch {
      return false;
    }
  };
  const MapCtor = Map;
  /** @type {<K, V>(map: Map<K, V>, key: K) => V | undefined} */
  const mapGet = uncurry(Map.prototype.get);
  /** @type {<K, V>(map: Map<K, V>, key: K, value: V) => Map<K, V>} */
  const mapSet = uncurry(Map.prototype.set);
  /** @type {<K, V>(map: Map<K, V>, key: K) => boolean} */
  const mapDelete = uncurry(Map.prototype.delete);
  /** @type {<K, V>(map: Map<K, V>, callback: (value: V, key: K) => void) => void} */
  const mapForEach = uncurry(Map.prototype.forEach);
  const WeakMapCtor = WeakMap;
  /** @type {<K extends WeakKey, V>(map: WeakMap<K, V>, key: K) => boolean} */
  const weakMapHas = uncurry(WeakMap.prototype.has);
  /** @type {<K extends WeakKey, V>(map: WeakMap<K, V>, key: K, value: V) => WeakMap<K, V>} */
  const weakMapSet = uncurry(WeakMap.prototype.set);
  /** @type {<K extends WeakKey, V>(map: WeakMap<K, V>, key: K) => V | undefined} */
  const weakMapGet = uncurry(WeakMap.prototype.get);
  // Which tracked buffers a GC freed: V8 13 has no synchronous FinalizationRegistry cleanup
  // (cleanupSome is gone) and a WeakRef made in the run keeps its target alive until the run
  // ends, so the host reads this set's live entries through the inspector (see `readLiveness`).
  const WeakSetCtor = WeakSet;
  /** @type {<T extends WeakKey>(set: WeakSet<T>, value: T) => WeakSet<T>} */
  const weakSetAdd = uncurry(WeakSet.prototype.add);
  const captureStackTrace = Error.captureStackTrace;
  const errorToString = uncurry(Error.prototype.toString);
  const stringify = JSON.stringify;
  const NativeDate = Date;
  const dateNow = Date.now;
  const mathMax = Math.max;
  const mathMin = Math.min;
  const mathFloor = Math.floor;
  const isArray = Array.isArray;
  const mathImul = Math.imul;
  const StringCtor = String;
  const NativeFunction = Function;
  const stringValueOf = uncurry(String.prototype.valueOf);
  /** The length of a boxed string receiver; -1 for anything else. @param {unknown} boxed */
  const stringLength = (boxed) => {
    try {
      return stringValueOf(boxed).length;
    } catch {
      return -1;
    }
  };
  const stringIndexOf = uncurry(String.prototype.indexOf);
  const stringSlice = uncurry(String.prototype.slice);
  const PromiseCtor = Promise;
  // Generator functions' own prototype, and the methods that drive their iterators (see wrapStep).
  const GeneratorFunctionPrototype = /** @type {{ prototype: object }} */ (getPrototypeOf(function* () {}));
  const GeneratorPrototype = /** @type {Record<'next' | 'return' | 'throw', Function>} */ (GeneratorFunctionPrototype.prototype);
  /** @type {('next' | 'return' | 'throw')[]} */
  const GENERATOR_METHODS = ['next', 'return', 'throw'];

  // `gc` comes from the host's --expose-gc (isolated-vm.ts): without it nothing is measured. It
  // is non-configurable on the global, so it cannot be deleted, only overwritten and locked.
  const gc = globalThis.gc;
  if (gc === undefined) throw new NativeTypeError('memgrade harness: V8 runs without --expose-gc');
  defineProperty(globalThis, 'gc', { value: undefined, writable: false });
  // The isolate's figures, [external bytes, heap bytes]. With the native heap-space reader, the
  // heap figure is the data spaces' (new, old, large objects): compiled code and bytecode (code
  // and trusted spaces), which the engine makes and flushes on its own schedule, are left out.
  // A look at the heap without a GC (mode 2) then needs no call to the host (about 1 us instead
  // of 40 to 100 us): its ArrayBuffer bytes are V8's own count, aligned with isolated-vm's (which
  // exact samples read) at each exact read.
  const readSpaces = heapSpaces === undefined ? null : heapSpaces.spaces;
  const spaceFigures = new Float64Array(9);
  // What V8's own full collections found alive since the last read (see `sample`).
  const readCollected = heapSpaces === undefined ? null : heapSpaces.collected;
  const quiet = heapSpaces === undefined ? null : heapSpaces.quiet;
  const collectedFigures = new Float64Array(1);
  let externalOffset = 0;
  /** @type {(mode?: 1 | 2) => [number, number]} */
  const figures = (mode) => {
    if (readSpaces === null) return hostStats(mode);
    readSpaces(spaceFigures);
    const heap = spaceFigures[1] + spaceFigures[2] + spaceFigures[3] - state.harnessHeap;
    if (mode === 2) return [spaceFigures[8] + externalOffset, heap];
    const stats = hostStats(mode, heap);
    externalOffset = stats[0] - spaceFigures[8];
    return stats;
  };
  // WebAssembly.Memory is not counted against the isolate's memory limit; SharedArrayBuffer is
  // a second allocator the exercise does not need.
  const globals = /** @type {Record<string, unknown>} */ (globalThis);
  delete globals.WebAssembly;
  delete globals.SharedArrayBuffer;

  // The harness captures allocation sites with Error.captureStackTrace, which reads
  // Error.stackTraceLimit. A submission that locked it (or set it to 0) would make every site
  // capture fail or come back empty: it is fixed here, before any submission code runs.
  const SITE_STACK_LIMIT = 10;
  defineProperty(NativeError, 'stackTraceLimit', { value: SITE_STACK_LIMIT, writable: false, enumerable: true, configurable: false });

  // Time and chance are the same in every run of a submission (the measured run, the hidden
  // check, a replay), so that no run can tell itself from another: the clock starts at a fixed
  // instant and moves 1 ms at each reading; Math.random is a seeded generator (mulberry32).
  const CLOCK_START_MS = 1767225600000; // 2026-01-01T00:00:00Z
  let clockMs = CLOCK_START_MS;
  const readClock = () => clockMs++;
  let randomState = 0x9e3779b9 | 0;
  const random = () => {
    randomState = (randomState + 0x6d2b79f5) | 0;
    let t = randomState;
    t = mathImul(t ^ (t >>> 15), t | 1);
    t ^= t + mathImul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  defineProperty(Math, 'random', { value: random, writable: false, enumerable: false, configurable: false });
  /** @param {...unknown} args */
  const DeterministicDate = function Date(...args) {
    if (new.target === undefined) return StringCtor(new NativeDate(readClock()));
    return construct(NativeDate, args.length === 0 ? [readClock()] : args, new.target);
  };
  defineProperty(DeterministicDate, 'length', { value: 7 });
  defineProperty(DeterministicDate, 'prototype', { value: NativeDate.prototype, writable: false });
  defineProperty(DeterministicDate, 'now', { value: function now() { return readClock(); }, writable: false, configurable: false });
  defineProperty(DeterministicDate, 'parse', { value: NativeDate.parse, writable: false, configurable: false });
  defineProperty(DeterministicDate, 'UTC', { value: NativeDate.UTC, writable: false, configurable: false });
  defineProperty(NativeDate.prototype, 'constructor', { value: DeterministicDate, writable: true, enumerable: false, configurable: true });
  defineProperty(globalThis, 'Date', { value: DeterministicDate, writable: false, enumerable: false, configurable: false });

  // Strings that leave the isolate are cut to a bound, with the cut marked, so that no
  // submission can make a result (or the report page, or a database row) grow without limit.
  const MAX_NAME = config.text.name;
  const MAX_MESSAGE = config.text.message;
  const MAX_STACK = config.text.stack;
  /** @type {(text: unknown, max: number) => string} */
  const cut = (text, max) => {
    const s = StringCtor(text);
    return s.length <= max ? s : stringSlice(s, 0, max) + config.text.mark + (s.length - max) + ' more characters]';
  };

  /**
   * @template T
   * @param {T[]} list
   * @param {T} value
   */
  const push = (list, value) =>
    defineProperty(list, list.length, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });

  // ---- stack sites ---------------------------------------------------------------------------
  // The harness owns Error.prepareStackTrace: while `capturingSite` is set it returns the first
  // call site as a record, otherwise it formats like V8 does. A submission cannot replace it,
  // so it cannot blind the site attribution.
  let capturingSite = false;
  /** @type {(error: Error, callSites: NodeJS.CallSite[]) => Site | string | null} */
  const formatStack = (error, callSites) => {
    if (capturingSite) {
      // The first frame with a file: built-ins such as TypedArray.from have none.
      let site = null;
      for (let i = 0; i < callSites.length && site === null; i++) {
        if (callSites[i].getFileName()) site = callSites[i];
      }
      if (site === null) return null;
      return {
        __proto__: null,
        function: cut(site.getFunctionName() || '(anonymous)', MAX_NAME),
        file: cut(site.getFileName() || '(unknown)', MAX_NAME),
        line: site.getLineNumber() || 0,
        column: site.getColumnNumber() || 0,
      };
    }
    let text;
    try {
      text = errorToString(error);
    } catch {
      text = 'Error';
    }
    // A V8 CallSite prints itself as the stack line it stands for.
    // eslint-disable-next-line @typescript-eslint/restrict-plus-operands, @typescript-eslint/no-base-to-string
    for (let i = 0; i < callSites.length; i++) text += '\n    at ' + callSites[i];
    return text;
  };
  defineProperty(NativeError, 'prepareStackTrace', {
    value: formatStack,
    writable: false,
    enumerable: false,
    configurable: false,
  });

  /** @type {(above: Function) => Site | null} */
  const captureSite = (above) => {
    /** @type {Bare<{ stack: Site | null }>} */
    const holder = { __proto__: null, stack: null };
    capturingSite = true;
    try {
      captureStackTrace(holder, above);
      return holder.stack;
    } catch {
      return null;
    } finally {
      capturingSite = false;
    }
  };

  // ---- measurement state ---------------------------------------------------------------------
  // Only allocations of at least this size get their own site; smaller ones are grouped, so a
  // submission making millions of tiny arrays does not pay for millions of stack captures.
  const SITE_MIN_BYTES = 1024;
  // Tolerance of the peak search (see `maybeSample`): an allocation that cannot lift live
  // memory more than this above the best known figure does not force a GC.
  const sampling = config.sampling;
  const heapFigure = readSpaces === null ? 'used_heap' : 'data_spaces';
  // The tolerance is also held to a fraction of the limit, so that an assignment with a small
  // limit (100 KB) is measured finely enough to tell a pass from a fail.
  const MIN_TOLERANCE = mathMin(sampling.tolerance.minBytes, mathFloor(config.limitBytes * sampling.tolerance.limitFraction));
  const TOLERANCE_FRACTION = sampling.tolerance.peakFraction;
  // Step exits are measured exactly (one GC each): a step's first FIRST_EXIT_SAMPLES calls,
  // then its 16th, 32nd, 64th... and no more than MAX_EXIT_SAMPLES in a run, so that a step
  // called in a tight loop cannot turn into a GC storm, nor starve the steps that come after it.
  const FIRST_EXIT_SAMPLES = sampling.firstExitSamples;
  const MAX_EXIT_SAMPLES = sampling.maxExitSamples;
  const MAX_TIMELINE = config.lists.timeline;
  // Heap noise a later sample must beat to take the peak over: compiled code comes and goes in
  // the used heap size (a few KB); the data spaces alone move by a few hundred bytes, and there
  // the first sample is the peak whatever its size (a whole run can stay under 16 KiB).
  const LATER_SAMPLE_MARGIN = sampling.laterSampleMargin[heapFigure];
  // Up to this peak, the harness's own heap (its records, what a pause of the inspector left) is
  // measured and taken off; a pause's with a GC of its own.
  const EXACT_HARNESS_BELOW = 16 * 1024 * 1024;
  // Allocations this large are kept with their lifetimes for the timeline, up to a count.
  const LIFETIME_MIN_BYTES = 64 * 1024;
  const MAX_LIFETIMES = config.lists.lifetimes;
  // Allocations listed as live at the peak, largest first; the rest are summed up by the host.
  const MAX_LISTED_AT_PEAK = config.lists.listedAtPeak;
  // Allocations of at least SITE_MIN_BYTES get a record of their own while fewer than this many
  // are live; the rest are counted in bytes only, so that the liveness read stays small.
  const MAX_TRACKED_LIVE = 1000;
  // Heap the harness itself uses per tracked allocation (record, map entry, set entry).
  // It counts towards the bound on growth, so that the bound stays an upper bound.
  const BOOKKEEPING_BYTES = sampling.bookkeepingBytes;

  const state = {
    __proto__: null,
    running: false,
    baselineExternal: 0,
    baselineHeap: 0,
    lastExact: 0,
    /** The ArrayBuffer part of the last exact sample. */
    lastExactExternal: 0,
    allocatedSinceExact: 0,
    peak: 0,
    peakExternal: 0,
    peakHeap: 0,
    peakSeq: 0,
    peakStep: /** @type {string | null} */ (null),
    peakLive: /** @type {Bare<AllocationRecord>[] | null} */ (null),
    nextId: 0,
    allocations: 0,
    gcCount: 0,
    exitSamples: 0,
    seq: 0,
    measureMs: 0,
    startedAt: 0,
    trackedLiveBytes: 0,
    heapChecks: 0,
    peakTicks: 0,
    peakAllocations: 0,
    peakReason: '',
    heapAllowance: 0,
    idAtRead: 0,
    loading: false,
    measureAtRun: 0,
    holderPauses: 0,
    runStartedAt: 0,
    untrackedBytes: 0,
    livenessReads: 0,
    livenessFailures: 0,
    capHit: false,
    capRequestBytes: 0,
    // Heap the harness's own pauses left behind (the inspector's reads of who holds what),
    // measured after each and taken off every later figure; only with the heap-space reader.
    harnessHeap: 0,
  };
  // Calls of `tick` so far (see "the JS heap between allocations").
  let ticks = 0;
  /** @type {Map<number, Bare<AllocationRecord>>} */
  const live = new MapCtor();
  /** Every buffer the harness has seen: its allocation id, 0 when it has no record. @type {WeakMap<object, number>} */
  const seen = new WeakMapCtor();
  /** @type {WeakSet<object>} */
  const liveSet = new WeakSetCtor();
  /** @type {Bare<SampleRecord>[]} */
  const timeline = [];
  /** @type {Bare<AllocationRecord>[]} */
  const allocations = [];
  /** @type {string[]} */
  const stepStack = [];
  // How many of its entries are on the stack: the array only grows, so that entering a step is
  // a write to an element it already has (no setter on Array.prototype can meet it), and
  // leaving one is a decrement.
  let stepDepth = 0;
  /** @param {string} name */
  const enterStep = (name) => {
    if (stepDepth < stepStack.length) stepStack[stepDepth] = name;
    else push(stepStack, name);
    stepDepth++;
  };
  /** Every name a lookup can ask for is put in at install. @type {Map<string, Stats>} */
  const stepStats = new MapCtor();

  const stepNames = config.steps;
  const entryName = config.entry;
  /** @type {(name: string) => Stats} */
  const newStepStats = (name) => ({
    __proto__: null,
    name,
    calls: 0,
    allocated_bytes: 0,
    peak_live_bytes: 0,
    live_after_bytes: 0,
    duration_ms: 0,
  });
  for (let i = 0; i < stepNames.length; i++) mapSet(stepStats, stepNames[i], newStepStats(stepNames[i]));
  mapSet(stepStats, entryName, newStepStats(entryName));
  // The submission's script itself, from its first statement: what it does while it loads
  // counts like anything else.
  const LOAD_STEP = '(top level)';
  mapSet(stepStats, LOAD_STEP, newStepStats(LOAD_STEP));

  const currentStep = () => (stepDepth > 0 ? stepStack[stepDepth - 1] : entryName);

  /**
   * The `count` largest records of a map, largest first (ties: oldest first).
   * @type {(records: Map<number, Bare<AllocationRecord>>, count: number) => Bare<AllocationRecord>[]}
   */
  const largest = (records, count) => {
    /** @type {Bare<AllocationRecord>[]} */
    const out = [];
    mapForEach(records, (rec) => {
      let at = out.length;
      while (at > 0 && (out[at - 1].bytes < rec.bytes || (out[at - 1].bytes === rec.bytes && out[at - 1].id > rec.id))) at--;
      if (at >= count) return;
      const end = out.length < count ? out.length : count - 1;
      for (let i = end; i > at; i--) defineProperty(out, i, { value: out[i - 1], writable: true, enumerable: true, configurable: true });
      defineProperty(out, at, { value: rec, writable: true, enumerable: true, configurable: true });
    });
    return out;
  };

  /** @param {Bare<AllocationRecord>} rec */
  const died = (rec) => {
    mapDelete(live, rec.id);
    state.trackedLiveBytes -= rec.bytes;
    rec.died_seq = state.seq + 1;
  };

  const tolerance = () => mathMax(MIN_TOLERANCE, mathFloor(state.peak * TOLERANCE_FRACTION));

  // ---- liveness ----------------------------------------------------------------------------
  // After a GC, the host reads the live entries of `liveSet` through the inspector while the
  // isolate is paused in `pauseForLiveness`, and hands them to `markLive`; every record not
  // among them has died. Entries are read through own data properties only: the entries array
  // is made in this realm, where the submission may have planted getters on Object.prototype.
  /** @type {Map<number, true> | null} */
  let liveNow = null;
  /** @param {object} entries */
  const markLive = (entries) => {
    /** @type {Map<number, true>} */
    const alive = new MapCtor();
    const count = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(entries, 'length')).value;
    for (let i = 0; i < count; i++) {
      const entry = getOwnPropertyDescriptor(entries, StringCtor(i));
      const value = entry === undefined ? undefined : entry.value;
      const holder = value !== null && typeof value === 'object' ? getOwnPropertyDescriptor(value, 'value') : undefined;
      const buffer = holder === undefined ? value : holder.value;
      const id = buffer !== null && typeof buffer === 'object' ? weakMapGet(seen, buffer) : undefined;
      if (id) mapSet(alive, id, true);
    }
    liveNow = alive;
    return count;
  };
  const pauseForLiveness = () => {
    const memgradeLiveSet = liveSet;
    const memgradeMarkLive = markLive;
    debugger;
    // Both read after the pause, so that V8 keeps them in the frame for the host.
    return /** @type {unknown} */ (memgradeLiveSet) !== memgradeMarkLive;
  };
  // Whether the live set must be read at this sample. A tracked buffer can only have died if
  // the ArrayBuffer bytes the isolate holds fall short of the tracked ones, or if untracked
  // buffers (whose liveness is not followed) could hide the difference; and the read is worth
  // its pause when the live set is about to be listed (a new peak), when tracked bytes are
  // known to have died by more than the tolerance, or when many records came since the last
  // read (dead ones would fill the table).
  const RECORDS_BETWEEN_READS = 64;
  /** @type {(external: number, newPeak: boolean) => boolean} */
  const needsLivenessRead = (external, newPeak) =>
    live.size > 0 &&
    (external < state.trackedLiveBytes || state.untrackedBytes > 0) &&
    (newPeak || external < state.trackedLiveBytes - tolerance() || state.nextId - state.idAtRead >= RECORDS_BETWEEN_READS);
  // Returns how many tracked buffers died; -1 when the host did not answer (the records then stay).
  const readLiveness = () => {
    liveNow = null;
    state.livenessReads++;
    state.idAtRead = state.nextId;
    pauseForLiveness();
    const alive = liveNow;
    liveNow = null;
    if (alive === null) {
      state.livenessFailures++;
      return -1;
    }
    /** @type {Bare<AllocationRecord>[]} */
    const gone = [];
    mapForEach(live, (rec, id) => {
      if (mapGet(alive, id) !== true) push(gone, rec);
    });
    for (let i = 0; i < gone.length; i++) died(gone[i]);
    return gone.length;
  };

  // A GC that finds many dead records is followed by a second one, which frees them, so that
  // the harness's bookkeeping (about 250 bytes a record) is not counted as the submission's heap.
  const DEATHS_FOR_SECOND_GC = 16;

  // The JS heap V8's own full collection found alive (collectedFigures, read by `sample`,
  // `heapCheck` and as a step is entered or left, so that the step running then is the one
  // running now: a built-in call does not change it), with the ArrayBuffer bytes of the last
  // exact sample (V8's count in its collection's epilogue still has the buffers it is about to
  // free), taken as a sample of its own when it beats the peak. The live ArrayBuffers listed are
  // those alive now. No one can pause there: the run has left that moment, so its holders are
  // not read.
  const checkCollected = () => {
    if (readCollected !== null && readCollected(collectedFigures) > 0) sampleCollected();
  };
  const sampleCollected = () => {
    const external = state.lastExactExternal;
    const heap = collectedFigures[0] - state.harnessHeap - state.baselineHeap;
    if (external + heap <= state.peak + LATER_SAMPLE_MARGIN + tolerance()) return;
    takePeak(record(external, heap, 'collector'), external, heap, 'collector');
  };

  /**
   * An exact figure on the timeline, and in the peaks of the steps on the stack: its number.
   * @type {(external: number, heap: number, reason: string) => number}
   */
  const record = (external, heap, reason) => {
    const total = external + heap;
    state.seq++;
    if (timeline.length < MAX_TIMELINE) {
      push(timeline, {
        __proto__: null,
        seq: state.seq,
        t_ms: dateNow() - state.startedAt,
        live_bytes: total,
        external_bytes: external,
        heap_bytes: heap,
        step: currentStep(),
        reason,
      });
    }
    for (let i = 0; i < stepDepth; i++) {
      const s = /** @type {Stats} */ (mapGet(stepStats, stepStack[i]));
      if (total > s.peak_live_bytes) s.peak_live_bytes = total;
    }
    if (!state.loading) {
      const entry = /** @type {Stats} */ (mapGet(stepStats, entryName));
      if (total > entry.peak_live_bytes) entry.peak_live_bytes = total;
    }
    return state.seq;
  };

  /** The run's peak is now the sample `seq`. @type {(seq: number, external: number, heap: number, reason: string) => void} */
  const takePeak = (seq, external, heap, reason) => {
    state.peak = external + heap;
    state.peakExternal = external;
    state.peakHeap = heap;
    state.peakSeq = seq;
    state.peakStep = currentStep();
    state.peakTicks = ticks;
    state.peakAllocations = state.allocations;
    state.peakReason = reason;
    state.peakLive = largest(live, MAX_LISTED_AT_PEAK);
  };

  // A full GC, then the isolate's exact figures from the host: every ArrayBuffer byte plus the
  // live JS heap, relative to the baseline taken just before the script was evaluated. V8's
  // own collections meanwhile (the harness's, what the inspector's pauses allocate) are not
  // recorded as the submission's.
  /** @type {(reason: string) => number} */
  const sample = (reason) => {
    // The harness's warm-up (see `warmUp`) goes through the paths that sample, without a sample.
    if (warming) return 0;
    // V8's own full collections since the last sample, read before this sample's own: each
    // marked what was reachable, so the largest is an exact figure of a moment between the two
    // samples, maybe inside one call of a built-in, where nothing of the harness's runs.
    const collected = readCollected !== null && readCollected(collectedFigures) > 0;
    if (quiet === null) return measure(reason, collected);
    quiet(true);
    try {
      return measure(reason, collected);
    } finally {
      quiet(false);
    }
  };
  /** @type {(reason: string, collected: boolean) => number} */
  const measure = (reason, collected) => {
    const started = dateNow();
    gc();
    state.gcCount++;
    if (collected) sampleCollected();
    let stats = figures();
    /** @param {number} total */
    const isNewPeak = (total) => total > state.peak + (reason === 'allocation' || (readSpaces !== null && state.peakSeq === 0) ? 0 : LATER_SAMPLE_MARGIN);
    const beforeRead = stats[0] - state.baselineExternal + stats[1] - state.baselineHeap;
    if (needsLivenessRead(stats[0] - state.baselineExternal, isNewPeak(beforeRead)) && readLiveness() >= DEATHS_FOR_SECOND_GC) {
      gc();
      state.gcCount++;
      stats = figures();
    }
    const external = stats[0] - state.baselineExternal;
    const heap = stats[1] - state.baselineHeap;
    const total = external + heap;
    let accounted = false;
    state.lastExact = total;
    state.lastExactExternal = external;
    state.allocatedSinceExact = 0;
    record(external, heap, reason);
    // The peak belongs to the allocation that made it. A later sample (a step returning, the
    // end of the run) only takes it over with more than heap noise on top, so that the peak,
    // its live set and its holders describe the moment of the allocation.
    if (isNewPeak(total)) {
      takePeak(state.seq, external, heap, reason);
      // Who holds what is read at each new peak, up to a number of times: the last read that
      // is still the peak when the run ends explains it, with no second run.
      if (explain.mode === 'peaks' && state.holderPauses < explain.maxPauses) {
        state.holderPauses++;
        pauseAtPeak(state.seq);
        if (readSpaces !== null && state.peak < EXACT_HARNESS_BELOW) {
          // What the pause (and this sample's own records) left on the heap is the harness's:
          // measured while a few KB matter. Above, it is left in: under 1 KB a pause, against a
          // tolerance of 256 KiB or more, where a look without a GC would count the pause's
          // garbage as the harness's.
          gc();
          state.gcCount++;
          state.harnessHeap += figures()[1] - stats[1];
          accounted = true;
        }
      }
    }
    // This sample's own records (timeline, peak bookkeeping) are the harness's too: what was
    // allocated since the read, without a GC (so an upper bound of what stays).
    if (readSpaces !== null && !accounted && state.peak < EXACT_HARNESS_BELOW) {
      const grown = figures(2)[1] - stats[1];
      if (grown > 0) state.harnessHeap += grown;
    }
    state.measureMs += dateNow() - started;
    // A replay knows the peak's sample by where the run was (ticks and allocations so far, and
    // why it sampled), not by its number: exact samples prompted by the heap's garbage-inclusive
    // size can come at other moments in another run.
    if (
      explain.mode === 'at' &&
      ticks === explain.ticks &&
      state.allocations === explain.allocations &&
      reason === explain.reason &&
      external === explain.external
    ) {
      pauseAtPeak(state.seq);
      // The replay has served its purpose: end it here rather than compute the rest.
      throw REPLAY_DONE;
    }
    return total;
  };

  // ---- explaining the peak -----------------------------------------------------------------
  // The host's inspector pauses here, at a sample that is the peak so far (or, on a replay, at
  // the one sample that was the run's peak), and reads every frame's scopes. For each value it
  // finds, it calls `memgradeFindHeld` (a local of this frame, so only the paused inspector can
  // reach it) to learn which tracked allocations the value holds, directly or through up to
  // two levels of data properties. `explain` says when (ExplainMode, types.ts).
  const explain = config.explain;
  const REPLAY_DONE = { __proto__: null };
  const MAX_KEYS_PER_OBJECT = 64;
  const MAX_DEPTH = 2;
  /** @type {(value: object) => ArrayBuffer | null} */
  const bufferOf = (value) => {
    try {
      return typedArrayTag(value) !== undefined ? typedArrayBuffer(value) : dataViewBuffer(value);
    } catch {
      return isArrayBuffer(value) ? value : null;
    }
  };
  // For each variable of `scope` (a scope object the inspector made), the tracked allocations
  // it holds, as lines "variable \t path \t id". Arrays are looked at by index (their own keys
  // could number millions).
  const MAX_SCOPE_KEYS = 4096;
  /** @type {(scope: object) => string} */
  const findHeld = (scope) => {
    let out = '';
    let variable = '';
    /** @type {(v: unknown, path: string, depth: number) => void} */
    const visit = (v, path, depth) => {
      if (v === null || typeof v !== 'object') return;
      const buffer = bufferOf(v);
      if (buffer !== null) {
        const id = weakMapGet(seen, buffer);
        if (id) out += variable + '\t' + path + '\t' + id + '\n';
        return;
      }
      if (depth >= MAX_DEPTH) return;
      let keys;
      try {
        keys = isArray(v) ? null : ownKeys(v);
      } catch {
        return;
      }
      const count = keys === null ? /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(v, 'length')).value : keys.length;
      for (let i = 0; i < count && i < MAX_KEYS_PER_OBJECT; i++) {
        const key = keys === null ? StringCtor(i) : keys[i];
        if (typeof key !== 'string') continue;
        const desc = getOwnPropertyDescriptor(v, key);
        if (desc !== undefined && 'value' in desc) visit(desc.value, path + '.' + cut(key, MAX_NAME), depth + 1);
      }
    };
    let names;
    try {
      names = ownKeys(scope);
    } catch {
      return out;
    }
    for (let i = 0; i < names.length && i < MAX_SCOPE_KEYS; i++) {
      const name = names[i];
      if (typeof name !== 'string') continue;
      const desc = getOwnPropertyDescriptor(scope, name);
      if (desc === undefined || !('value' in desc)) continue;
      variable = cut(name, MAX_NAME);
      visit(desc.value, '', 0);
    }
    return out;
  };

  /** @param {number} seq */
  const pauseAtPeak = (seq) => {
    const memgradeFindHeld = findHeld;
    const memgradeSeq = seq;
    debugger;
    // Both read after the pause, so that V8 keeps them in the frame for the host.
    return /** @type {unknown} */ (memgradeFindHeld) === memgradeSeq;
  };

  // The live total can only have grown by what was allocated since the last exact figure, so
  // a GC is needed only when that bound could beat the best figure we know of: the run's peak,
  // or the peak of a step on the stack. The count of GCs follows how often a peak can grow by
  // the tolerance, not how many allocations there are.
  // The best figure an upper bound must beat: the run's peak, or the peak of a step on the stack.
  const bestKnown = () => {
    let best = state.peak;
    for (let i = 0; i < stepDepth; i++) {
      const p = /** @type {Stats} */ (mapGet(stepStats, stepStack[i])).peak_live_bytes;
      if (p < best) best = p;
    }
    return best;
  };

  const maybeSample = () => {
    if (state.lastExact + state.allocatedSinceExact > bestKnown() + tolerance()) sample('allocation');
  };

  // ---- the JS heap between allocations --------------------------------------------------------
  // Plain arrays, strings and objects allocate no ArrayBuffer, so the rule above never samples
  // for them. The host inserts a call of `tick` at the start of every function body of the
  // submission and a call of `loopTick` every 8,192 iterations of each of its loops
  // (src/sandbox-host/instrument.ts), and built-ins that can build a large array or string are
  // wrapped: every 65,536 ticks, and after such a built-in made a large result, the heap's size
  // is read without a GC. It can only overstate live memory (it
  // counts garbage too), so when it could beat the best known figure by the tolerance, an exact
  // sample decides, once it could beat it by more than the tolerance or 1/16 of it: a heap
  // that grows a little at each check (objects piling up) is then sampled in geometric steps,
  // not at every check, each sample being a full GC of that heap. Checks that keep finding
  // garbage instead of a new peak raise an allowance, doubling up to MAX_ALLOWANCE, so that a
  // loop churning garbage near the peak does not force a GC at every check; a check that finds
  // a new peak resets it.
  // A look at the heap's size is a call to the host: about 40 us here, as long as 65,536
  // iterations of a simple loop. Every 8,192 ticks made a submission's own element loop three
  // times slower; every 65,536, about 1.25 times.
  const TICK_MASK = sampling.ticksPerLook[heapFigure] - 1;
  const HEAP_STEP_DIVISOR = sampling.heapStepDivisor;
  const LARGE_ARRAY = sampling.largeArray;
  const LARGE_STRING = sampling.largeString;
  const MIN_ALLOWANCE = sampling.allowance.minBytes;
  const MAX_ALLOWANCE = sampling.allowance.maxBytes;
  const heapCheck = () => {
    if (!state.running) return;
    state.heapChecks++;
    checkCollected();
    const stats = figures(2);
    const upper = stats[0] - state.baselineExternal + stats[1] - state.baselineHeap;
    const best = bestKnown();
    if (upper <= best + mathMax(tolerance(), best / HEAP_STEP_DIVISOR) + state.heapAllowance) return;
    const peakBefore = state.peak;
    sample('heap');
    if (state.peak > peakBefore) state.heapAllowance = 0;
    else state.heapAllowance = state.heapAllowance * 2 < MIN_ALLOWANCE ? MIN_ALLOWANCE : mathMin(state.heapAllowance * 2, MAX_ALLOWANCE);
  };
  // Called at every function entry of the submission: one increment and one test.
  const tick = () => {
    if ((++ticks & TICK_MASK) === 0) heapCheck();
  };
  // Called every LOOP_BATCH iterations of a loop of the submission, which counts them itself.
  const loopTick = () => {
    ticks += sampling.loopBatch;
    if ((ticks & TICK_MASK) < sampling.loopBatch) heapCheck();
  };
  defineProperty(globalThis, config.tick, { value: tick, writable: false, enumerable: false, configurable: false });
  defineProperty(globalThis, config.loopTick, { value: loopTick, writable: false, enumerable: false, configurable: false });
  /** @param {unknown} value */
  const isLarge = (value) => (isArray(value) && value.length >= LARGE_ARRAY) || (typeof value === 'string' && value.length >= LARGE_STRING);
  // Also after a method of a long string: a string built by concatenation is a tree of pieces
  // until a method such as indexOf makes it one flat copy, as large as the string.
  // A loop calling such a method on the same long string checks once, not at every call.
  let lastLargeReceiver = -1;
  /** @type {(made: unknown, receiver: unknown) => unknown} */
  const checkIfLarge = (made, receiver) => {
    if (isLarge(made)) {
      heapCheck();
    } else {
      const length = stringLength(receiver);
      if (length >= LARGE_STRING && length !== lastLargeReceiver) {
        lastLargeReceiver = length;
        heapCheck();
      }
    }
    return made;
  };
  // Writable and configurable like the natives (see wrapMethod); the natives stay in here. The
  // wrappers are sloppy-mode functions, made by the Function constructor as it was before the
  // submission ran: a string receiver is then boxed, and a pause of the inspector while such a
  // frame is on the stack shows it as an object, instead of sending the whole string to the host.
  const sloppyWrapper = NativeFunction(
    'apply',
    'check',
    'native',
    'return function () { return check(apply(native, this, arguments), this); };',
  );
  /** @type {(owner: object, key: string) => void} */
  const wrapBuilder = (owner, key) => {
    const desc = getOwnPropertyDescriptor(owner, key);
    if (desc === undefined || typeof desc.value !== 'function') return;
    const native = desc.value;
    const wrapped = sloppyWrapper(apply, checkIfLarge, native);
    defineProperty(wrapped, 'name', { value: key });
    defineProperty(wrapped, 'length', { value: native.length });
    defineProperty(owner, key, { value: wrapped, writable: desc.writable, enumerable: desc.enumerable, configurable: desc.configurable });
  };
  /** @type {[object, string[]][]} */
  const BUILDERS = [
    [Array, ['from', 'of']],
    [
      Array.prototype,
      ['concat', 'fill', 'filter', 'flat', 'flatMap', 'join', 'map', 'slice', 'splice', 'toLocaleString', 'toReversed', 'toSorted', 'toSpliced', 'with'],
    ],
    // A typed array made into a string (String(u8), `${u8}`, u8 + ''): its toString is
    // Array.prototype.toString, which calls this.join, the typed arrays' own. Four characters an
    // element: 100 MB of bytes make a string of up to 400 MB, dropped within the statement.
    [TypedArray.prototype, ['join', 'toLocaleString']],
    [
      String.prototype,
      // Not the per-character ones (at, charAt, charCodeAt): loops call them millions of times.
      ['concat', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'match', 'matchAll', 'normalize', 'padEnd', 'padStart']
        .concat(['repeat', 'replace', 'replaceAll', 'search', 'slice', 'split', 'startsWith', 'substring', 'toLowerCase'])
        .concat(['toUpperCase', 'trim', 'trimEnd', 'trimStart']),
    ],
    [Object, ['entries', 'fromEntries', 'keys', 'values']],
    [JSON, ['parse', 'stringify']],
  ];
  for (let i = 0; i < BUILDERS.length; i++) {
    const [owner, keys] = BUILDERS[i];
    for (let k = 0; k < keys.length; k++) wrapBuilder(owner, keys[k]);
  }

  /** @param {Site | null} site */
  const siteKey = (site) => (site === null ? null : site.function + ' (' + site.file + ':' + site.line + ')');

  /** @type {(buffer: ArrayBuffer, above: Function) => void} */
  const track = (buffer, above) => {
    if (weakMapHas(seen, buffer)) return;
    // Buffers made before the run belong to the baseline; remember them so that a view made
    // during the run does not count them as new.
    if (!state.running) {
      weakMapSet(seen, buffer, 0);
      return;
    }
    const bytes = arrayBufferByteLength(buffer);
    state.allocations++;
    const step = currentStep();
    /** @type {Stats} */ (mapGet(stepStats, step)).allocated_bytes += bytes;
    state.allocatedSinceExact += bytes;
    if (bytes < SITE_MIN_BYTES || live.size >= MAX_TRACKED_LIVE) {
      weakMapSet(seen, buffer, 0);
      state.untrackedBytes += bytes;
      maybeSample();
      return;
    }
    const id = ++state.nextId;
    weakMapSet(seen, buffer, id);
    weakSetAdd(liveSet, buffer);
    const site = captureSite(above);
    /** @type {Bare<AllocationRecord>} */
    const rec = {
      __proto__: null,
      id,
      step,
      site: siteKey(site),
      function: site === null ? null : site.function,
      file: site === null ? null : site.file,
      line: site === null ? 0 : site.line,
      bytes,
      born_seq: state.seq + 1,
      died_seq: null,
    };
    mapSet(live, id, rec);
    if (bytes >= LIFETIME_MIN_BYTES && allocations.length < MAX_LIFETIMES) push(allocations, rec);
    state.trackedLiveBytes += bytes;
    state.allocatedSinceExact += BOOKKEEPING_BYTES;
    maybeSample();
  };

  /** @type {(view: unknown, above: Function) => void} */
  const trackView = (view, above) => {
    let buffer;
    try {
      buffer = typedArrayTag(view) !== undefined ? typedArrayBuffer(view) : dataViewBuffer(view);
    } catch {
      return;
    }
    track(buffer, above);
  };

  /** @type {(error: unknown, bytes: number) => void} */
  const noteFailure = (error, bytes) => {
    if (
      state.running &&
      error instanceof NativeRangeError &&
      stringIndexOf(StringCtor(error.message), 'allocation failed') >= 0
    ) {
      state.capHit = true;
      if (bytes > state.capRequestBytes) state.capRequestBytes = bytes;
    }
  };

  // ---- every way a submission can allocate an ArrayBuffer ------------------------------------
  /** @type {(from: object, to: object) => void} */
  const copyStatics = (from, to) => {
    const keys = ownKeys(from);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === 'prototype' || key === 'name' || key === 'length') continue;
      defineProperty(to, key, /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(from, key)));
    }
  };

  /** @type {(args: unknown[], perElement: number) => number} */
  const requestedBytes = (args, perElement) => {
    const n = args.length > 0 ? args[0] : 0;
    return typeof n === 'number' ? n * perElement : 0;
  };

  /**
   * @param {{ new (...args: any[]): object; readonly prototype: object; readonly BYTES_PER_ELEMENT?: number }} Native
   * @param {boolean} isView
   */
  const wrapConstructor = (Native, isView) => {
    const name = Native.name;
    const perElement = isView ? /** @type {number} */ (Native.BYTES_PER_ELEMENT) : 1;
    /** @param {...unknown} args */
    const Tracked = function (...args) {
      if (new.target === undefined) throw new NativeTypeError("Constructor " + name + " requires 'new'");
      // V8 leaves the memory of resizable buffers out of its external count: the grader could
      // not see it, so it refuses them.
      if (
        !isView && args.length > 1 && args[1] !== null && typeof args[1] === 'object' &&
        /** @type {{ maxByteLength?: unknown }} */ (args[1]).maxByteLength !== undefined
      ) {
        throw new NativeTypeError('resizable ArrayBuffers are not supported by the grader');
      }
      let made;
      try {
        made = construct(Native, args, new.target);
      } catch (error) {
        noteFailure(error, requestedBytes(args, perElement));
        throw error;
      }
      if (isView) trackView(made, Tracked);
      else track(made, Tracked);
      return made;
    };
    defineProperty(Tracked, 'name', { value: name });
    defineProperty(Tracked, 'length', { value: Native.length });
    defineProperty(Tracked, 'prototype', { value: Native.prototype, writable: false });
    Object.setPrototypeOf(Tracked, getPrototypeOf(Native));
    copyStatics(Native, Tracked);
    defineProperty(Native.prototype, 'constructor', {
      value: Tracked,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    defineProperty(globalThis, name, {
      value: Tracked,
      writable: false,
      enumerable: false,
      configurable: false,
    });
  };

  // Methods that return a fresh buffer. Species lookups already route most of them through the
  // tracked constructors; wrapping them as well covers the ones that use the intrinsic
  // constructor (toReversed, toSorted, with) and a submission that breaks `constructor`.
  /** @type {(proto: object, key: string, isView: boolean) => void} */
  const wrapMethod = (proto, key, isView) => {
    const desc = getOwnPropertyDescriptor(proto, key);
    if (desc === undefined || typeof desc.value !== 'function') return;
    const native = desc.value;
    const detaches = !isView && (key === 'transfer' || key === 'transferToFixedLength');
    /** @type {Function} */
    const tracked = {
      /** @param {...unknown} args */
      [key](...args) {
        let made;
        try {
          made = apply(native, this, args);
        } catch (error) {
          noteFailure(error, 0);
          throw error;
        }
        if (isView) trackView(made, tracked);
        else if (isArrayBuffer(made)) track(made, tracked);
        // A transfer moves the memory: the detached source holds none of it any more.
        if (detaches) {
          const rec = mapGet(live, weakMapGet(seen, this));
          if (rec !== undefined) died(rec);
        }
        return made;
      },
    }[key];
    defineProperty(tracked, 'length', { value: native.length });
    // Writable and configurable like the native method: locking a property of the shared
    // typed-array prototype slows every `length` read in a submission's loops about tenfold.
    // Replacing or deleting the wrapper hides nothing: the native method is only in this closure.
    defineProperty(proto, key, { value: tracked, writable: true, enumerable: false, configurable: true });
  };

  const VIEW_CONSTRUCTORS = [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ];
  wrapConstructor(NativeArrayBuffer, false);
  for (let i = 0; i < VIEW_CONSTRUCTORS.length; i++) wrapConstructor(VIEW_CONSTRUCTORS[i], true);
  const VIEW_METHODS = ['slice', 'map', 'filter', 'toReversed', 'toSorted', 'with'];
  for (let i = 0; i < VIEW_METHODS.length; i++) wrapMethod(TypedArray.prototype, VIEW_METHODS[i], true);
  const BUFFER_METHODS = ['slice', 'transfer', 'transferToFixedLength'];
  for (let i = 0; i < BUFFER_METHODS.length; i++) wrapMethod(NativeArrayBuffer.prototype, BUFFER_METHODS[i], false);

  // ---- steps -----------------------------------------------------------------------------------
  // A step is a function whose calls are measured: a helper, or the submission's own (wrapped
  // once its script has run, see `run`), or a method, named by its path from one of them
  // (`Algorithms.prototype.factorial_plus`). The wrapper stands in for the function: `this` is
  // passed on, `new` constructs the function itself (its `prototype` is the wrapper's, so
  // `instanceof` and `extends` see the same class), and outside a measured run it only passes the
  // call on. A generator function's call only makes its iterator: its body runs while the
  // iterator is driven (next, return, throw), so for such a step a call is counted when the
  // iterator is made, the step is on the stack (and its time runs) while the iterator is driven,
  // and it returns when the iterator is done. (An async function or async generator is a step
  // until it first waits: what runs after an await is its caller's.)
  /** An own data property's value, without running a getter. @type {(obj: object, key: string) => unknown} */
  const ownValue = (obj, key) => {
    const desc = getOwnPropertyDescriptor(obj, key);
    return desc === undefined ? undefined : desc.value;
  };

  /** @type {(name: string, fn: Function) => Function} */
  const wrapStep = (name, fn) => {
    const stats = /** @type {Stats} */ (mapGet(stepStats, name));
    let finished = 0;
    /** @type {(started: number, measuredBefore: number, returned: boolean) => void} */
    const leave = (started, measuredBefore, returned) => {
      // Sampled before the step leaves the stack: what is live as it returns is its doing.
      if (returned) {
        finished++;
        if (state.exitSamples < MAX_EXIT_SAMPLES && (finished <= FIRST_EXIT_SAMPLES || (finished & (finished - 1)) === 0)) {
          state.exitSamples++;
          stats.live_after_bytes = sample('return:' + name);
        }
      }
      checkCollected();
      stepDepth--;
      stats.duration_ms += dateNow() - started - (state.measureMs - measuredBefore);
    };
    const Constructor = /** @type {new (...a: unknown[]) => object} */ (fn);
    /** @type {(self: unknown, args: unknown[], newTarget: Function | undefined) => unknown} */
    const call = (self, args, newTarget) =>
      newTarget === undefined ? apply(fn, self, args) : construct(Constructor, args, newTarget === step ? fn : newTarget);
    const generator = getPrototypeOf(fn) === GeneratorFunctionPrototype;
    /**
     * @this {unknown}
     * @param {...unknown} args
     */
    const step = function (...args) {
      if (!state.running) return call(this, args, new.target);
      stats.calls++;
      if (generator) return call(this, args, new.target);
      const measuredBefore = state.measureMs;
      const started = dateNow();
      checkCollected();
      enterStep(name);
      try {
        return call(this, args, new.target);
      } finally {
        leave(started, measuredBefore, true);
      }
    };
    defineProperty(step, 'name', { value: ownValue(fn, 'name') });
    defineProperty(step, 'length', { value: ownValue(fn, 'length') });
    const proto = ownValue(fn, 'prototype');
    defineProperty(step, 'prototype', { value: proto });
    // Statics (a class's static methods and fields) are reached through the wrapper too.
    setPrototypeOf(step, fn);
    if (generator) {
      // The iterators a generator function makes inherit from its `prototype`: the methods
      // that drive them are put there, once, so that driving one costs no allocation.
      for (let i = 0; proto !== null && typeof proto === 'object' && i < GENERATOR_METHODS.length; i++) {
        const key = GENERATOR_METHODS[i];
        const native = /** @type {(value: unknown) => unknown} */ (GeneratorPrototype[key]);
        // Called uncurried: no array of arguments made at every step of the iterator.
        const callNative = uncurry(native);
        const drive = {
          /**
           * @this {unknown}
           * @param {unknown} value
           */
          [key](value) {
            if (!state.running) return callNative(this, value);
            const measuredBefore = state.measureMs;
            const started = dateNow();
            enterStep(name);
            let done = true;
            try {
              const result = /** @type {IteratorResult<unknown>} */ (callNative(this, value));
              // The native's own fresh result: nothing of the submission's is read.
              done = result.done === true;
              return result;
            } finally {
              leave(started, measuredBefore, done);
            }
          },
        }[key];
        defineProperty(drive, 'length', { value: 1 });
        tryDefineProperty(proto, key, { value: drive, writable: true, enumerable: false, configurable: true });
      }
    }
    return step;
  };

  /**
   * Wraps the step at `path` (after its root) of `root`, in place: a data property holding a
   * function, that can be redefined. Answers the wrapper, or null when there is no such function.
   * @type {(root: unknown, path: string[], name: string) => Function | null}
   */
  const wrapAt = (root, path, name) => {
    let owner = root;
    for (let i = 0; i < path.length - 1; i++) {
      if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function')) return null;
      const desc = getOwnPropertyDescriptor(owner, path[i]);
      if (desc === undefined || !('value' in desc)) return null;
      owner = desc.value;
    }
    if (owner === null || (typeof owner !== 'object' && typeof owner !== 'function')) return null;
    const key = path[path.length - 1];
    const desc = getOwnPropertyDescriptor(owner, key);
    if (desc === undefined || typeof desc.value !== 'function' || !(desc.writable === true || desc.configurable === true)) return null;
    const step = wrapStep(name, desc.value);
    const redefined = { value: step, writable: desc.writable === true, enumerable: desc.enumerable === true, configurable: desc.configurable === true };
    return tryDefineProperty(owner, key, redefined) ? step : null;
  };

  /** A step's name split into its root binding and the path after it. @type {(name: string) => string[]} */
  const stepPath = (name) => {
    /** @type {string[]} */
    const parts = [];
    let from = 0;
    for (let at = stringIndexOf(name, '.'); at >= 0; at = stringIndexOf(name, '.', from)) {
      push(parts, stringSlice(name, from, at));
      from = at + 1;
    }
    push(parts, stringSlice(name, from));
    return parts;
  };

  // Installs the assignment's helpers as read-only globals. Steps are wrapped so that each call
  // is measured; the submission sees the wrapped functions only. For the hidden check, the
  // hidden setup runs first and the helpers' values are read after it: constants and the entry
  // point's arguments are then the hidden input.
  /** @type {Harness['installHelpers']} */
  const installHelpers = (read, seed) => {
    let helpers = read();
    checker = helpers[config.check];
    hiddenSetup = config.hiddenSetup === '' ? null : helpers[config.hiddenSetup];
    if (seed !== null) {
      if (typeof hiddenSetup !== 'function') throw new NativeTypeError('this assignment has no hidden check');
      hiddenSetup(seed);
      helpers = read();
    }
    const names = ownKeys(helpers);
    for (let i = 0; i < names.length; i++) {
      const key = names[i];
      if (key === config.check || key === config.hiddenSetup) continue;
      const value = helpers[key];
      const isStep = typeof value === 'function' && typeof key === 'string' && mapGet(stepStats, key) !== undefined && key !== entryName;
      defineProperty(globalThis, key, {
        value: isStep ? wrapStep(key, value) : value,
        writable: false,
        enumerable: true,
        configurable: false,
      });
    }
    // Methods of the helpers named by a path (`Counter.prototype.most_common`); the rest of the
    // steps are the submission's, wrapped once it has loaded.
    for (let i = 0; i < stepNames.length; i++) {
      const path = stepPath(stepNames[i]);
      const root = getOwnPropertyDescriptor(helpers, path[0]);
      if (root === undefined) {
        push(ownSteps, stepNames[i]);
      } else if (path.length > 1) {
        /** @type {string[]} */
        const rest = [];
        for (let k = 1; k < path.length; k++) push(rest, path[k]);
        wrapAt(root.value, rest, stepNames[i]);
      }
    }
    for (let i = 0; i < config.entryArgs.length; i++) {
      const arg = config.entryArgs[i];
      push(entryArgs, typeof arg === 'string' ? helpers[arg] : arg !== null && typeof arg === 'object' ? arg.value : arg);
    }
  };
  /** @type {unknown} */
  let checker = null;
  /** @type {unknown} */
  let hiddenSetup = null;
  /** Steps that are not the helpers': the submission's own. @type {string[]} */
  const ownSteps = [];
  /** What the entry point is called with. @type {unknown[]} */
  const entryArgs = [];

  /**
   * Wraps the submission's own steps, through `read` and `write` of its top-level bindings. A
   * binding that is not a function, or cannot be rebound (a module's), stays as it is: the step
   * then shows no calls.
   * @type {(names: string[], read: (name: string) => unknown, write: ((name: string, value: unknown) => void) | null) => void}
   */
  const wrapOwnSteps = (names, read, write) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const path = stepPath(name);
      try {
        const root = read(path[0]);
        if (path.length > 1) {
          /** @type {string[]} */
          const rest = [];
          for (let k = 1; k < path.length; k++) push(rest, path[k]);
          wrapAt(root, rest, name);
        } else if (typeof root === 'function' && write !== null) {
          write(name, wrapStep(name, root));
        }
      } catch {
        // Not defined, not yet initialised, or a `const`: not wrapped.
      }
    }
  };

  // ---- the run -----------------------------------------------------------------------------------
  // The report as JSON text. Only own data properties are read, so nothing the submission
  // planted on a prototype (a `toJSON`, a getter) takes part, and JSON.stringify is handed
  // primitives only, for which it consults nothing.
  /** @type {(value: unknown) => string} */
  const toJson = (value) => {
    if (value === null || typeof value !== 'object') return stringify(value);
    let out = '';
    if (isArray(value)) {
      for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + toJson(value[i]);
      return '[' + out + ']';
    }
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) {
      out += (i > 0 ? ',' : '') + stringify(keys[i]) + ':' + toJson(/** @type {Record<PropertyKey, unknown>} */ (value)[keys[i]]);
    }
    return '{' + out + '}';
  };

  /** @type {(error: unknown) => ThrownError} */
  const describeError = (error) => {
    let name = 'Error';
    // What is left when reading the thrown value's own message throws.
    // eslint-disable-next-line no-useless-assignment
    let message = '';
    /** @type {string | null} */
    let stack = null;
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        const thrown = /** @type {{ name?: unknown; message?: unknown; stack?: unknown }} */ (error);
        name = StringCtor(thrown.name);
        message = StringCtor(thrown.message);
        stack = typeof thrown.stack === 'string' ? thrown.stack : null;
      } else {
        name = 'thrown value';
        message = StringCtor(error);
      }
    } catch {
      message = '(the thrown value could not be read)';
    }
    return { name: cut(name, MAX_NAME), message: cut(message, MAX_MESSAGE), stack: stack === null ? null : cut(stack, MAX_STACK) };
  };

  /**
   * @typedef {{ correct?: unknown; message?: unknown; first_bad_index?: unknown }} CheckReturn
   *   what an assignment's check returns
   */
  /** @type {(check: CheckReturn | null) => CheckRecord | null} */
  const describeCheck = (check) => {
    if (check === null) return null;
    return {
      correct: check.correct === true,
      message: check.message === null || check.message === undefined ? null : cut(check.message, MAX_MESSAGE),
      first_bad_index: typeof check.first_bad_index === 'number' ? check.first_bad_index : null,
    };
  };

  /**
   * The report, made once the run is over: plain objects are safe here, read only by toJson.
   * @param {IsolateReport['outcome']} outcome
   * @param {unknown} error what the submission threw; undefined for nothing
   * @param {CheckReturn | null} check
   */
  const render = (outcome, error, check) => {
    /** @type {StepRecord[]} */
    const steps = [];
    const load = /** @type {Stats} */ (mapGet(stepStats, LOAD_STEP));
    if (load.calls > 0) push(steps, load);
    for (let i = 0; i < stepNames.length; i++) push(steps, /** @type {Stats} */ (mapGet(stepStats, stepNames[i])));
    push(steps, /** @type {Stats} */ (mapGet(stepStats, entryName)));
    /** @type {IsolateReport} */
    const report = {
      outcome,
      error: error === undefined ? null : describeError(error),
      check: describeCheck(check),
      peak_bytes: state.peak,
      peak_external_bytes: state.peakExternal,
      peak_heap_bytes: state.peakHeap,
      peak_seq: state.peakSeq,
      peak_mark: { ticks: state.peakTicks, allocations: state.peakAllocations, reason: state.peakReason },
      peak_step: state.peakStep,
      cap_hit: state.capHit,
      cap_request_bytes: state.capRequestBytes,
      gc_count: state.gcCount,
      liveness_reads: state.livenessReads,
      heap_checks: state.heapChecks,
      liveness_failures: state.livenessFailures,
      tolerance_bytes: tolerance(),
      heap_figure: heapFigure,
      measure_ms: state.measureMs,
      run_ms: dateNow() - state.startedAt,
      steps,
      live_at_peak: state.peakLive === null ? [] : state.peakLive,
      allocations,
      timeline,
    };
    return toJson(report);
  };

  // Called by the host before it evaluates the submission's script: the baseline is what the
  // harness and the helpers hold, and everything from the script's first statement is measured.
  // A run that only checks the result (the hidden check) measures nothing: no GC, no sample.
  const measuring = config.measure;

  // The harness's code that first runs once the submission has loaded (wrapping its steps,
  // entering and leaving them, driving a generator) is run here first, on functions of its own,
  // before the baseline: its bytecode and what V8 learns about it (feedback) are then the
  // harness's, not the submission's. Nothing is sampled meanwhile.
  const WARM_UP = '(warm-up)';
  const WARM_UP_METHOD = WARM_UP + '.f';
  const WARM_UP_ROUNDS = 16;
  // Enough drives of a generator for V8 to optimise the code that enters and leaves a step.
  const WARM_UP_DRIVES = 4096;
  let warming = false;
  const warmUp = () => {
    mapSet(stepStats, WARM_UP, newStepStats(WARM_UP));
    mapSet(stepStats, WARM_UP_METHOD, newStepStats(WARM_UP_METHOD));
    state.running = true;
    warming = true;
    const drives = /** @type {() => Iterator<number>} */ (wrapStep(WARM_UP, function* () { for (;;) yield 0; }));
    const driven = drives();
    for (let i = 0; i < WARM_UP_DRIVES; i++) driven.next();
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      const owner = { __proto__: null, f: function () { return 0; } };
      /** @type {unknown} */
      let bound = round % 2 === 0 ? function* () { yield 0; } : function () { return 0; };
      wrapOwnSteps([WARM_UP_METHOD], () => owner, null);
      wrapOwnSteps([WARM_UP], () => bound, (_, value) => (bound = value));
      const method = /** @type {{ f: new () => object }} */ (/** @type {unknown} */ (owner));
      void new method.f();
      owner.f();
      const step = /** @type {() => Iterator<unknown> | number} */ (bound);
      const made = step();
      if (typeof made === 'object') {
        made.next();
        made.next();
        /** @type {Generator<unknown>} */ (step()).return(0);
        try {
          /** @type {Generator<unknown>} */ (step()).throw(0);
        } catch {
          // What it threw.
        }
      }
    }
    state.running = false;
    warming = false;
    state.exitSamples = 0;
    stepDepth = 0;
    mapDelete(stepStats, WARM_UP);
    mapDelete(stepStats, WARM_UP_METHOD);
  };

  const begin = () => {
    if (!measuring) return;
    warmUp();
    // The inspector builds what it needs on its first read: done before the baseline, so that
    // it is not counted as the submission's.
    readLiveness();
    gc();
    if (readCollected !== null) readCollected(collectedFigures);
    const stats = figures();
    state.baselineExternal = stats[0];
    state.baselineHeap = stats[1];
    figures(1);
    state.startedAt = dateNow();
    state.running = true;
    state.loading = true;
    /** @type {Stats} */ (mapGet(stepStats, LOAD_STEP)).calls = 1;
    enterStep(LOAD_STEP);
    sample('start');
  };

  // Called by the host once the script has been evaluated (or has failed to).
  const endLoad = () => {
    if (!measuring) return;
    const load = /** @type {Stats} */ (mapGet(stepStats, LOAD_STEP));
    load.live_after_bytes = sample('return:' + LOAD_STEP);
    stepDepth = 0;
    state.loading = false;
    load.duration_ms = dateNow() - state.startedAt - state.measureMs;
  };

  const finish = () => {
    if (!measuring) return;
    const final = sample('end');
    state.running = false;
    const entry = /** @type {Stats} */ (mapGet(stepStats, entryName));
    entry.calls = 1;
    entry.live_after_bytes = final;
    entry.duration_ms = dateNow() - state.runStartedAt - (state.measureMs - state.measureAtRun);
  };

  /** How the check reaches the submission's bindings (see `run`). @type {(name: string) => unknown} */
  let readBinding = () => undefined;

  // The check is handed the result, and the submission's top-level bindings it asked for
  // (check_uses), read now: undefined for one the submission does not define.
  /** @type {(value: unknown) => CheckReturn | null} */
  const runCheck = (value) => {
    if (typeof checker !== 'function') return null;
    /** @type {Record<string, unknown>} */
    const uses = { __proto__: null };
    for (let i = 0; i < config.checkUses.length; i++) {
      const name = config.checkUses[i];
      let bound;
      try {
        bound = readBinding(name);
      } catch {
        bound = undefined;
      }
      defineProperty(uses, name, { value: bound, writable: false, enumerable: true, configurable: false });
    }
    return checker(value, uses);
  };

  /** Called by the host with the submission's entry point. @type {Harness['run']} */
  const run = async (entry, scope, module) => {
    if (module) {
      // A module's namespace: its exports, read-only; its own functions cannot be rebound.
      readBinding = (name) => {
        const desc = getOwnPropertyDescriptor(scope, name);
        return desc === undefined ? undefined : desc.value;
      };
      wrapOwnSteps(ownSteps, readBinding, null);
    } else {
      const access = /** @type {ScopeAccessor} */ (scope);
      readBinding = (name) => access(name);
      wrapOwnSteps(ownSteps, readBinding, (name, wrapped) => access(name, wrapped, true));
    }
    state.runStartedAt = dateNow();
    state.measureAtRun = state.measureMs;
    let value;
    try {
      value = apply(entry, undefined, entryArgs);
      if (value !== null && typeof value === 'object' && value instanceof PromiseCtor) value = await value;
    } catch (error) {
      finish();
      return render(state.capHit ? 'memory_cap' : 'threw', error, null);
    }
    finish();
    if (state.capHit) return render('memory_cap', undefined, null);
    let check;
    try {
      check = runCheck(value);
    } catch (error) {
      return render('check_threw', error, null);
    }
    return render('returned', undefined, check);
  };

  // The report of a run that ended while the script loaded (it threw): what was measured so far.
  const reportLoad = () => render('load_failed', undefined, null);

  return { __proto__: null, installHelpers, begin, endLoad, run, reportLoad };
})
