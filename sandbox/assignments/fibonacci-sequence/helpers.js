// The exercise's helpers, as the memray tutorial's fibonacci.py imports them: a lazy `chain`
// (itertools.chain), `reduce` (functools.reduce) and `add` (operator.add), and its three
// constants. The numbers are BigInts: fib(34567) has 23,990 bits, far past a Number.
//
// This file runs inside the isolate before the submission does. Whatever built-in it needs
// later is captured now, so a submission that rewrites a prototype cannot change what the
// check computes. The check computes the expected hash itself, modulo 10000 with Numbers (the
// sum modulo 10000 of numbers modulo 10000 is the hash), so it never trusts a BigInt method.

// The exercise's constants, which the grader passes to generate_fibonacci_hash. `let`: the
// hidden check's setup (below) changes them before the submission sees them.
let LENGTH_OF_SEQUENCE_1 = 33333;
let LENGTH_OF_SEQUENCE_2 = 30000;
let LENGTH_OF_SEQUENCE_3 = 34567;

const { apply } = Reflect;
const NativeTypeError = TypeError;
const SymbolIterator = Symbol.iterator;
const StringCtor = String;
const NativeBigInt = BigInt;
const isArray = Array.isArray;

// itertools.chain(*iterables): one iterable after the other, lazily. Nothing is read from an
// iterable before its turn comes.
function* chain(...iterables) {
  for (let i = 0; i < iterables.length; i++) yield* iterables[i];
}

// functools.reduce(function, iterable[, initial]): folds from the left. Without `initial`, the
// first element starts the fold, and an empty iterable is an error, as in Python.
function reduce(fn, iterable, ...initial) {
  if (typeof fn !== 'function') throw new NativeTypeError('reduce expects a function as its first argument');
  const iterator = iterable[SymbolIterator]();
  let acc;
  if (initial.length > 0) {
    acc = initial[0];
  } else {
    const first = iterator.next();
    if (first.done) throw new NativeTypeError('reduce() of empty iterable with no initial value');
    acc = first.value;
  }
  for (;;) {
    const step = iterator.next();
    if (step.done) return acc;
    acc = fn(acc, step.value);
  }
}

// operator.add(a, b).
function add(a, b) {
  return a + b;
}

// ---- the check -------------------------------------------------------------------------------

const HASH_MODULUS = 10000;

// The sum of the first `length` Fibonacci numbers (1, 1, 2, 3, 5, ...) modulo 10000, with
// Numbers: every intermediate stays below 20000. A length below 1 sums nothing, as in the
// tutorial's fibonacci.
const fibonacciSumMod = (length) => {
  let sum = 0;
  let left = 1;
  let right = 1;
  for (let i = 0; i < length; i++) {
    sum = (sum + left) % HASH_MODULUS;
    const next = (left + right) % HASH_MODULUS;
    left = right;
    right = next;
  }
  return sum;
};
const expectedHash = (a, b, c) => (fibonacciSumMod(a) + fibonacciSumMod(b) + fibonacciSumMod(c)) % HASH_MODULUS;

// The tutorial's test_exercise_1.py, case by case: empty, short, multiple, modulo.
const PYTEST_CASES = [
  { args: [0, 0, 0], expected: 0, test: 'test_fibonacci_empty' },
  { args: [0, 0, 1], expected: 1, test: 'test_fibonacci_short[1-1]' },
  { args: [0, 0, 2], expected: 2, test: 'test_fibonacci_short[2-2]' },
  { args: [0, 0, 6], expected: 20, test: 'test_fibonacci_short[6-20]' },
  { args: [1, 1, 1], expected: 3, test: 'test_fibonacci_multiple[1-1]' },
  { args: [2, 2, 2], expected: 6, test: 'test_fibonacci_multiple[2-2]' },
  { args: [6, 6, 6], expected: 60, test: 'test_fibonacci_multiple[6-20]' },
  { args: [0, 0, 19], expected: 945, test: 'test_hash_modulo_10000' },
];
const FULL_HASH = expectedHash(LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3);

// The hidden check (manifest: hidden_check): a second run in which the three lengths, and so
// the arguments the grader calls generate_fibonacci_hash with, are made from a seed the
// submission never sees. Its setup runs before the constants are handed to the submission.
// Lengths from 1,000 to 4,999: large enough for the modulo to matter, small enough to cost
// nothing even for the whole-list version.
const HIDDEN_MIN_LENGTH = 1000;
const HIDDEN_LENGTHS = 4000;
let hidden = false;
function hidden_setup(seed) {
  hidden = true;
  let x = seed | 0 || 1;
  const nextLength = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return HIDDEN_MIN_LENGTH + ((x >>> 0) % HIDDEN_LENGTHS);
  };
  LENGTH_OF_SEQUENCE_1 = nextLength();
  LENGTH_OF_SEQUENCE_2 = nextLength();
  LENGTH_OF_SEQUENCE_3 = nextLength();
}

const PromiseCtor = Promise;
const isPromise = (value) => {
  try {
    return value instanceof PromiseCtor;
  } catch {
    return false;
  }
};

// A value for a message, without calling anything of the submission's.
// (Array.isArray throws for a revoked Proxy.)
const show = (value) => {
  if (typeof value === 'bigint') return StringCtor(value) + 'n';
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return StringCtor(value);
  if (typeof value === 'string') return 'a string';
  try {
    if (isArray(value)) return 'an array';
  } catch {
    return 'a revoked Proxy';
  }
  if (isPromise(value)) return 'a Promise';
  return typeof value === 'object' ? 'an object' : 'a ' + typeof value;
};
const callText = (args) => 'generate_fibonacci_hash(' + args[0] + ', ' + args[1] + ', ' + args[2] + ')';
const errorText = (error) => {
  try {
    if (error !== null && typeof error === 'object') return StringCtor(error.name) + ': ' + StringCtor(error.message);
    return StringCtor(error);
  } catch {
    return '(an error that could not be read)';
  }
};

// The hash is a BigInt; a Number of the same value is accepted.
const sameHash = (got, expected) => (typeof got === 'bigint' ? got === NativeBigInt(expected) : got === expected);

const runCases = (fn, cases) => {
  for (let i = 0; i < cases.length; i++) {
    const { args, expected, test } = cases[i];
    let got;
    try {
      got = apply(fn, undefined, [args[0], args[1], args[2]]);
    } catch (error) {
      return { correct: false, message: callText(args) + ' threw ' + errorText(error) + ' (' + test + ')', first_bad_index: null };
    }
    if (!sameHash(got, expected)) {
      const why = isPromise(got) ? ': it must return the hash itself, not a Promise' : '';
      return {
        correct: false,
        message: callText(args) + ' returned ' + show(got) + ', expected ' + expected + 'n (' + test + ')' + why,
        first_bad_index: null,
      };
    }
  }
  return null;
};

// `result` is what the entry point returned: generate_fibonacci_hash(LENGTH_OF_SEQUENCE_1,
// LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3) (manifest: entry_args). `uses` holds the
// submission's generate_fibonacci_hash (manifest: check_uses), which the tutorial's small cases
// call; they go first: they say more about a wrong sequence than a wrong hash of 98,000
// numbers does. In the hidden run, the lengths are the hidden ones.
function check(result, uses) {
  const args = [LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3];
  const expected = hidden ? expectedHash(args[0], args[1], args[2]) : FULL_HASH;
  if (!hidden) {
    const fn = uses.generate_fibonacci_hash;
    if (typeof fn !== 'function') {
      return { correct: false, message: 'generate_fibonacci_hash is not a function of the submission', first_bad_index: null };
    }
    const failed = runCases(fn, PYTEST_CASES);
    if (failed !== null) return failed;
  }
  if (!sameHash(result, expected)) {
    const why = isPromise(result) ? ': it must return the hash itself, not a Promise' : '';
    return {
      correct: false,
      message:
        callText(args) + ' returned ' + show(result) + ', expected ' + expected + 'n (' +
        (hidden ? 'lengths made from a hidden seed' : 'the full-size hash, test_fibonacci') + ')' + why,
      first_bad_index: null,
    };
  }
  return {
    correct: true,
    message: hidden
      ? 'the hash of the hidden lengths ' + args[0] + ', ' + args[1] + ' and ' + args[2] + ' is ' + expected + 'n'
      : 'the full-size hash is ' + FULL_HASH + 'n and all ' + PYTEST_CASES.length + ' cases of test_exercise_1.py pass',
    first_bad_index: null,
  };
}
