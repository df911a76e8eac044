"""Parse workbooks in worker processes with memory and CPU limits, so no file can take the run down.

python-calamine can abort the interpreter or raise a BaseException on hostile files, and old
.xls files can exhaust memory. Each worker runs under RLIMIT_AS and a per-file CPU allowance; a
worker that dies turns into a `reader-crashed` problem for the file it held, and the run goes on.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sized
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from pipeline import processes
from pipeline.ingest.chunk import Check, Chunk, FileRead, pack
from pipeline.ingest.codebook import Codebooks
from pipeline.ingest.reader import read_workbook
from pipeline.ingest.sniff import Limits, sniff
from pipeline.originals import read_original
from pipeline.problems import Location, Problem

BATCH = 1024  # files per task at most: its rows are typed, checked and encoded together
LEAST = 64  # files per task at least (but the last): a task costs ~95 ms besides its files
Job = tuple[str, str]  # (path, display name)


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int = 2 * 1024**3
    cpu_seconds_per_file: int = 60


def read_file(
    path: str, display: str, limits: Limits | None = None, books: Codebooks | None = None
) -> FileRead:
    """Hash, sniff and read one file (a path, or an original's location: `pipeline.originals`);
    every failure becomes a located problem. ``books``: those of the files read with it."""
    data, mtime = read_original(path)  # read once: hashed and sniffed from memory
    return read_data(data, display, path, mtime, limits, books)


def read_data(
    data: bytes, display: str, path: str, mtime: float, limits: Limits | None = None,
    books: Codebooks | None = None,
) -> FileRead:  # fmt: skip
    """`read_file` of a file's bytes, ``data``, read from ``path``."""
    read = FileRead(display, path, hashlib.sha256(data).hexdigest(), len(data), mtime)
    sniffed = sniff(data, display, limits or Limits())
    read.parsed.problems.extend(sniffed.problems)
    if not sniffed.kind:
        return read
    try:
        parsed = read_workbook(data, display, books)
    except (KeyboardInterrupt, SystemExit):
        raise
    except (
        BaseException
    ) as exc:  # any reader failure, PanicException included, is this file's problem
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        read.parsed.problems.append(
            Problem("file-unreadable", Location(display), params={"detail": detail})
        )
        return read
    parsed.problems[:0] = read.parsed.problems
    read.parsed = parsed
    return read


def read_chunks(
    jobs: Iterable[Job], workers: int, limits: WorkerLimits | None = None,
    expected: int | None = None, check: Check | None = None,
) -> Iterator[Chunk]:  # fmt: skip
    """Read (path, display) pairs in isolated processes, yielding chunks as they finish.

    ``jobs`` may still be coming (files being archived): each task is sent once it is full.
    ``expected``, how many jobs there will be (default: ``len(jobs)``), sizes the tasks.
    ``check`` validates each task's files in the process that read them.
    """
    limits = limits or WorkerLimits()
    count = expected if expected is not None else len(jobs) if isinstance(jobs, Sized) else BATCH
    pending: Iterable[Job] = jobs
    while True:
        in_flight = processes.context().Array("i", [-1] * max(workers, 1))
        seen, suspects, rest = yield from _round(
            pending, count, workers, (limits, check), in_flight
        )
        for index in suspects:
            yield _alone(seen[index], limits, check)
        if not rest:
            return
        pending = [seen[i] for i in rest]
        count = len(pending)


def _round(
    jobs: Iterable[Job], count: int, workers: int, setting: tuple[WorkerLimits, Check | None],
    in_flight: Any,
) -> Generator[Chunk, None, tuple[list[Job], list[int], list[int]]]:
    """One pool over the ``count`` jobs expected, sent in tasks (`_task_size`) as they come; on
    a crash, every job is still taken from ``jobs``, and the round returns them, which were
    running and which never ran."""
    context = processes.context()
    counter = context.Value("i", 0)
    pool: ProcessPoolExecutor | None = None
    seen: list[Job] = []
    sent: deque[tuple[range, Future[Chunk]]] = deque()
    finished: set[int] = set()
    broken = False

    def send(batch: range) -> None:
        nonlocal pool, broken
        if pool is None:  # no processes are started for no jobs
            pool = ProcessPoolExecutor(
                max(workers, 1), context, _init_worker, (*setting, in_flight, counter)
            )
        try:
            sent.append((batch, pool.submit(_task, [(i, *seen[i]) for i in batch])))
        except BrokenProcessPool:
            broken = True

    def done(wait: bool) -> Iterator[Chunk]:
        nonlocal broken
        while sent and not broken and (wait or sent[0][1].done()):
            batch, future = sent.popleft()
            try:
                chunk = future.result()
            except BrokenProcessPool:
                broken = True
                return
            finished.update(batch)
            yield chunk

    try:
        start, size = 0, _task_size(count, workers)
        for job in jobs:
            seen.append(job)
            if len(seen) - start == size and not broken:
                send(range(start, len(seen)))
                start, size = len(seen), _task_size(count - len(seen), workers)
            yield from done(wait=False)
        if start < len(seen) and not broken:
            send(range(start, len(seen)))
        yield from done(wait=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    suspects = sorted({i for i in in_flight[:] if i >= 0} - finished)
    rest = [i for i in range(len(seen)) if i not in finished and i not in suspects]
    return seen, suspects, rest


def _task_size(remaining: int, workers: int) -> int:
    """Files in the next task while ``remaining`` are still to be sent: two thirds of a
    worker's share, so that tasks shrink towards the end and the workers finish together (a
    last task of hundreds of files would keep one worker busy a second after the others)."""
    remaining = remaining if remaining > 0 else LEAST  # more came than were expected
    share = 2 * remaining // (max(workers, 1) * 3)
    return max(min(LEAST, remaining), min(BATCH, share))


def _alone(job: tuple[str, str], limits: WorkerLimits, check: Check | None) -> Chunk:
    """Read a suspect file in a pool of its own: it either succeeds or is marked crashed."""
    path, display = job
    context = processes.context()
    flags = context.Array("i", [-1])
    with ProcessPoolExecutor(
        1, context, _init_worker, (limits, check, flags, context.Value("i", 0))
    ) as pool:
        try:
            return pool.submit(_task, [(0, path, display)]).result()
        except BrokenProcessPool:
            data, mtime = read_original(path)
            crashed = FileRead(display, path, hashlib.sha256(data).hexdigest(), len(data), mtime)
            detail = "内存或时间超出限制，或文件格式异常"
            crashed.parsed.problems.append(
                Problem("reader-crashed", Location(display), params={"detail": detail})
            )
            return Chunk([crashed])


_SLOT: int = -1
_FLAGS: Any = None
_LIMITS = WorkerLimits()
_CHECK: Check | None = None


def _init_worker(
    limits: WorkerLimits, check: Check | None, flags: Any, counter: Synchronized[int]
) -> None:
    global _SLOT, _FLAGS, _LIMITS, _CHECK
    import resource

    with counter.get_lock():
        _SLOT, counter.value = counter.value, counter.value + 1
    _FLAGS, _LIMITS, _CHECK = flags, limits, check
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    processes.collect_less()  # as the fork server has, for a reader spawned without it
    _silence_stderr()


def _silence_stderr() -> None:
    """Native readers print panics and backtraces to fd 2; the clerk sees our problems instead."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _task(batch: list[tuple[int, str, str]]) -> Chunk:
    """Read a batch of files, flagging each one while it is read so a crash names its file."""
    import resource

    results, books = [], Codebooks()  # the task's files are typed together (`pack`)
    for index, path, display in batch:
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (spent + _LIMITS.cpu_seconds_per_file, hard))
        _FLAGS[_SLOT] = index
        results.append(read_file(path, display, books=books))
        _FLAGS[_SLOT] = -1
    return pack(results, _CHECK)
