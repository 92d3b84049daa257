// The tutorial's solution: each instance makes its own cache, of its own bound method, in its
// constructor. The cache then belongs to the instance and dies with it: once the generator
// moves on to the next increment, the previous instance and its 1,000 numbers are garbage.
class Algorithms {
  constructor(inc) {
    this.inc = inc;
    this.factorial_plus = cache(this._uncached_factorial_plus.bind(this));
  }

  _uncached_factorial_plus(n) {
    return n > 1 ? BigInt(n) * this.factorial_plus(n - 1) + BigInt(this.inc) : 1n + BigInt(this.inc);
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
