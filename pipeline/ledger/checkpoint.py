"""A test hook for the crash test: LIANXI_CRASH_AT=<name> kills the run at that checkpoint.

The runner passes named checkpoints between steps that must each be safe to be killed after
(see tests/test_crash.py); without the variable a checkpoint does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_VARIABLE = "LIANXI_CRASH_AT"


def checkpoint(name: str) -> None:
    if os.environ.get(CRASH_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
