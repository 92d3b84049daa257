# The memray tutorial's exercise 1, "Fibonacci sequence", as its original has it: whole lists of
# the sequence, summed with reduce over a chain. The JavaScript edition is
# sandbox/assignments/fibonacci-sequence/solutions/original.js; run by run_tutorial.py.
import functools
import itertools
import operator

LENGTH_OF_SEQUENCE_1 = 33333
LENGTH_OF_SEQUENCE_2 = 30000
LENGTH_OF_SEQUENCE_3 = 34567

ENTRY_ARGS = (LENGTH_OF_SEQUENCE_1, LENGTH_OF_SEQUENCE_2, LENGTH_OF_SEQUENCE_3)
EXPECTED = 4657


def fibonacci(length):
    if length < 1:
        return []
    if length == 1:
        return [1]
    if length == 2:
        return [1, 1]
    output = [1, 1]
    for i in range(length - 2):
        output.append(output[i] + output[i + 1])
    return output


def generate_fibonacci_hash(length_1, length_2, length_3):
    sequences = itertools.chain(fibonacci(length_1), fibonacci(length_2), fibonacci(length_3))
    return functools.reduce(operator.add, sequences, 0) % 10000


entry = generate_fibonacci_hash
