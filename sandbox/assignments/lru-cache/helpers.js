// The exercise's helpers, as the memray tutorial's lru_cache.py imports them: `cache`
// (functools.cache) and `Counter` (collections.Counter), and its two constants. The factorials
// are BigInts: 999! has 8,530 bits.
//
// This file runs inside the isolate before the submission does. Whatever built-in it needs
// later is captured now, so a submission that rewrites a prototype cannot change what the
// check computes. The check computes the expected last digits itself, modulo 10 with Numbers
// (the last digit of n * f + inc depends only on the last digits of n, f and inc).

// The exercise's constants. `let`: the hidden check's setup (below) changes them before the
// submission sees them.
let FIRST_COUNTER_RANGE = 500;
let SECOND_COUNTER_RANGE = 1000;

const uncurry = (fn) => Reflect.apply(Function.prototype.bind, Function.prototype.call, [fn]);
const { apply, construct, defineProperty } = Reflect;
const NativeTypeError = TypeError;
const SymbolIterator = Symbol.iterator;
const StringCtor = String;
const NativeBigInt = BigInt;
const isArray = Array.isArray;
const MapCtor = Map;
const mapGet = uncurry(Map.prototype.get);
const mapSet = uncurry(Map.prototype.set);
const mapHas = uncurry(Map.prototype.has);
const mapForEach = uncurry(Map.prototype.forEach);
const mapSize = uncurry(Object.getOwnPropertyDescriptor(Map.prototype, 'size').get);
const ObjectCreate = Object.create;
const freeze = Object.freeze;

// Arrays made here are filled with defineProperty: an element assigned by index could meet a
// setter the submission planted on Array.prototype.
const append = (list, value) => {
  defineProperty(list, list.length, { value, writable: true, enumerable: true, configurable: true });
  return list;
};

// ---- functools.cache -------------------------------------------------------------------------
// cache(fn): an unbounded memo. Like functools.cache on a method, whose key is (self, *args),
// the key here is the receiver (`this`) and every argument, compared as a Map compares keys
// (SameValueZero: 1 and 1n are two keys). The memo holds every receiver and every result it
// has seen until cache_clear() is called: a cache made once, on a class, keeps every instance
// that ever called it alive. The wrapper has cache_clear() and cache_info(), as in Python.
//
// Layout: receiver -> number of arguments -> first argument -> ... -> last argument -> result,
// one Map per level, so a one-argument method costs one Map entry per call it remembers.
function cache(fn) {
  if (typeof fn !== 'function') throw new NativeTypeError('cache expects a function');
  let memo = new MapCtor();
  let hits = 0;
  let misses = 0;
  let size = 0;
  const child = (map, key) => {
    let next = mapGet(map, key);
    if (next === undefined) {
      next = new MapCtor();
      mapSet(map, key, next);
    }
    return next;
  };
  const cached = {
    // A method, so that `this` is the caller's receiver; the wrapper keeps fn's name.
    [fn.name](...args) {
      let map = child(child(memo, this), args.length);
      const last = args.length - 1;
      for (let i = 0; i < last; i++) map = child(map, args[i]);
      const key = last < 0 ? undefined : args[last];
      if (mapHas(map, key)) {
        hits++;
        return mapGet(map, key);
      }
      misses++;
      const value = apply(fn, this, args);
      // A recursive call may have cleared the memo meanwhile: the value goes where the memo
      // is now.
      if (!mapHas(map, key)) size++;
      mapSet(map, key, value);
      return value;
    },
  }[fn.name];
  defineProperty(cached, 'cache_clear', {
    value: function cache_clear() {
      memo = new MapCtor();
      hits = 0;
      misses = 0;
      size = 0;
    },
  });
  defineProperty(cached, 'cache_info', {
    value: function cache_info() {
      return freeze({ hits, misses, maxsize: null, currsize: size });
    },
  });
  return cached;
}

// ---- collections.Counter ---------------------------------------------------------------------
// Counter(iterable): counts the values of an iterable (a generator is consumed). Called with or
// without `new` (it returns the counter it makes). most_common(n) lists [value, count] pairs,
// the largest count first, equal counts in the order their values were first seen (as
// Python's, which sorts a dict in insertion order stably); get(value) is a count (0 for a value
// never seen), total() their sum.
const counterPrototype = ObjectCreate(null);
const countsOf = new WeakMap();
const weakMapGet = uncurry(WeakMap.prototype.get);
const weakMapSet = uncurry(WeakMap.prototype.set);
const counts = (counter) => {
  const map = weakMapGet(countsOf, counter);
  if (map === undefined) throw new NativeTypeError('not a Counter');
  return map;
};
defineProperty(counterPrototype, 'most_common', {
  value: function most_common(n) {
    const pairs = [];
    mapForEach(counts(this), (count, value) => append(pairs, [value, count]));
    // A stable insertion sort by count, largest first: equal counts keep first-seen order.
    for (let i = 1; i < pairs.length; i++) {
      const pair = pairs[i];
      let j = i - 1;
      while (j >= 0 && pairs[j][1] < pair[1]) {
        defineProperty(pairs, j + 1, { value: pairs[j] });
        j--;
      }
      defineProperty(pairs, j + 1, { value: pair });
    }
    if (n === undefined || n === null || n >= pairs.length) return pairs;
    const first = [];
    for (let i = 0; i < n; i++) append(first, pairs[i]);
    return first;
  },
});
defineProperty(counterPrototype, 'get', {
  value: function get(value) {
    const count = mapGet(counts(this), value);
    return count === undefined ? 0 : count;
  },
});
defineProperty(counterPrototype, 'total', {
  value: function total() {
    let sum = 0;
    mapForEach(counts(this), (count) => {
      sum += count;
    });
    return sum;
  },
});
function Counter(iterable) {
  const map = new MapCtor();
  if (iterable !== undefined && iterable !== null) {
    const iterator = iterable[SymbolIterator]();
    for (;;) {
      const step = iterator.next();
      if (step.done) break;
      const value = step.value;
      const count = mapGet(map, value);
      mapSet(map, value, count === undefined ? 1 : count + 1);
    }
  }
  const counter = ObjectCreate(counterPrototype);
  weakMapSet(countsOf, counter, map);
  return counter;
}

// ---- the check -------------------------------------------------------------------------------

// The last digit of factorial_plus(n) for an increment `inc`: f(0) = f(1) = 1 + inc, and
// f(n) = n * f(n - 1) + inc, all modulo 10.
const lastDigits = (inc, range, out) => {
  let f = 0;
  for (let n = 0; n < range; n++) {
    f = n > 1 ? ((n % 10) * f + inc) % 10 : (1 + inc) % 10;
    out(f);
  }
};
// Counter(generate_factorial_plus_last_digit(plusRange, factorialRange)).most_common(), as
// [digit, count] pairs.
const expectedMostCommon = (plusRange, factorialRange) => {
  const tally = new MapCtor();
  for (let inc = 0; inc < plusRange; inc++) {
    lastDigits(inc, factorialRange, (digit) => {
      const count = mapGet(tally, digit);
      mapSet(tally, digit, count === undefined ? 1 : count + 1);
    });
  }
  const counter = ObjectCreate(counterPrototype);
  weakMapSet(countsOf, counter, tally);
  return apply(counterPrototype.most_common, counter, []);
};
// Computed by the check, after the run (about 10 ms).
const expectedLists = () => [
  expectedMostCommon(FIRST_COUNTER_RANGE, FIRST_COUNTER_RANGE),
  expectedMostCommon(SECOND_COUNTER_RANGE, SECOND_COUNTER_RANGE),
];

// n! and the tutorial's worked values, for test_algorithms_0 and test_algorithms_5.
const factorial = (n) => {
  let f = 1n;
  for (let k = 2n; k <= n; k++) f *= k;
  return f;
};

// The hidden check (manifest: hidden_check): a second run on input made from a seed the
// submission never sees, so that a table of the tutorial's known answers fails it. Its setup
// runs before the constants are handed to the submission: the two ranges are small hidden ones
// (20 to 59 and 40 to 119), which compare_counts_different_factorials must count with; and the
// check calls the submission's functions on hidden increments and ranges too.
let nextHidden = null; // the seeded generator, in the hidden run
function hidden_setup(seed) {
  let x = seed | 0 || 1;
  nextHidden = (bound) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % bound;
  };
  FIRST_COUNTER_RANGE = 20 + nextHidden(40);
  SECOND_COUNTER_RANGE = 40 + nextHidden(80);
}
// f(n) for an increment, in BigInt, the way the tutorial defines it.
const factorialPlus = (inc, n) => {
  const plus = NativeBigInt(inc);
  const last = NativeBigInt(n);
  let f = 1n + plus;
  for (let k = 2n; k <= last; k++) f = k * f + plus;
  return f;
};

// A value for a message, without calling anything of the submission's.
const PromiseCtor = Promise;
const isPromise = (value) => {
  try {
    return value instanceof PromiseCtor;
  } catch {
    return false;
  }
};
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
const errorText = (error) => {
  try {
    if (error !== null && typeof error === 'object') return StringCtor(error.name) + ': ' + StringCtor(error.message);
    return StringCtor(error);
  } catch {
    return '(an error that could not be read)';
  }
};
const wrong = (message, index = null) => ({ correct: false, message, first_bad_index: index });

// Algorithms(inc).factorial_plus(n) must be `expected`, a BigInt. Answers a failure or null.
const checkFactorialPlus = (Algorithms, inc, n, expected, test) => {
  const call = 'new Algorithms(' + inc + ').factorial_plus(' + n + ')';
  let got;
  try {
    const a = construct(Algorithms, [inc]);
    got = a.factorial_plus(n);
  } catch (error) {
    return wrong(call + ' threw ' + errorText(error) + ' (' + test + ')');
  }
  if (got === expected) return null;
  const why = typeof got === 'number' ? ': factorial_plus must return a BigInt' : '';
  return wrong(call + ' returned ' + show(got) + ', expected ' + show(expected) + ' (' + test + ')' + why);
};

// [...generate_factorial_plus_last_digit(plusRange, factorialRange)] must be the expected
// digits, as Numbers. Reads at most one value past the expected end. Answers a failure or null.
const checkDigits = (generate, plusRange, factorialRange, test) => {
  const call = 'generate_factorial_plus_last_digit(' + plusRange + ', ' + factorialRange + ')';
  const expected = [];
  for (let inc = 0; inc < plusRange; inc++) lastDigits(inc, factorialRange, (digit) => append(expected, digit));
  try {
    const iterator = generate(plusRange, factorialRange)[SymbolIterator]();
    for (let i = 0; i <= expected.length; i++) {
      const step = iterator.next();
      if (step.done) {
        if (i === expected.length) return null;
        return wrong(call + ' yielded ' + i + ' values, expected ' + expected.length + ' (' + test + ')', i);
      }
      if (i === expected.length) return wrong(call + ' yielded more than the ' + expected.length + ' values expected (' + test + ')', i);
      const value = step.value;
      if (value !== expected[i]) {
        const why = typeof value === 'bigint' ? ': yield Numbers (Number(f % 10n))' : '';
        return wrong(call + ' yielded ' + show(value) + ' at index ' + i + ', expected ' + expected[i] + ' (' + test + ')' + why, i);
      }
    }
  } catch (error) {
    return wrong(call + ' threw ' + errorText(error) + ' (' + test + ')');
  }
  return null;
};

// The tutorial's test_exercise_3.py, case by case.
const pytestCases = (Algorithms, generate) => [
  () => checkFactorialPlus(Algorithms, 0, 1, factorial(1n), 'test_algorithms_0[1]'),
  () => checkFactorialPlus(Algorithms, 0, 4, factorial(4n), 'test_algorithms_0[4]'),
  () => checkFactorialPlus(Algorithms, 0, 10, factorial(10n), 'test_algorithms_0[10]'),
  () => checkFactorialPlus(Algorithms, 5, 3, 56n, 'test_algorithms_5'),
  () => checkFactorialPlus(Algorithms, 5, 4, 229n, 'test_algorithms_5'),
  () => checkDigits(generate, 1, 6, 'test_generate_factorial_plus_last_digit_0'),
  () => checkDigits(generate, 5, 1, 'test_generate_factorial_plus_0_last_digit'),
  () => checkDigits(generate, 3, 5, 'test_generate_factorial_plus'),
];
// Two increments and n up to 299 for factorial_plus; ranges up to 39 x 59 for the generator.
const hiddenCases = (Algorithms, generate) => {
  const next = nextHidden;
  const inc1 = next(1000);
  const n1 = next(300);
  const inc2 = next(1000);
  const n2 = next(300);
  const plusRange = 1 + next(39);
  const factorialRange = 1 + next(59);
  return [
    () => checkFactorialPlus(Algorithms, inc1, n1, factorialPlus(inc1, n1), 'hidden increment and n'),
    () => checkFactorialPlus(Algorithms, inc2, n2, factorialPlus(inc2, n2), 'hidden increment and n'),
    () => checkDigits(generate, plusRange, factorialRange, 'hidden ranges'),
  ];
};

// One most_common() list against the expected one. Answers a failure or null.
const checkMostCommon = (got, expected, which) => {
  if (!isArray(got)) return wrong(which + ' must be an array of [value, count] pairs, got ' + show(got));
  if (got.length !== expected.length) {
    return wrong(which + ' has ' + got.length + (got.length === 1 ? ' pair' : ' pairs') + ', expected ' + expected.length + ' (one per last digit seen)');
  }
  for (let i = 0; i < expected.length; i++) {
    const pair = got[i];
    const value = expected[i][0];
    const count = expected[i][1];
    if (!isArray(pair) || pair.length !== 2 || pair[0] !== value || pair[1] !== count) {
      const shown = isArray(pair) ? '[' + show(pair[0]) + ', ' + show(pair[1]) + ']' : show(pair);
      return wrong(which + '[' + i + '] is ' + shown + ', expected [' + value + ', ' + count + ']', i);
    }
  }
  return null;
};

// `result` is what compare_counts_different_factorials() returned: the two most_common()
// lists. `uses` holds the submission's Algorithms and generate_factorial_plus_last_digit
// (manifest: check_uses), which the small cases call; they go first: they say more about a
// wrong factorial than a count does. In the hidden run, the ranges are the hidden ones.
function check(result, uses) {
  const Algorithms = uses.Algorithms;
  const generate = uses.generate_factorial_plus_last_digit;
  if (typeof Algorithms !== 'function' || typeof generate !== 'function') {
    const missing = typeof Algorithms !== 'function' ? 'class Algorithms' : 'generate_factorial_plus_last_digit';
    return wrong(missing + ' is not defined by the submission');
  }
  const cases = nextHidden === null ? pytestCases(Algorithms, generate) : hiddenCases(Algorithms, generate);
  for (let i = 0; i < cases.length; i++) {
    const failed = cases[i]();
    if (failed !== null) return failed;
  }
  try {
    if (!isArray(result) || result.length !== 2) {
      return wrong('compare_counts_different_factorials() must return [first.most_common(), second.most_common()], got ' + show(result));
    }
    const expected = expectedLists();
    const first = checkMostCommon(result[0], expected[0], 'the first most_common() (ranges ' + FIRST_COUNTER_RANGE + ')');
    if (first !== null) return first;
    const second = checkMostCommon(result[1], expected[1], 'the second most_common() (ranges ' + SECOND_COUNTER_RANGE + ')');
    if (second !== null) return second;
  } catch (error) {
    return wrong('the result could not be read: ' + errorText(error));
  }
  return {
    correct: true,
    message:
      (nextHidden === null
        ? 'all ' + cases.length + ' cases of test_exercise_3.py pass and both most_common() lists are right'
        : cases.length + ' cases on hidden increments and ranges pass and both most_common() lists of the hidden ranges ' +
          FIRST_COUNTER_RANGE + ' and ' + SECOND_COUNTER_RANGE + ' are right'),
    first_bad_index: null,
  };
}
