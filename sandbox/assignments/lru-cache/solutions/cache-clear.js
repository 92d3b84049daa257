// The tutorial's third way: keep the class-level cache, but clear it whenever the generator
// is done with an instance. Only the current instance's numbers are ever remembered.
class Algorithms {
  constructor(inc) {
    this.inc = inc;
  }

  factorial_plus(n) {
    return n > 1 ? BigInt(n) * this.factorial_plus(n - 1) + BigInt(this.inc) : 1n + BigInt(this.inc);
  }
}
Algorithms.prototype.factorial_plus = cache(Algorithms.prototype.factorial_plus);

function* generate_factorial_plus_last_digit(plus_range, factorial_range) {
  for (let i = 0; i < plus_range; i++) {
    const A = new Algorithms(i);
    for (let j = 0; j < factorial_range; j++) {
      yield Number(A.factorial_plus(j) % 10n);
    }
    Algorithms.prototype.factorial_plus.cache_clear();
  }
}

function compare_counts_different_factorials() {
  const counts_500 = Counter(generate_factorial_plus_last_digit(FIRST_COUNTER_RANGE, FIRST_COUNTER_RANGE));
  const counts_1000 = Counter(generate_factorial_plus_last_digit(SECOND_COUNTER_RANGE, SECOND_COUNTER_RANGE));
  return [counts_500.most_common(), counts_1000.most_common()];
}
