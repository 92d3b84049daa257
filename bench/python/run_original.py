# Runs the Python original's process_data() once under tracemalloc, as the tutorial's test
# measures it, checks the result (100,000,000 elements, all 18), and prints one JSON line:
#   {"process_data_ms": ..., "check_ms": ..., "peak_bytes": ..., "correct": ..., "numpy": ...}
# The caller times the whole process around it.
import json
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
import holding_onto_memory as exercise  # noqa: E402

tracemalloc.start()
started = time.perf_counter()
result = exercise.process_data()
elapsed = time.perf_counter() - started
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()

started = time.perf_counter()
correct = bool(result.shape == (100_000_000,) and result.dtype == np.uint8 and (result == 18).all())
check = time.perf_counter() - started

print(json.dumps({
    "process_data_ms": elapsed * 1000,
    "check_ms": check * 1000,
    "peak_bytes": peak,
    "correct": correct,
    "numpy": np.__version__,
    "python": sys.version.split()[0],
}))
