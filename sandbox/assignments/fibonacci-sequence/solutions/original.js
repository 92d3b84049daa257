// The constants (LENGTH_OF_SEQUENCE_1, _2, _3) and the helpers chain, reduce and add are
// already defined. The grader calls generate_fibonacci_hash(LENGTH_OF_SEQUENCE_1,
// LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3), the tutorial's "DO NOT CHANGE" call.
function fibonacci(length) {
  // edge cases
  if (length < 1) return [];
  if (length === 1) return [1n];
  if (length === 2) return [1n, 1n];

  const output = [1n, 1n];

  for (let i = 0; i < length - 2; i++) {
    output.push(output[i] + output[i + 1]);
  }

  return output;
}

function generate_fibonacci_hash(length_1, length_2, length_3) {
  // We could have summed with a loop here instead of reduce(add, ...), but we choose reduce,
  // as the tutorial does, since it makes a more descriptive example of the steps.
  return reduce(add, chain(fibonacci(length_1), fibonacci(length_2), fibonacci(length_3)), 0n) % 10000n;
}
