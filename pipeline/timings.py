"""Stage timings for developers: LIANXI_TIMINGS=1 prints how long each stage of a run took,
and the CPU time the main process spent in it (the readers and writers run in other processes).

Without the variable `stage` does nothing but run its block (bench/README.md shows its use).
"""

from __future__ import annotations

import os
import resource
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
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    try:
        yield
    finally:
        after = resource.getrusage(resource.RUSAGE_SELF)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        print(
            f"[timing] {name}: {time.perf_counter() - started:.2f} s"
            f" (this process: user {user:.2f} s, system {system:.2f} s)",
            file=sys.stderr,
        )
