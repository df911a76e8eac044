"""Stage timings for developers: LIANXI_TIMINGS=1 prints how long each stage of a run took.

Without the variable `stage` does nothing but run its block (bench/README.md shows its use).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

TIMINGS_VARIABLE = "LIANXI_TIMINGS"


@contextmanager
def stage(name: str) -> Iterator[None]:
    if not os.environ.get(TIMINGS_VARIABLE):
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"[timing] {name}: {time.perf_counter() - started:.2f} s", file=sys.stderr)
