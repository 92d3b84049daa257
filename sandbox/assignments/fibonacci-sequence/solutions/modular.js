// Beyond the tutorial: only the hash's last four digits matter, and (a + b) mod m depends
// only on a mod m and b mod m. The generator yields the numbers modulo 10000, so every value,
// and the total, stays a small BigInt: nothing grows at all.
const MODULUS = 10000n;

function* fibonacci(length) {
  let left = 1n;
  let right = 1n;
  for (let i = 0; i < length; i++) {
    yield left;
    [left, right] = [right, (left + right) % MODULUS];
  }
}

function generate_fibonacci_hash(length_1, length_2, length_3) {
  const addModulo = (a, b) => (a + b) % MODULUS;
  return reduce(addModulo, chain(fibonacci(length_1), fibonacci(length_2), fibonacci(length_3)), 0n);
}
