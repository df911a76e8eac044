"""批注回执: the cadre's own workbook returned with every problem cell coloured and commented.

Each file is annotated (`pipeline.write.patching`: by editing its XML, or with openpyxl,
`pipeline.write.marking`) in a child process under a memory limit, so no submitted file can
take the run down; a manifest keeps what an earlier run made from the same inputs. This process
never imports openpyxl.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__, processes
from pipeline.durability import make_durable
from pipeline.errors import PipelineError
from pipeline.originals import read_original
from pipeline.problems import Problem
from pipeline.write.files import write_text_atomic

ANNOTATED_SUFFIX = "（批注回执）.xlsx"
MANIFEST = ".批注回执.json"  # target name -> fingerprint of the inputs it was made from
MEMORY_LIMIT = 2 * 1024**3
NICENESS = 10  # added to the annotating processes' niceness: the run's own work goes first


@dataclass(frozen=True)
class Source:
    """A submitted workbook as the reader saw it: where its original is kept
    (`pipeline.originals`) and where its fields are.

    ``anchors`` maps sheet → field → column letter (table sheets) or value cell (key-value).
    """

    path: str
    template_id: str
    anchors: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sha256: str = ""  # the content's checksum, by which a manifest knows it

    def open(self) -> io.BytesIO:
        """The original's bytes, as a file."""
        return io.BytesIO(read_original(self.path)[0])


@dataclass(frozen=True)
class Job:
    source: Source
    target: Path
    problems: tuple[Problem, ...]
    heading: str  # e.g. "张明（渭滨区团委）：退回"


def annotatable(source: Source) -> bool:
    """Only OOXML workbooks can come back annotated; other files get the text receipt alone."""
    try:
        with zipfile.ZipFile(source.open()) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (OSError, zipfile.BadZipFile, PipelineError):  # a damaged archive: the text receipt
        return False


class Annotators:
    """The processes that make 批注回执, started before their jobs are known (`start`), so that
    by the first job they are forked and have imported what annotating needs (lxml): a run's
    first workbook was annotated ~0.45 s after its outcomes were known, one core idle
    meanwhile. Unstarted, `annotate_all` starts processes of its own."""

    def __init__(self) -> None:
        self.pool: ProcessPoolExecutor | None = None

    def start(self, workers: int | None = None) -> None:
        workers = workers or _annotating_cores()
        self.pool = _pool(workers)
        for _ in range(workers):  # each task submitted while none is idle starts a process
            self.pool.submit(ready)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def annotate_all(
    jobs: Sequence[Job], *, workers: int | None = None, annotators: Annotators | None = None
) -> list[Path]:
    """Annotate each job in limited child processes, in job order; a job that fails is skipped.
    ``annotators``, if started, are the processes (else ``workers`` are started).

    A target already made from the same inputs (by `MANIFEST` in the jobs' folder: all targets
    of one call lie in one 回执 folder) is kept as it is, so a run that adds one file
    re-annotates none of the others (nor opens their workbooks again). A job whose workbook
    cannot come back annotated (`annotatable`) is passed over. What it made is durable when
    it returns.
    """
    manifest = _Manifest(jobs[0].target.parent) if jobs else None
    held = {job.target for job in jobs if manifest is not None and manifest.holds(job)}
    fresh = [job for job in jobs if job.target not in held]
    if manifest is not None:
        manifest.forget(fresh)  # before rewriting: a run killed halfway must not trust them
    todo = [job for job in fresh if annotatable(job.source)]
    started = annotators.pool if annotators is not None else None
    now = _annotate_in_processes(todo, workers or _annotating_cores(), started)
    # written without a sync each (two fsyncs a workbook: seconds for hundreds on a disk),
    # and durable before the manifest vouches for them
    make_durable(sorted(now), folders={path.parent for path in now})
    made = now | held
    if manifest is not None:
        manifest.keep([job for job in jobs if job.target in made])
    return [job.target for job in jobs if job.target in made]


def _annotating_cores() -> int:
    """Every core: the 批注回执 are made while the run grades and writes, at a lower priority
    (`_prepare`), so they take what the run and its side process leave and finish on all
    cores once those are done."""
    return os.cpu_count() or 1


def _annotate_in_processes(
    jobs: Sequence[Job], workers: int, started: ProcessPoolExecutor | None = None
) -> set[Path]:
    """Every job on the ``started`` processes, or on ``workers`` of their own; the jobs a
    crashed pool left are run one by one."""
    made: set[Path] = set()
    alone: list[Job] = []
    if not jobs:
        return made
    from pipeline.write.patching import annotate_safely  # lxml: in the annotating processes

    def submitted(pool: ProcessPoolExecutor, job: Job) -> Future[Path | None]:
        try:
            return pool.submit(annotate_safely, job)
        except BrokenProcessPool as broken:  # started early, and broken since: the job alone
            failed: Future[Path | None] = Future()
            failed.set_exception(broken)
            return failed

    with nullcontext(started) if started is not None else _pool(min(workers, len(jobs))) as pool:
        futures = [submitted(pool, job) for job in jobs]
        for job, future in zip(jobs, futures, strict=True):
            try:
                path = future.result()
            except BrokenProcessPool:  # one file took its process down: find which, alone
                alone.append(job)
                continue
            if path is not None:
                made.add(path)
    for job in alone:
        with _pool(1) as pool:
            try:
                path = pool.submit(annotate_safely, job).result()
            except BrokenProcessPool:
                continue
        if path is not None:
            made.add(path)
    return made


class _Manifest:
    """Which inputs each annotated workbook of a folder was made from (a hidden JSON file)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MANIFEST
        try:
            self.made: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.made = {}

    def holds(self, job: Job) -> bool:
        return job.target.is_file() and self.made.get(job.target.name) == _fingerprint(job)

    def forget(self, jobs: Sequence[Job]) -> None:
        if any(job.target.name in self.made for job in jobs):
            for job in jobs:
                self.made.pop(job.target.name, None)
            self._save()

    def keep(self, jobs: Sequence[Job]) -> None:
        self.made = {job.target.name: _fingerprint(job) for job in jobs}
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(self.made, ensure_ascii=False, sort_keys=True))


def _fingerprint(job: Job) -> str:
    """The source's content and all that is written into it."""
    inputs = (
        __version__, job.source.sha256, job.source.template_id, job.heading,
        sorted((s, sorted(a.items())) for s, a in job.source.anchors.items()),
        [str(problem) for problem in job.problems],
    )  # fmt: skip
    return hashlib.sha256(repr(inputs).encode("utf-8")).hexdigest()


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, processes.context(), _prepare)


def _prepare() -> None:
    """An annotating process's memory limit and lower priority (`_annotating_cores`), and the
    module that annotates (lxml), imported before its first job."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    with suppress(OSError):  # a platform without priorities: the order is only slower
        os.nice(NICENESS)
    import pipeline.write.patching  # noqa: F401


def ready() -> None:
    """Nothing: submitted to a pool before its work, it has a process start (and, unpickled
    there, import the write package): the started `Annotators`, the run's side process."""
