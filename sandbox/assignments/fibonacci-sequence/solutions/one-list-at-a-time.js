// A half fix that must still fail: each sequence is summed as soon as it is built, so only one
// list is alive at a time. But the longest list alone (34,567 BigInts, about 52 MB) is far
// over 100 KB: a list of the whole sequence is the problem, not how many of them there are.
function fibonacci(length) {
  if (length < 1) return [];
  if (length === 1) return [1n];
  const output = [1n, 1n];
  for (let i = 0; i < length - 2; i++) output.push(output[i] + output[i + 1]);
  return output;
}

function generate_fibonacci_hash(length_1, length_2, length_3) {
  let total = 0n;
  total = reduce(add, fibonacci(length_1), total);
  total = reduce(add, fibonacci(length_2), total);
  total = reduce(add, fibonacci(length_3), total);
  return total % 10000n;
}
