// One memo for the whole class, as in the original, but keyed by the instance in a WeakMap:
// a WeakMap does not keep its keys alive, and an entry goes when its key does. JavaScript's
// own answer to "a cache on the class keeps every instance alive".
const memos = new WeakMap();

class Algorithms {
  constructor(inc) {
    this.inc = inc;
  }

  factorial_plus(n) {
    let memo = memos.get(this);
    if (memo === undefined) {
      memo = new Map();
      memos.set(this, memo);
    }
    let value = memo.get(n);
    if (value === undefined) {
      value = n > 1 ? BigInt(n) * this.factorial_plus(n - 1) + BigInt(this.inc) : 1n + BigInt(this.inc);
      memo.set(n, value);
    }
    return value;
  }
}

function* generate_factorial_plus_last_digit(plus_range, factorial_range) {
  for (let i = 0; i < plus_range; i++) {
    const A = new Algorithms(i);
    for (let j = 0; j < factorial_range; j++) {
      yield Number(A.factorial_plus(j) % 10n);
    }
  }
}

function compare_counts_different_factorials() {
  const counts_500 = Counter(generate_factorial_plus_last_digit(FIRST_COUNTER_RANGE, FIRST_COUNTER_RANGE));
  const counts_1000 = Counter(generate_factorial_plus_last_digit(SECOND_COUNTER_RANGE, SECOND_COUNTER_RANGE));
  return [counts_500.most_common(), counts_1000.most_common()];
}
