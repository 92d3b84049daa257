// The tutorial's second way, functools.lru_cache(maxsize=10000): a cache on the class that
// forgets its least recently used entry past 10,000 entries. The assignment gives only the
// unbounded `cache`, so this file writes its own, as functools does: a Map from key to entry,
// and the entries in a doubly linked list, most recently used first.
// (A Map alone, evicting with map.keys().next(), is quadratic in V8: a deleted entry stays a
// hole at the front of the Map until it is rebuilt, and every keys() walks over the holes.)
const lru_cache = (maxsize, fn) => {
  const entries = new Map();
  const ring = {}; // ring.next is the most recently used entry, ring.prev the least
  ring.next = ring;
  ring.prev = ring;
  const unlink = (entry) => {
    entry.prev.next = entry.next;
    entry.next.prev = entry.prev;
  };
  const pushFront = (entry) => {
    entry.prev = ring;
    entry.next = ring.next;
    ring.next.prev = entry;
    ring.next = entry;
  };
  // Each receiver gets a number, and (receiver, n) one number as its key: an entry holds no
  // instance, and a number is the cheapest key a Map has. For a method of one whole-number
  // argument below 2 ** 20, as factorial_plus is.
  const receivers = new WeakMap();
  let nextId = 0;
  const keyOf = (self, n) => {
    if (!(Number.isInteger(n) && n >= 0 && n < 2 ** 20)) throw new RangeError('this lru_cache takes n from 0 to 2 ** 20 - 1');
    let id = receivers.get(self);
    if (id === undefined) {
      id = nextId++;
      receivers.set(self, id);
    }
    return id * 2 ** 20 + n;
  };
  return function (n) {
    const key = keyOf(this, n);
    const hit = entries.get(key);
    if (hit !== undefined) {
      unlink(hit);
      pushFront(hit);
      return hit.value;
    }
    const value = fn.call(this, n);
    const entry = { key, value, prev: null, next: null };
    entries.set(key, entry);
    pushFront(entry);
    if (entries.size > maxsize) {
      const oldest = ring.prev;
      unlink(oldest);
      entries.delete(oldest.key);
    }
    return value;
  };
};

class Algorithms {
  constructor(inc) {
    this.inc = inc;
  }

  factorial_plus(n) {
    return n > 1 ? BigInt(n) * this.factorial_plus(n - 1) + BigInt(this.inc) : 1n + BigInt(this.inc);
  }
}
Algorithms.prototype.factorial_plus = lru_cache(10000, Algorithms.prototype.factorial_plus);

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
