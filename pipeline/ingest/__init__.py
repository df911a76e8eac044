"""Ingest: read every file in worker processes and stack each sheet kind into one typed frame.

Each frame row carries `_file` (the file's number in the batch) and `_row` (its Excel row), and
`Batch.locate` turns any (sheet, file, field, row) back into the cell the cadre typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipeline.ingest import segment
from pipeline.ingest.chunk import SHEETS, Check, Chunk, FileRead
from pipeline.ingest.executors import Executor, LocalExecutor
from pipeline.ingest.worker import Job, WorkerLimits
from pipeline.problems import Location, Problem

FILE_COLUMNS = ("display", "path", "sha256", "size", "mtime", "template_id")
FIELDS = {spec.name: spec.field_names for spec in SHEETS}


class Sheets(Mapping[str, pd.DataFrame]):
    """Each sheet kind's rows, stacked from its segments the first time the sheet is asked for.

    A rerun at a province's scale needs the rows of a few new files only: `of` decodes just the
    segments that hold them, and a sheet nobody asks for is never decoded.
    """

    def __init__(
        self, segments: Iterable[tuple[str, segment.Stored]], number: Mapping[str, int],
        explain: Callable[[ValueError], Exception] | None = None,
    ) -> None:  # fmt: skip
        self._blobs: dict[str, list[segment.Stored]] = {name: [] for name in FIELDS}
        for sheet, stored in segments:
            self._blobs[sheet].append(stored)
        self._number, self._explain = dict(number), explain
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = self._stack(self._blobs[name], self._number, name)
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def of(self, name: str, numbers: Collection[int]) -> pd.DataFrame:
        """The rows of the files numbered ``numbers`` only, in file order."""
        if name in self._frames:
            return rows_of(self._frames[name], numbers)
        if not numbers:  # no segment need be looked at
            return self._stack([], {}, name)
        wanted = set(numbers)
        number = {key: n for key, n in self._number.items() if n in wanted}
        return self._stack(self._blobs[name], number, name)

    def _stack(
        self, blobs: Sequence[segment.Stored], number: dict[str, int], name: str
    ) -> pd.DataFrame:
        try:
            return segment.stack(blobs, number, FIELDS[name])
        except ValueError as exc:  # a segment that does not decode: its blob was damaged
            if self._explain is None:
                raise
            raise self._explain(exc) from None


def rows_of(frame: pd.DataFrame, numbers: Collection[int]) -> pd.DataFrame:
    """The rows of ``frame`` whose `_file` is in ``numbers`` (``frame`` itself when all are)."""
    chosen = frame["_file"].isin(numbers).to_numpy()
    return frame if chosen.all() else frame[chosen]


@dataclass
class Batch:
    files: pd.DataFrame  # index: file number; FILE_COLUMNS
    sheets: Mapping[str, pd.DataFrame]  # sheet name -> _file, _row and the spec's fields, typed
    anchors: Mapping[str, Mapping[int, Mapping[str, str]]]  # sheet -> file -> field -> anchor
    problems: list[Problem] = field(default_factory=list)

    def rows(self, sheet: str, numbers: Collection[int]) -> pd.DataFrame:
        """One sheet kind's rows of the files numbered ``numbers``, without decoding the rest."""
        if isinstance(self.sheets, Sheets):
            return self.sheets.of(sheet, numbers)
        return rows_of(self.sheets[sheet], numbers)

    def subset(self, numbers: list[int]) -> Batch:
        """The same batch for some of its files only (numbers and anchors unchanged)."""
        files = self.files.loc[numbers]
        sheets = {name: self.rows(name, numbers) for name in self.sheets}
        displays = set(files["display"])
        problems = [p for p in self.problems if p.location.file in displays]
        return Batch(files, sheets, self.anchors, problems)

    def checksums(self, numbers: Collection[int]) -> dict[int, str]:
        """The sha256 of each file numbered in ``numbers``, by number (read as a list: `.at` a
        file costs 40 µs, and runs ask for ten thousand)."""
        numbers = [int(n) for n in numbers]
        return dict(zip(numbers, map(str, self.files.loc[numbers, "sha256"]), strict=True))

    def locate(self, sheet: str, file_no: int, column: str | None, row: int) -> Location:
        anchor = self.anchors.get(sheet, {}).get(file_no, {}).get(column or "", "")
        cell = f"{anchor}{row}" if anchor and row else anchor
        return Location(str(self.files.at[file_no, "display"]), sheet, cell)


@dataclass
class Received:
    """What the workers sent: every file as read, in display-name order, and its rows encoded."""

    reads: list[FileRead]
    segments: list[tuple[str, bytes]]  # (sheet, rows keyed by display name)
    checked: dict[str, list[Problem]] = field(default_factory=dict)  # by display: validated
    measured: list[object] = field(default_factory=list)  # what the check measured besides


def receive(
    jobs: Iterable[Job],
    *,
    workers: int = 2,
    limits: WorkerLimits | None = None,
    progress: Callable[[FileRead], None] | None = None,
    executor: Executor | None = None,
    expected: int | None = None,
    check: Check | None = None,
    store: Callable[[Sequence[tuple[str, bytes]]], None] | None = None,
) -> Received:
    """Read (path, display name) pairs with ``executor`` (default: ``workers`` local processes).

    ``jobs`` may still be coming (``expected`` of them, if known). ``check`` validates each
    task's files where they were read; a file it could not check is missing from `checked`.
    ``store`` takes each task's encoded rows as the task arrives (a ledger keeps them while the
    rest are read), which `Received.segments` then leaves out. What is received does not depend
    on the executor, on how files were grouped into tasks or on the order they came in.
    """
    chunks: list[Chunk] = []
    executor = executor or LocalExecutor(workers)
    reading = executor.read(jobs, limits or WorkerLimits(), expected, check)
    for chunk in reading:
        if store is not None:
            store(chunk.segments)
            chunk.segments = []  # held by the ledger alone: a run's rows are hundreds of MB
        chunks.append(chunk)
        if progress is not None:
            for read in chunk.reads:
                progress(read)
    reads = sorted((read for chunk in chunks for read in chunk.reads), key=lambda r: r.display)
    checked = {d: found for chunk in chunks for d, found in chunk.checked.problems.items()}
    measured = [m for chunk in chunks for m in chunk.checked.measured]
    segments = [part for chunk in chunks for part in chunk.segments]
    return Received(reads, segments, checked, measured)


def ingest(
    jobs: Iterable[Job], *, workers: int = 2, executor: Executor | None = None
) -> Batch:
    """Read (path, display name) pairs into one batch of typed frames."""
    return assemble(receive(jobs, workers=workers, executor=executor))


def assemble(received: Received) -> Batch:
    """The batch of typed frames of what was received, files numbered in display-name order."""
    number = {read.display: n for n, read in enumerate(received.reads)}
    stored = [(sheet, segment.InMemory(blob)) for sheet, blob in received.segments]
    return batch_of(received.reads, Sheets(stored, number))


def batch_of(reads: Sequence[FileRead], sheets: Mapping[str, pd.DataFrame]) -> Batch:
    """The batch of ``reads``, numbered in their order, whose typed rows are ``sheets``."""
    files = pd.DataFrame(
        [(r.display, r.path, r.sha256, r.size, r.mtime, r.parsed.template_id) for r in reads],
        columns=list(FILE_COLUMNS),
    )
    anchors: dict[str, dict[int, dict[str, str]]] = {spec.name: {} for spec in SHEETS}
    for n, read in enumerate(reads):
        for sheet, fields in read.anchors.items():
            anchors[sheet][n] = fields
    problems = [p for r in reads for p in r.parsed.problems]
    return Batch(files, sheets, anchors, problems)
