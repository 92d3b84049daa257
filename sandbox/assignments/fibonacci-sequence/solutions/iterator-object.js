// No generator syntax: fibonacci returns an iterator object of its own, which keeps the last
// two numbers in its fields. chain and reduce take it like any iterable.
class FibonacciIterator {
  constructor(length) {
    this.left = 1n;
    this.right = 1n;
    this.remaining = length;
  }

  [Symbol.iterator]() {
    return this;
  }

  next() {
    if (this.remaining < 1) return { done: true, value: undefined };
    this.remaining--;
    const value = this.left;
    this.left = this.right;
    this.right = value + this.right;
    return { done: false, value };
  }
}

const fibonacci = (length) => new FibonacciIterator(length);

function generate_fibonacci_hash(length_1, length_2, length_3) {
  return reduce(add, chain(fibonacci(length_1), fibonacci(length_2), fibonacci(length_3)), 0n) % 10000n;
}
