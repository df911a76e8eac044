"""Watching the inbox: run again whenever files arrive and the inbox has been quiet a moment.

watchdog reports the events; a snapshot of the inbox (names, sizes, times) decides whether
anything really changed since the last run, so the run's own moves never start another run.
Files left for later because they were still being written or were held open are retried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from pipeline.inbox import FOLDERS, candidates

TICK = 0.5  # seconds between looks at the stop flag and the retry clock
Snapshot = dict[str, tuple[int, int]]


class _Changes(FileSystemEventHandler):
    """Sets ``changed`` on any event about a file in the inbox proper."""

    def __init__(self, inbox: Path, changed: threading.Event) -> None:
        self.inbox, self.changed = inbox, changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = Path(str(getattr(event, "dest_path", "") or event.src_path))
        if event.is_directory or not path.is_relative_to(self.inbox):
            return
        parts = path.relative_to(self.inbox).parts
        if parts and parts[0] not in FOLDERS:
            self.changed.set()


def watch_inbox(
    inbox: Path,
    attempt: Callable[[], bool],
    *,
    quiet: float = 1.0,
    retry: float = 5.0,
    stop: threading.Event | None = None,
) -> None:
    """Call ``attempt`` at once, then after each change once the inbox is quiet for ``quiet`` s.

    ``attempt`` runs the pipeline and returns True when files were left that may become ready
    by themselves; it is then called again after ``retry`` seconds. Returns when ``stop`` is
    set; Ctrl-C (KeyboardInterrupt) propagates after the observer is stopped.
    """
    stop = stop or threading.Event()
    changed = threading.Event()
    observer = Observer()
    observer.schedule(_Changes(inbox.resolve(), changed), str(inbox.resolve()), recursive=True)
    observer.start()
    try:
        _loop(inbox, attempt, changed, stop, quiet, retry)
    finally:
        observer.stop()
        observer.join()


def _loop(
    inbox: Path, attempt: Callable[[], bool], changed: threading.Event, stop: threading.Event,
    quiet: float, retry: float,
) -> None:  # fmt: skip
    seen: Snapshot | None = None
    due: float | None = None  # when files left for later are tried again
    changed.set()
    while not stop.is_set():
        retry_due = due is not None and time.monotonic() >= due
        if not changed.wait(TICK) and not retry_due:
            continue
        _await_quiet(changed, quiet)
        if snapshot(inbox) == seen and not retry_due:
            continue
        again = attempt()
        seen = snapshot(inbox)
        due = time.monotonic() + retry if again else None


def _await_quiet(changed: threading.Event, quiet: float) -> None:
    """Wait until no event has come for ``quiet`` seconds (a copy still running sends many)."""
    changed.clear()
    while changed.wait(quiet):
        changed.clear()


def snapshot(inbox: Path) -> Snapshot:
    """Each file waiting in the inbox with its size and modification time."""
    found: Snapshot = {}
    for path in candidates(inbox):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        found[path.relative_to(inbox).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found
