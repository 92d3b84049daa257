// The exercise's helpers, as the memray tutorial's holding_onto_memory.py defines them, over
// Uint8Array with uint8 wrap-around. Each step returns a NEW array of the same size.
//
// This file runs inside the isolate before the submission does. Whatever built-in it needs
// later is captured now, so a submission that rewrites a prototype cannot change a result.
// The kernels work four bytes at a time through a Uint32Array view of the same memory
// (SWAR: per-byte arithmetic that never carries into the neighbouring byte), and raise_to_power
// through a 65,536-entry table over a Uint16Array view.

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

const requireBytes = (data, step) => {
  if (tagOf(data) !== 'Uint8Array') throw new NativeTypeError(step + ' expects a Uint8Array');
  return lengthOf(data);
};

// The aligned middle of `data` and a new array of the same length, as word views of their
// memory. Each kernel runs its own loop over them: a shared loop calling a per-kernel function
// would be a megamorphic call per word, several times slower.
const wordViews = (data, out, View, shift) => {
  const offset = byteOffsetOf(data);
  if (offset % View.BYTES_PER_ELEMENT !== 0) return null;
  const count = lengthOf(data) >>> shift;
  return { src: new View(bufferOf(data), offset, count), dst: new View(bufferOf(out), 0, count), done: count << shift };
};

// Per-byte a + b of two words (see addScalarBytes): add the low seven bits of each byte, then
// put back each byte's top bit by xor, so that no carry crosses into the next byte.
const splat = (byte) => (byte & 0xff) * 0x01010101;

function load_xMb_of_data(mb) {
  const out = new Uint8Array(MB_CONVERSION * toNumber(mb));
  fill(out, 1);
  return out;
}

// Per-byte data + scalar into a new array; subtraction is the addition of the negated byte.
const addScalarBytes = (data, scalar, step) => {
  const n = requireBytes(data, step);
  const out = new Uint8Array(n);
  const plus = splat(scalar);
  const plusLow = plus & LOW7;
  const plusHigh = plus & HIGH1;
  const v = wordViews(data, out, Uint32Array, 2);
  let i = 0;
  if (v !== null) {
    const { src, dst, done } = v;
    for (let w = 0, count = lengthOf(src); w < count; w++) {
      const x = src[w];
      dst[w] = ((x & LOW7) + plusLow) ^ ((x ^ plusHigh) & HIGH1);
    }
    i = done;
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
// One lookup per two bytes: a table over every 16-bit pair. Built once per power, before any
// step can be measured, so it is part of the baseline.
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
  if (!(p >= 0 && p === Math.floor(p) && p <= 64)) throw new NativeTypeError('raise_to_power expects a whole power from 0 to 64');
  const n = requireBytes(data, 'raise_to_power');
  const table = pairTable(p);
  const out = new Uint8Array(n);
  const v = wordViews(data, out, Uint16Array, 1);
  let i = 0;
  if (v !== null) {
    const { src, dst, done } = v;
    for (let k = 0, count = lengthOf(src); k < count; k++) dst[k] = table[src[k]];
    i = done;
  }
  for (; i < n; i++) out[i] = table[data[i]] & 0xff;
  return out;
}

// x * 2 per byte is a shift that drops each byte's top bit.
function duplicate_data(data) {
  const n = requireBytes(data, 'duplicate_data');
  const out = new Uint8Array(n);
  const v = wordViews(data, out, Uint32Array, 2);
  let i = 0;
  if (v !== null) {
    const { src, dst, done } = v;
    for (let w = 0, count = lengthOf(src); w < count; w++) dst[w] = (src[w] << 1) & 0xfefefefe;
    i = done;
  }
  for (; i < n; i++) out[i] = data[i] * DUPLICATE_CONST;
  return out;
}

function add_scalar(data, scalar) {
  return addScalarBytes(data, toNumber(scalar), 'add_scalar');
}

const EXPECTED_LENGTH = MB_CONVERSION * SIZE_OF_DATA_IN_MB;
const EXPECTED_VALUE = 18;

// The tutorial's second test: 100,000,000 elements, every one 18.
function check(result) {
  if (tagOf(result) !== 'Uint8Array') {
    const kind = result === null ? 'null' : typeof result;
    return { correct: false, message: 'process_data must return a Uint8Array, got ' + (tagOf(result) || kind), first_bad_index: null };
  }
  const n = lengthOf(result);
  if (n !== EXPECTED_LENGTH) {
    return { correct: false, message: 'expected ' + EXPECTED_LENGTH + ' elements, got ' + n, first_bad_index: null };
  }
  for (let i = 0; i < n; i++) {
    if (result[i] !== EXPECTED_VALUE) {
      return { correct: false, message: 'element ' + i + ' is ' + result[i] + ', expected ' + EXPECTED_VALUE, first_bad_index: i };
    }
  }
  return { correct: true, message: 'all ' + n + ' elements are ' + EXPECTED_VALUE, first_bad_index: null };
}
