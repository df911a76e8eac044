"""Where a run's child processes come from: a fork server that has imported what they need.

Readers, annotators and the side process were spawned: each a fresh interpreter importing pandas
(and pandera for the checks) before its first file, half a second that a rerun bringing one file
waited for. The fork server imports those modules once; each child is then forked from it in
milliseconds, from a process with one thread (never from the run's own, which has several).
`start` lets a command begin the server's imports while it makes its own.

Children get their start-up data (working folder, import path) as spawned ones do, but not
the environment: the server's is the one it started with.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from multiprocessing.context import BaseContext

# What readers import before their first file (the checks import pandera: `pipeline.preload`).
# A first task done in the server as well was measured slower: the server serves only once it
# has preloaded.
PRELOAD = ["pipeline.preload"]


YOUNG_COLLECTION = 50_000  # new containers between young collections (Python's default: 700)

SERVED = "forkserver" in multiprocessing.get_all_start_methods()  # Linux, macOS; not Windows
_started = False


def context() -> BaseContext:
    """The fork server where the platform has one, else spawned processes."""
    if not SERVED:
        return multiprocessing.get_context("spawn")
    start()
    return multiprocessing.get_context("forkserver")


def start() -> None:
    """Start the fork server now, so that it imports while this process does other work.

    Its output and error output go nowhere: a run killed while the server was forking a child
    leaves the server to print a traceback of its own on the clerk's terminal, and a server
    holding the run's output open keeps whatever reads it (`lianxi run | tee`, the bench)
    waiting while it exits after the run (a tenth of a second). (Readers silence theirs too;
    what a child raises comes back to the run as an exception.)
    """
    global _started
    if _started or not SERVED:
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    sys.stdout.flush()  # what was printed before goes out, not to the server's nowhere
    saved, quiet = [os.dup(1), os.dup(2)], os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):  # the server inherits this process's outputs as they are now
            os.dup2(quiet, fd)
        forkserver.ensure_running()
    finally:
        for fd, kept in zip((1, 2), saved, strict=True):
            os.dup2(kept, fd)
            os.close(kept)
        os.close(quiet)
    _started = True


def collect_less() -> None:
    """Freeze the objects made so far, kept for the process's life (imports), so that no
    collection walks them again; and collect young objects every `YOUNG_COLLECTION` new
    containers. A run makes rows, tables and cells by the hundred thousand that live until its
    step ends, and each collection walked them again: with Python's defaults, writing 汇总表
    and 排名 took a tenth longer and a reader's task 2% (measured)."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
