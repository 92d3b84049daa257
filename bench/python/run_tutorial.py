# Runs one tutorial exercise's Python original (a module of this folder with `entry`,
# `ENTRY_ARGS` and `EXPECTED`) once under tracemalloc, as the tutorial's tests measure it, and
# prints one JSON line: {"entry_ms": ..., "peak_bytes": ..., "correct": ..., "python": ...}.
# usage: python3 run_tutorial.py MODULE   (fibonacci_sequence, lru_cache)
import importlib
import json
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
exercise = importlib.import_module(sys.argv[1])

tracemalloc.start()
started = time.perf_counter()
result = exercise.entry(*exercise.ENTRY_ARGS)
elapsed = time.perf_counter() - started
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()

print(json.dumps({
    "entry_ms": elapsed * 1000,
    "peak_bytes": peak,
    "correct": exercise.EXPECTED is None or result == exercise.EXPECTED,
    "python": sys.version.split()[0],
}))
