"""Ingest: read every file in worker processes and stack each sheet kind into one typed frame.

Each frame row carries `_file` (the file's number in the batch) and `_row` (its Excel row), and
`Batch.locate` turns any (sheet, file, field, row) back into the cell the cadre typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.forms.spec import TEMPLATES, Sheet
from pipeline.ingest.executors import Executor, LocalExecutor
from pipeline.ingest.normalise import normalise_column
from pipeline.ingest.reader import RawSheet
from pipeline.ingest.worker import FileRead, WorkerLimits
from pipeline.problems import Location, Problem

FILE_COLUMNS = ("display", "path", "sha256", "size", "mtime", "template_id")


@dataclass
class Batch:
    files: pd.DataFrame  # index: file number; FILE_COLUMNS
    sheets: dict[str, pd.DataFrame]  # sheet name -> _file, _row and the spec's fields, typed
    anchors: dict[str, dict[int, dict[str, str]]]  # sheet -> file -> field -> column or cell
    problems: list[Problem] = field(default_factory=list)

    def locate(self, sheet: str, file_no: int, column: str | None, row: int) -> Location:
        anchor = self.anchors.get(sheet, {}).get(file_no, {}).get(column or "", "")
        cell = f"{anchor}{row}" if anchor and row else anchor
        return Location(str(self.files.at[file_no, "display"]), sheet, cell)


def ingest(
    jobs: Iterable[tuple[str, str]],
    *,
    workers: int = 2,
    limits: WorkerLimits | None = None,
    progress: Callable[[FileRead], None] | None = None,
    executor: Executor | None = None,
) -> Batch:
    """Read (path, display name) pairs and assemble one batch of typed frames.

    The files are read by ``executor`` (default: ``workers`` local processes); the batch is the
    same whichever reads them, since reads are put in display-name order before assembly.
    """
    reads = []
    for read in (executor or LocalExecutor(workers)).read(list(jobs), limits or WorkerLimits()):
        reads.append(read)
        if progress is not None:
            progress(read)
    reads.sort(key=lambda r: r.display)
    return assemble(reads)


def assemble(reads: list[FileRead]) -> Batch:
    """One batch of typed frames from reads in file-number order.

    Each sheet's raw rows are taken out of the reads as its frame is built, so the raw and the
    typed rows of all files are never held at once (gigabytes at 10,000 files).
    """
    files = pd.DataFrame(
        [(r.display, r.path, r.sha256, r.size, r.mtime, r.parsed.template_id) for r in reads],
        columns=list(FILE_COLUMNS),
    )
    problems = [p for r in reads for p in r.parsed.problems]
    sheets: dict[str, pd.DataFrame] = {}
    anchors: dict[str, dict[int, dict[str, str]]] = {}
    for spec in (sheet for template in TEMPLATES.values() for sheet in template.sheets):
        held = [
            (n, r.parsed.sheets.pop(spec.name))
            for n, r in enumerate(reads)
            if spec.name in r.parsed.sheets
        ]
        anchors[spec.name] = {file_no: raw.anchors for file_no, raw in held}
        sheets[spec.name] = _typed_frame(spec, held)
    return Batch(files, sheets, anchors, problems)


def _typed_frame(spec: Sheet, held: list[tuple[int, RawSheet]]) -> pd.DataFrame:
    rows = [(file_no, row, *values) for file_no, raw in held for row, values in raw.rows]
    held.clear()
    frame = pd.DataFrame(rows, columns=["_file", "_row", *spec.field_names], dtype=object)
    del rows
    for f in spec.fields:
        frame[f.name] = normalise_column(frame[f.name], f)
    return frame.astype({"_file": "int64", "_row": "int64"})
