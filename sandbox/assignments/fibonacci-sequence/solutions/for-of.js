// A generator, summed with a plain for...of loop instead of reduce and chain: the running
// total is the only other BigInt alive.
function* fibonacci(length) {
  let left = 1n;
  let right = 1n;
  for (let i = 0; i < length; i++) {
    yield left;
    const next = left + right;
    left = right;
    right = next;
  }
}

function generate_fibonacci_hash(length_1, length_2, length_3) {
  let total = 0n;
  for (const length of [length_1, length_2, length_3]) {
    for (const number of fibonacci(length)) total += number;
  }
  return total % 10000n;
}
