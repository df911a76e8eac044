"""Where workbooks are read: isolated local processes, or the workers of a dask.distributed cluster.

Both run the same `read_file` and yield the same `FileRead`s, so a run's outputs do not depend on
the executor. The dask executor ships each file's bytes to the cluster, so its workers need no
shared file system; a task that fails there (a worker killed by a hostile file) is read again
locally, where the process limits name the culprit `reader-crashed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from pipeline.errors import PipelineError
from pipeline.ingest.chunk import Check, Chunk, pack
from pipeline.ingest.codebook import Codebooks
from pipeline.ingest.worker import Job, WorkerLimits, read_chunks, read_data
from pipeline.originals import read_original

EXECUTORS = ("local", "dask")
DASK_BATCH = 32  # files per dask task: enough to amortise a round trip, small enough to spread


class Executor(Protocol):
    def read(
        self, jobs: Iterable[Job], limits: WorkerLimits, expected: int | None = None,
        check: Check | None = None,
    ) -> Iterator[Chunk]:  # fmt: skip
        """Read (path, display name) pairs, yielding each chunk of files as it finishes.

        ``jobs`` may still be coming; ``expected`` says how many there will be, if known.
        ``check`` validates each chunk's files where they were read (`chunk.pack`).
        """
        ...


@dataclass(frozen=True)
class LocalExecutor:
    """Spawned processes on this machine, each under memory and CPU limits."""

    workers: int = 2

    def read(
        self, jobs: Iterable[Job], limits: WorkerLimits, expected: int | None = None,
        check: Check | None = None,
    ) -> Iterator[Chunk]:  # fmt: skip
        return read_chunks(jobs, self.workers, limits, expected, check)


@dataclass(frozen=True)
class DaskExecutor:
    """The workers of the dask.distributed scheduler at ``scheduler`` (e.g. tcp://10.0.0.5:8786)."""

    scheduler: str

    def read(
        self, jobs: Iterable[Job], limits: WorkerLimits, expected: int | None = None,
        check: Check | None = None,
    ) -> Iterator[Chunk]:  # fmt: skip
        from distributed import Client, as_completed

        try:
            client = Client(self.scheduler, timeout="30s")
        except OSError as exc:
            raise PipelineError(f"无法连接 dask 调度器 {self.scheduler}：{exc}") from None
        with client:
            chunks = _groups(jobs, DASK_BATCH)
            window = max(4, 4 * len(client.scheduler_info()["workers"]))
            held: dict[Any, list[Job]] = {}  # only a window's files are in memory

            def submit(chunk: list[Job]) -> Any:
                future = client.submit(read_shipped, _shipped(chunk), check, pure=False)
                held[future] = chunk
                return future

            done = as_completed([submit(chunk) for chunk in islice(chunks, window)])
            for future in done:
                chunk = held.pop(future)
                for following in islice(chunks, 1):
                    done.add(submit(following))
                try:
                    yield future.result()
                except Exception:  # the task's worker died or the task failed: read it here
                    yield from read_chunks(chunk, 1, limits, check=check)


def _groups(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    """``jobs`` in lists of ``size`` (the last shorter), taken as they come."""
    source = iter(jobs)
    while group := list(islice(source, size)):
        yield group


def _shipped(chunk: list[Job]) -> list[tuple[str, str, bytes, float]]:
    """Each file of a chunk with its bytes and modification time, for a worker elsewhere."""
    return [(path, display, *read_original(path)) for path, display in chunk]


def read_shipped(files: list[tuple[str, str, bytes, float]], check: Check | None = None) -> Chunk:
    """On a dask worker: each file's bytes read as `read_file` reads them where they are kept,
    and checked with ``check``."""
    books = Codebooks()  # the chunk's files are typed together (`pack`)
    reads = [read_data(data, display, path, mtime, books=books)
             for path, display, data, mtime in files]  # fmt: skip
    return pack(reads, check)


def executor_for(name: str, *, workers: int, scheduler: str | None = None) -> Executor:
    """The executor a run asked for by name ("local" or "dask" with a scheduler address)."""
    if name == "local":
        return LocalExecutor(workers)
    if name != "dask":
        raise PipelineError(f"未知的执行方式“{name}”：请用 {' 或 '.join(EXECUTORS)}")
    if not scheduler:
        raise PipelineError("使用 --executor dask 时必须用 --scheduler 给出 dask 调度器地址")
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise PipelineError("未安装 dask：请先运行 pip install 'lianxi[dask]'") from None
    return DaskExecutor(scheduler)
