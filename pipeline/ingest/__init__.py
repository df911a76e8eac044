"""Ingest: read every file in worker processes and stack each sheet kind into one typed frame.

Each frame row carries `_file` (the file's number in the batch) and `_row` (its Excel row), and
`Batch.locate` turns any (sheet, file, field, row) back into the cell the cadre typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.ingest import segment
from pipeline.ingest.chunk import SHEETS, Chunk, FileRead
from pipeline.ingest.executors import Executor, LocalExecutor
from pipeline.ingest.worker import WorkerLimits
from pipeline.problems import Location, Problem

FILE_COLUMNS = ("display", "path", "sha256", "size", "mtime", "template_id")


@dataclass
class Batch:
    files: pd.DataFrame  # index: file number; FILE_COLUMNS
    sheets: dict[str, pd.DataFrame]  # sheet name -> _file, _row and the spec's fields, typed
    anchors: dict[str, dict[int, dict[str, str]]]  # sheet -> file -> field -> column or cell
    problems: list[Problem] = field(default_factory=list)

    def subset(self, numbers: list[int]) -> Batch:
        """The same batch for some of its files only (numbers and anchors unchanged)."""
        files = self.files.loc[numbers]
        sheets = {name: frame[frame["_file"].isin(numbers)] for name, frame in self.sheets.items()}
        displays = set(files["display"])
        problems = [p for p in self.problems if p.location.file in displays]
        return Batch(files, sheets, self.anchors, problems)

    def locate(self, sheet: str, file_no: int, column: str | None, row: int) -> Location:
        anchor = self.anchors.get(sheet, {}).get(file_no, {}).get(column or "", "")
        cell = f"{anchor}{row}" if anchor and row else anchor
        return Location(str(self.files.at[file_no, "display"]), sheet, cell)


@dataclass
class Received:
    """What the workers sent: every file as read, in display-name order, and its rows encoded."""

    reads: list[FileRead]
    segments: list[tuple[str, bytes]]  # (sheet, rows keyed by display name)


def receive(
    jobs: Iterable[tuple[str, str]],
    *,
    workers: int = 2,
    limits: WorkerLimits | None = None,
    progress: Callable[[FileRead], None] | None = None,
    executor: Executor | None = None,
) -> Received:
    """Read (path, display name) pairs with ``executor`` (default: ``workers`` local processes).

    What is received does not depend on the executor or on how files were grouped into tasks.
    """
    chunks: list[Chunk] = []
    for chunk in (executor or LocalExecutor(workers)).read(list(jobs), limits or WorkerLimits()):
        chunks.append(chunk)
        if progress is not None:
            for read in chunk.reads:
                progress(read)
    reads = sorted((read for chunk in chunks for read in chunk.reads), key=lambda r: r.display)
    return Received(reads, [part for chunk in chunks for part in chunk.segments])


def ingest(
    jobs: Iterable[tuple[str, str]], *, workers: int = 2, executor: Executor | None = None
) -> Batch:
    """Read (path, display name) pairs into one batch of typed frames."""
    return assemble(receive(jobs, workers=workers, executor=executor))


def assemble(received: Received) -> Batch:
    """The batch of typed frames of what was received, files numbered in display-name order."""
    reads, segments = received.reads, received.segments
    files = pd.DataFrame(
        [(r.display, r.path, r.sha256, r.size, r.mtime, r.parsed.template_id) for r in reads],
        columns=list(FILE_COLUMNS),
    )
    number = {read.display: n for n, read in enumerate(reads)}
    anchors: dict[str, dict[int, dict[str, str]]] = {spec.name: {} for spec in SHEETS}
    for n, read in enumerate(reads):
        for sheet, fields in read.anchors.items():
            anchors[sheet][n] = fields
    sheets = {
        spec.name: segment.stack([b for s, b in segments if s == spec.name], number, spec.field_names)
        for spec in SHEETS
    }
    problems = [p for r in reads for p in r.parsed.problems]
    return Batch(files, sheets, anchors, problems)
