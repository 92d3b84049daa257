// The exercise's helpers, as the memray tutorial's fibonacci.py imports them: a lazy `chain`
// (itertools.chain), `reduce` (functools.reduce) and `add` (operator.add), and its three
// constants. The numbers are BigInts: fib(34567) has 23,990 bits, far past a Number.
//
// This file runs inside the isolate before the submission does. Whatever built-in it needs
// later is captured now, so a submission that rewrites a prototype cannot change what the
// check computes. The check computes the expected hash itself, modulo 10000 with Numbers (the
// sum modulo 10000 of numbers modulo 10000 is the hash), so it never trusts a BigInt method.

// Do not change: the exercise's constants.
const LENGTH_OF_SEQUENCE_1 = 33333;
const LENGTH_OF_SEQUENCE_2 = 30000;
const LENGTH_OF_SEQUENCE_3 = 34567;

const { apply } = Reflect;
const NativeTypeError = TypeError;
const SymbolIterator = Symbol.iterator;
const StringCtor = String;
const NativeBigInt = BigInt;
const isArray = Array.isArray;
// An indirect eval runs in the global scope: it reaches the submission's top-level bindings,
// a `const` or a `class` as well as a function declaration (see submissionFunction).
const globalEval = eval;

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
const FULL_ARGS = [LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3];
const FULL_HASH = expectedHash(LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3);

// The hidden check (manifest: hidden_check): in its run, the check also calls
// generate_fibonacci_hash on lengths made from a seed the submission never sees, so a table
// of the known answers fails it. Lengths up to 4,999: large enough for the modulo to matter,
// small enough to cost nothing even for the whole-list version.
const HIDDEN_CASES = 4; // hiddenCases makes this many
const HIDDEN_MAX_LENGTH = 5000;
let hiddenSeed = null;
function hidden_setup(seed) {
  hiddenSeed = seed | 0 || 1;
}
// Built with literals only: an element assigned by index could meet a setter the submission
// planted on Array.prototype.
const hiddenCases = () => {
  let x = hiddenSeed;
  const nextLength = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % HIDDEN_MAX_LENGTH;
  };
  const hiddenCase = () => {
    const args = [nextLength(), nextLength(), nextLength()];
    return { args, expected: expectedHash(args[0], args[1], args[2]), test: 'hidden lengths' };
  };
  return [hiddenCase(), hiddenCase(), hiddenCase(), hiddenCase()];
};

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

// The submission's top-level function `name`, or undefined. Reached through an indirect eval,
// which sees the global scope's `const`, `let` and `class` bindings too. An ES module's
// exports are not in the global scope: the check cannot reach them (see the README).
const submissionFunction = (name) => {
  try {
    const fn = globalEval('typeof ' + name + " === 'function' ? " + name + ' : undefined');
    return typeof fn === 'function' ? fn : undefined;
  } catch {
    return undefined;
  }
};

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

// `result` is what the entry point returned: generate_fibonacci_hash called with no arguments,
// so with its defaults, the three LENGTH_OF_SEQUENCE constants. The small cases go first: they
// say more about a wrong sequence than a wrong hash of 98,000 numbers does.
function check(result) {
  const fn = submissionFunction('generate_fibonacci_hash');
  if (fn === undefined) {
    return {
      correct: false,
      message: 'the check cannot reach generate_fibonacci_hash: define it at the top level of a script (not in an ES module)',
      first_bad_index: null,
    };
  }
  const failed = runCases(fn, hiddenSeed === null ? PYTEST_CASES : hiddenCases());
  if (failed !== null) return failed;
  if (!sameHash(result, FULL_HASH)) {
    // Called again with the lengths spelled out, only to say which of the two is wrong.
    let explicit;
    try {
      explicit = apply(fn, undefined, [LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3]);
    } catch {
      explicit = undefined;
    }
    const why = sameHash(explicit, FULL_HASH)
      ? ': ' + callText(FULL_ARGS) + ' is right, so keep the defaults length_1 = LENGTH_OF_SEQUENCE_1, ... (the grader calls it with no arguments)'
      : '';
    return {
      correct: false,
      message: 'generate_fibonacci_hash() returned ' + show(result) + ', expected ' + FULL_HASH + 'n (the full-size hash, test_fibonacci)' + why,
      first_bad_index: null,
    };
  }
  return {
    correct: true,
    message:
      hiddenSeed === null
        ? 'the full-size hash is ' + FULL_HASH + 'n and all ' + PYTEST_CASES.length + ' cases of test_exercise_1.py pass'
        : 'the full-size hash is ' + FULL_HASH + 'n and ' + HIDDEN_CASES + ' hashes of hidden lengths are right',
    first_bad_index: null,
  };
}
