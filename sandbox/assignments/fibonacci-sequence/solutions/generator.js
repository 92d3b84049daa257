// The tutorial's solution: fibonacci is a generator. It yields one number at a time and keeps
// only the last two, so reduce sees the same sequence while no list of 30,000 BigInts exists.
function* fibonacci(length) {
  // edge cases
  if (length < 1) return;
  if (length === 1) {
    yield 1n;
    return;
  }

  let left = 1n;
  let right = 1n;
  yield left;
  yield right;

  for (let i = 0; i < length - 2; i++) {
    [left, right] = [right, left + right];
    yield right;
  }
}

function generate_fibonacci_hash(length_1, length_2, length_3) {
  return reduce(add, chain(fibonacci(length_1), fibonacci(length_2), fibonacci(length_3)), 0n) % 10000n;
}
