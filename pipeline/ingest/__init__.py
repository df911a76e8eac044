"""Ingest: read every file in worker processes and stack each sheet kind into one typed frame.

Each frame row carries `_file` (the file's number in the batch) and `_row` (its Excel row), and
`Batch.locate` turns any (sheet, file, field, row) back into the cell the cadre typed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.forms.spec import TEMPLATES
from pipeline.ingest.normalise import normalise_column
from pipeline.ingest.worker import FileRead, WorkerLimits, read_files
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
) -> Batch:
    """Read (path, display name) pairs and assemble one batch of typed frames."""
    reads = []
    for read in read_files(list(jobs), workers, limits or WorkerLimits()):
        reads.append(read)
        if progress is not None:
            progress(read)
    reads.sort(key=lambda r: r.display)
    return assemble(reads)


def assemble(reads: list[FileRead]) -> Batch:
    files = pd.DataFrame(
        [(r.display, r.path, r.sha256, r.size, r.mtime, r.parsed.template_id) for r in reads],
        columns=list(FILE_COLUMNS),
    )
    problems = [p for r in reads for p in r.parsed.problems]
    sheets: dict[str, pd.DataFrame] = {}
    anchors: dict[str, dict[int, dict[str, str]]] = {}
    for template in TEMPLATES.values():
        for spec in template.sheets:
            rows = [
                (file_no, row, *values)
                for file_no, read in enumerate(reads)
                if spec.name in read.parsed.sheets
                for row, values in read.parsed.sheets[spec.name].rows
            ]
            frame = pd.DataFrame(rows, columns=["_file", "_row", *spec.field_names], dtype=object)
            for f in spec.fields:
                frame[f.name] = normalise_column(frame[f.name], f)
            sheets[spec.name] = frame.astype({"_file": "int64", "_row": "int64"})
            anchors[spec.name] = {
                file_no: read.parsed.sheets[spec.name].anchors
                for file_no, read in enumerate(reads)
                if spec.name in read.parsed.sheets
            }
    return Batch(files, sheets, anchors, problems)
