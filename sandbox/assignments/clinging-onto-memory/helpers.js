// The exercise's helpers, as the memray tutorial's holding_onto_memory.py defines them, over
// Uint8Array with uint8 wrap-around. Each step returns a NEW array of the same size.
//
// This file runs inside the isolate before the submission does. Whatever built-in it needs
// later is captured now, so a submission that rewrites a prototype cannot change a result.
// The kernels work four bytes at a time through Int32Array views of the same memory (SWAR:
// per-byte arithmetic that never carries into the neighbouring byte); raise_to_power looks up
// each half of a word in a 65,536-entry table of byte pairs. bench/grade.ts measures them.

// Do not change: the exercise's constants.
const MB_CONVERSION = 1000 * 1000;
const DUPLICATE_CONST = 2;
const SIZE_OF_DATA_IN_MB = 100;
const SUBTRACT_AMOUNT = 3;
const POWER_AMOUNT = 2;
const ADD_AMOUNT = 10;

const uncurry = (fn) => Reflect.apply(Function.prototype.bind, Function.prototype.call, [fn]);
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const getter = (key) => uncurry(Object.getOwnPropertyDescriptor(TypedArrayPrototype, key).get);
const tagOf = getter(Symbol.toStringTag);
const lengthOf = getter('length');
const bufferOf = getter('buffer');
const byteOffsetOf = getter('byteOffset');
const fill = uncurry(TypedArrayPrototype.fill);
const NativeTypeError = TypeError;
const toNumber = Number;

const LOW7 = 0x7f7f7f7f;
const HIGH1 = 0x80808080 | 0;
const mathFloor = Math.floor;

const requireBytes = (data, step) => {
  if (tagOf(data) !== 'Uint8Array') throw new NativeTypeError(step + ' expects a Uint8Array');
  return lengthOf(data);
};

// The kernels work on 32-bit words through Int32Array views of the same memory. Int32, not
// Uint32: every word is then a small integer to V8 even before the loop is optimised, where a
// Uint32 word of 2^31 or more would be a heap-allocated number. Each kernel has its own loop
// (a shared loop calling a per-kernel function would be a megamorphic call per word), reads
// its bounds into locals once, and does UNROLL words per iteration (the loops spell out 16):
// a typed-array loop pays a fixed cost per iteration, which is then shared by 64 bytes.
// Unrolled 16 times the kernels take about half the time of a one-word loop, and a few per
// cent less than 8 times; Uint32 views cost up to a third more in a fresh isolate.
const UNROLL = 16;
const WordView = Int32Array;

// The aligned middle of `data`, and the same span of `out`, as word views of their memory, or
// null when `data` does not start on a word boundary.
const wordViews = (data, out) => {
  const offset = byteOffsetOf(data);
  if (offset % 4 !== 0) return null;
  const count = lengthOf(data) >>> 2;
  const src = new WordView(bufferOf(data), offset, count);
  return { src, dst: new WordView(bufferOf(out), 0, count), count, unrolled: count - (count % UNROLL) };
};

// Per-byte a + b of two words (see addScalarBytes): add the low seven bits of each byte, then
// put back each byte's top bit by xor, so that no carry crosses into the next byte.
const splat = (byte) => (byte & 0xff) * 0x01010101;

// The hidden check (manifest: hidden_check): a second, small run on bytes made from a seed the
// submission never sees, so that only a result computed from the input passes. Not a multiple
// of 4 bytes long, so that the kernels' byte-wise tails are checked too.
const HIDDEN_BYTES = 1000003;
let hiddenSeed = null;
const seededBytes = (seed, n) => {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
function hidden_setup(seed) {
  hiddenSeed = toNumber(seed);
}

function load_xMb_of_data(mb) {
  if (hiddenSeed !== null) return seededBytes(hiddenSeed, HIDDEN_BYTES);
  const out = new Uint8Array(MB_CONVERSION * toNumber(mb));
  fill(out, 1);
  return out;
}

// Per-byte data + scalar into a new array; subtraction is the addition of the negated byte.
const addScalarBytes = (data, scalar, step) => {
  const n = requireBytes(data, step);
  const out = new Uint8Array(n);
  const plus = splat(scalar);
  const low = LOW7;
  const high = HIGH1;
  const plusLow = plus & low;
  const plusHigh = plus & high;
  const v = wordViews(data, out);
  let i = 0;
  if (v !== null) {
    const { src, dst, count, unrolled } = v;
    let w = 0;
    for (; w < unrolled; w += 16) {
      let x = src[w];
      dst[w] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 1];
      dst[w + 1] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 2];
      dst[w + 2] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 3];
      dst[w + 3] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 4];
      dst[w + 4] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 5];
      dst[w + 5] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 6];
      dst[w + 6] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 7];
      dst[w + 7] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 8];
      dst[w + 8] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 9];
      dst[w + 9] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 10];
      dst[w + 10] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 11];
      dst[w + 11] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 12];
      dst[w + 12] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 13];
      dst[w + 13] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 14];
      dst[w + 14] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
      x = src[w + 15];
      dst[w + 15] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
    }
    for (; w < count; w++) {
      const x = src[w];
      dst[w] = ((x & low) + plusLow) ^ ((x ^ plusHigh) & high);
    }
    i = count << 2;
  }
  for (; i < n; i++) out[i] = data[i] + scalar;
  return out;
};

function subtract_scalar(data, scalar) {
  return addScalarBytes(data, -toNumber(scalar), 'subtract_scalar');
}

const powerTables = new Map();
const mapGet = uncurry(Map.prototype.get);
const mapSet = uncurry(Map.prototype.set);
const byteTable = (power) => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    let r = 1;
    for (let k = 0; k < power; k++) r = (r * b) & 0xff;
    table[b] = r;
  }
  return table;
};
// Two lookups per word: a table over every 16-bit pair of bytes. Built once per power, before
// any step can be measured, so it is part of the baseline.
const pairTable = (power) => {
  let table = mapGet(powerTables, power);
  if (table === undefined) {
    const bytes = byteTable(power);
    table = new Uint16Array(65536);
    for (let v = 0; v < 65536; v++) table[v] = bytes[v & 0xff] | (bytes[v >>> 8] << 8);
    mapSet(powerTables, power, table);
  }
  return table;
};
pairTable(POWER_AMOUNT);

function raise_to_power(data, power) {
  const p = toNumber(power);
  if (!(p >= 0 && p === mathFloor(p) && p <= 64)) throw new NativeTypeError('raise_to_power expects a whole power from 0 to 64');
  const n = requireBytes(data, 'raise_to_power');
  const table = pairTable(p);
  const out = new Uint8Array(n);
  const v = wordViews(data, out);
  let i = 0;
  if (v !== null) {
    const { src, dst, count, unrolled } = v;
    let w = 0;
    for (; w < unrolled; w += 16) {
      let x = src[w];
      dst[w] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 1];
      dst[w + 1] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 2];
      dst[w + 2] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 3];
      dst[w + 3] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 4];
      dst[w + 4] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 5];
      dst[w + 5] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 6];
      dst[w + 6] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 7];
      dst[w + 7] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 8];
      dst[w + 8] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 9];
      dst[w + 9] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 10];
      dst[w + 10] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 11];
      dst[w + 11] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 12];
      dst[w + 12] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 13];
      dst[w + 13] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 14];
      dst[w + 14] = table[x & 0xffff] | (table[x >>> 16] << 16);
      x = src[w + 15];
      dst[w + 15] = table[x & 0xffff] | (table[x >>> 16] << 16);
    }
    for (; w < count; w++) {
      const x = src[w];
      dst[w] = table[x & 0xffff] | (table[x >>> 16] << 16);
    }
    i = count << 2;
  }
  for (; i < n; i++) out[i] = table[data[i]] & 0xff;
  return out;
}

// x * 2 per byte is a shift that drops each byte's top bit.
function duplicate_data(data) {
  const n = requireBytes(data, 'duplicate_data');
  const out = new Uint8Array(n);
  const v = wordViews(data, out);
  let i = 0;
  if (v !== null) {
    const { src, dst, count, unrolled } = v;
    const mask = 0xfefefefe | 0;
    let w = 0;
    for (; w < unrolled; w += 16) {
      dst[w] = (src[w] << 1) & mask;
      dst[w + 1] = (src[w + 1] << 1) & mask;
      dst[w + 2] = (src[w + 2] << 1) & mask;
      dst[w + 3] = (src[w + 3] << 1) & mask;
      dst[w + 4] = (src[w + 4] << 1) & mask;
      dst[w + 5] = (src[w + 5] << 1) & mask;
      dst[w + 6] = (src[w + 6] << 1) & mask;
      dst[w + 7] = (src[w + 7] << 1) & mask;
      dst[w + 8] = (src[w + 8] << 1) & mask;
      dst[w + 9] = (src[w + 9] << 1) & mask;
      dst[w + 10] = (src[w + 10] << 1) & mask;
      dst[w + 11] = (src[w + 11] << 1) & mask;
      dst[w + 12] = (src[w + 12] << 1) & mask;
      dst[w + 13] = (src[w + 13] << 1) & mask;
      dst[w + 14] = (src[w + 14] << 1) & mask;
      dst[w + 15] = (src[w + 15] << 1) & mask;
    }
    for (; w < count; w++) dst[w] = (src[w] << 1) & mask;
    i = count << 2;
  }
  for (; i < n; i++) out[i] = data[i] * DUPLICATE_CONST;
  return out;
}

function add_scalar(data, scalar) {
  return addScalarBytes(data, toNumber(scalar), 'add_scalar');
}

const EXPECTED_LENGTH = MB_CONVERSION * SIZE_OF_DATA_IN_MB;
const EXPECTED_VALUE = 18;

// The tutorial's second test: 100,000,000 elements, every one 18. Whole words are compared
// 16 at a time; the first block with a wrong byte, and the unaligned ends, go byte by byte, so
// the first wrong element is found as an element-by-element loop would find it.
const firstWrongByte = (result, from, n) => {
  for (let i = from; i < n; i++) if (result[i] !== EXPECTED_VALUE) return i;
  return -1;
};
const firstWrongWordBlock = (words, count, expected) => {
  const unrolled = count - (count % UNROLL);
  let w = 0;
  for (; w < unrolled; w += 16) {
    const differs =
      (words[w] ^ expected) | (words[w + 1] ^ expected) | (words[w + 2] ^ expected) | (words[w + 3] ^ expected) |
      (words[w + 4] ^ expected) | (words[w + 5] ^ expected) | (words[w + 6] ^ expected) | (words[w + 7] ^ expected) |
      (words[w + 8] ^ expected) | (words[w + 9] ^ expected) | (words[w + 10] ^ expected) | (words[w + 11] ^ expected) |
      (words[w + 12] ^ expected) | (words[w + 13] ^ expected) | (words[w + 14] ^ expected) | (words[w + 15] ^ expected);
    if (differs !== 0) return w;
  }
  for (; w < count; w++) if (words[w] !== expected) return w;
  return -1;
};

// What the whole pipeline makes of each byte value, for the hidden check.
const pipelineTable = () => {
  const power = byteTable(POWER_AMOUNT);
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = power[(v - SUBTRACT_AMOUNT) & 0xff] * DUPLICATE_CONST + ADD_AMOUNT;
  return table;
};

const checkHidden = (result) => {
  const n = lengthOf(result);
  if (n !== HIDDEN_BYTES) return { correct: false, message: 'expected ' + HIDDEN_BYTES + ' elements, got ' + n, first_bad_index: null };
  const input = seededBytes(hiddenSeed, HIDDEN_BYTES);
  const table = pipelineTable();
  for (let i = 0; i < n; i++) {
    if (result[i] !== table[input[i]]) {
      return { correct: false, message: 'element ' + i + ' is ' + result[i] + ', expected ' + table[input[i]], first_bad_index: i };
    }
  }
  return { correct: true, message: 'all ' + n + ' elements are right', first_bad_index: null };
};

function check(result) {
  if (tagOf(result) !== 'Uint8Array') {
    const kind = result === null ? 'null' : typeof result;
    return { correct: false, message: 'process_data must return a Uint8Array, got ' + (tagOf(result) || kind), first_bad_index: null };
  }
  if (hiddenSeed !== null) return checkHidden(result);
  const n = lengthOf(result);
  if (n !== EXPECTED_LENGTH) {
    return { correct: false, message: 'expected ' + EXPECTED_LENGTH + ' elements, got ' + n, first_bad_index: null };
  }
  const offset = byteOffsetOf(result);
  const misaligned = (4 - (offset % 4)) % 4;
  const lead = misaligned < n ? misaligned : n;
  let bad = firstWrongByte(result, 0, lead);
  if (bad < 0) {
    const count = (n - lead) >>> 2;
    const block = firstWrongWordBlock(new WordView(bufferOf(result), offset + lead, count), count, splat(EXPECTED_VALUE));
    bad = block < 0 ? firstWrongByte(result, lead + (count << 2), n) : firstWrongByte(result, lead + (block << 2), n);
  }
  if (bad >= 0) {
    return { correct: false, message: 'element ' + bad + ' is ' + result[bad] + ', expected ' + EXPECTED_VALUE, first_bad_index: bad };
  }
  return { correct: true, message: 'all ' + n + ' elements are ' + EXPECTED_VALUE, first_bad_index: null };
}
