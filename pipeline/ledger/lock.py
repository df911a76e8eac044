"""The run lock (state/lianxi.lock): one run, rebuild or withdrawal at a time per workspace."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import PipelineError

LOCK_FILE = "lianxi.lock"


@contextmanager
def run_lock(state: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the workspace's lock; without ``wait``, refuse at once if another process holds it.

    The lock is an flock on a file that is never deleted, so the kernel releases it when its
    holder exits, however it exits (a killed run leaves no stale lock).
    """
    state.mkdir(parents=True, exist_ok=True)
    with (state / LOCK_FILE).open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise PipelineError(
                f"另一个 lianxi 正在处理此工作目录（进程 {holder}）：请等它结束后再运行，"
                "或加 --wait 排队等待"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
