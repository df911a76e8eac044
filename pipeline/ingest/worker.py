"""Parse workbooks in worker processes with memory and CPU limits, so no file can take the run down.

python-calamine can abort the interpreter or raise a BaseException on hostile files, and old
.xls files can exhaust memory. Each worker runs under RLIMIT_AS and a per-file CPU allowance; a
worker that dies turns into a `reader-crashed` problem for the file it held, and the run goes on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from pipeline.ingest.chunk import Chunk, FileRead, pack
from pipeline.ingest.reader import read_workbook
from pipeline.ingest.sniff import Limits, sniff
from pipeline.problems import Location, Problem

BATCH = 256  # files per task at most: its rows are typed and encoded together


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int = 2 * 1024**3
    cpu_seconds_per_file: int = 60


def read_file(path: str, display: str, limits: Limits | None = None) -> FileRead:
    """Hash, sniff and read one file; every failure becomes a located problem."""
    file = Path(path)
    data = file.read_bytes()
    stat = file.stat()
    read = FileRead(display, path, hashlib.sha256(data).hexdigest(), len(data), stat.st_mtime)
    sniffed = sniff(file, display, limits or Limits())
    read.parsed.problems.extend(sniffed.problems)
    if not sniffed.kind:
        return read
    try:
        parsed = read_workbook(file, display)
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
    jobs: Sequence[tuple[str, str]], workers: int, limits: WorkerLimits | None = None
) -> Iterator[Chunk]:
    """Read (path, display) pairs in isolated processes, yielding chunks as they finish."""
    pending = list(jobs)
    limits = limits or WorkerLimits()
    while pending:
        in_flight = multiprocessing.get_context("spawn").Array("i", [-1] * max(workers, 1))
        _, suspects, rest = yield from _round(pending, workers, limits, in_flight)
        for index in suspects:
            yield _alone(pending[index], limits)
        pending = [pending[i] for i in rest]


def _round(
    jobs: list[tuple[str, str]], workers: int, limits: WorkerLimits, in_flight: Any
) -> Generator[Chunk, None, tuple[set[int], list[int], list[int]]]:
    """One pool over the jobs; on a crash, return which jobs were running and which never ran."""
    context = multiprocessing.get_context("spawn")
    counter = context.Value("i", 0)
    pool = ProcessPoolExecutor(max(workers, 1), context, _init_worker, (limits, in_flight, counter))
    batches = _batches(len(jobs), workers)
    futures: list[Future[Chunk]] = [
        pool.submit(_task, [(i, *jobs[i]) for i in batch]) for batch in batches
    ]
    finished: set[int] = set()
    try:
        for batch, future in zip(batches, futures, strict=True):
            try:
                results = future.result()
            except BrokenProcessPool:
                break
            finished.update(batch)
            yield results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    suspects = sorted({i for i in in_flight[:] if i >= 0} - finished)
    rest = [i for i in range(len(jobs)) if i not in finished and i not in suspects]
    return finished, suspects, rest


def _batches(count: int, workers: int) -> list[range]:
    """Consecutive job numbers in tasks of up to BATCH: about eight tasks a worker, for even load."""
    size = max(1, min(BATCH, count // (max(workers, 1) * 8)))
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _alone(job: tuple[str, str], limits: WorkerLimits) -> Chunk:
    """Read a suspect file in a pool of its own: it either succeeds or is marked crashed."""
    path, display = job
    context = multiprocessing.get_context("spawn")
    flags = context.Array("i", [-1])
    with ProcessPoolExecutor(
        1, context, _init_worker, (limits, flags, context.Value("i", 0))
    ) as pool:
        try:
            return pool.submit(_task, [(0, path, display)]).result()
        except BrokenProcessPool:
            crashed = FileRead(
                display, path, _sha256(path), os.path.getsize(path), os.path.getmtime(path)
            )
            detail = "内存或时间超出限制，或文件格式异常"
            crashed.parsed.problems.append(
                Problem("reader-crashed", Location(display), params={"detail": detail})
            )
            return Chunk([crashed])


_SLOT: int = -1
_FLAGS: Any = None
_LIMITS = WorkerLimits()


def _init_worker(limits: WorkerLimits, flags: Any, counter: Synchronized[int]) -> None:
    global _SLOT, _FLAGS, _LIMITS
    import resource

    with counter.get_lock():
        _SLOT, counter.value = counter.value, counter.value + 1
    _FLAGS, _LIMITS = flags, limits
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    _silence_stderr()


def _silence_stderr() -> None:
    """Native readers print panics and backtraces to fd 2; the clerk sees our problems instead."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _task(batch: list[tuple[int, str, str]]) -> Chunk:
    """Read a batch of files, flagging each one while it is read so a crash names its file."""
    import resource

    results = []
    for index, path, display in batch:
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (spent + _LIMITS.cpu_seconds_per_file, hard))
        _FLAGS[_SLOT] = index
        results.append(read_file(path, display))
        _FLAGS[_SLOT] = -1
    return pack(results)


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
