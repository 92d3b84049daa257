# The memray tutorial's exercise 3, "lru_cache", as its original has it: functools.cache on a
# method, so the cache on the class keeps every instance and every value alive. The JavaScript
# edition is sandbox/assignments/lru-cache/solutions/original.js; run by run_tutorial.py.
import collections
import functools

FIRST_COUNTER_RANGE = 500
SECOND_COUNTER_RANGE = 1000

ENTRY_ARGS = ()
EXPECTED = None  # the counts are checked by the JavaScript edition's helpers


class Algorithms:
    def __init__(self, inc):
        self.inc = inc

    @functools.cache
    def factorial_plus(self, n):
        return n * self.factorial_plus(n - 1) + self.inc if n > 1 else 1 + self.inc


def generate_factorial_plus_last_digit(plus_range, factorial_range):
    for i in range(plus_range):
        A = Algorithms(i)
        for j in range(factorial_range):
            yield A.factorial_plus(j) % 10


def compare_counts_different_factorials():
    counts_500 = collections.Counter(generate_factorial_plus_last_digit(FIRST_COUNTER_RANGE, FIRST_COUNTER_RANGE))
    counts_1000 = collections.Counter(generate_factorial_plus_last_digit(SECOND_COUNTER_RANGE, SECOND_COUNTER_RANGE))
    return counts_500.most_common(), counts_1000.most_common()


entry = compare_counts_different_factorials
