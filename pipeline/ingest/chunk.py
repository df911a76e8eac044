"""A chunk: the files one worker task read, their rows typed and encoded in that worker.

Normalisation runs in the workers, vectorised over each task's files, and each sheet kind's
typed rows cross to the run as one segment (`pipeline.ingest.segment`): a few arrays instead of
millions of Python objects to pickle and unpickle, stored in the ledger as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.forms.spec import TEMPLATES, Field, Kind, Sheet
from pipeline.ingest import segment
from pipeline.ingest.normalise import day_nanoseconds, normalise_coded, normalise_typed
from pipeline.ingest.reader import ParsedFile, RawSheet
from pipeline.problems import Location, Problem

SHEETS: tuple[Sheet, ...] = tuple(s for t in TEMPLATES.values() for s in t.sheets)


@dataclass
class Checked:
    """What a check found in one task's files: validation problems by display name, and what it
    measured there besides (opaque to ingest: the run hands it to the ledger to keep)."""

    problems: dict[str, list[Problem]] = field(default_factory=dict)
    measured: list[object] = field(default_factory=list)


Check = Callable[[list["FileRead"], Mapping[str, pd.DataFrame]], Checked]
"""The work done on files as read and their typed rows, by sheet kind, where they were read."""


@dataclass
class FileRead:
    """A file as read by a worker: its identity, what its template sheets hold, its anchors."""

    display: str
    path: str
    sha256: str
    size: int
    mtime: float
    parsed: ParsedFile = field(default_factory=ParsedFile)
    anchors: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> field -> anchor

    @property
    def problems(self) -> list[Problem]:
        return self.parsed.problems


@dataclass
class Chunk:
    """Files as read (their rows taken out) and their rows, one segment per sheet kind."""

    reads: list[FileRead]
    segments: list[tuple[str, bytes]] = field(default_factory=list)  # (sheet, rows by display)
    checked: Checked = field(default_factory=Checked)  # empty if the files were not checked


def pack(reads: list[FileRead], check: Check | None = None) -> Chunk:
    """Type every sheet's rows of ``reads`` and encode them; each read keeps its anchors.
    ``check`` then validates them over the typed rows; should it fail, the files are left
    unchecked (the run checks them itself).

    Should typing fail on some value nobody foresaw, the files are typed one by one and the
    one that fails is returned unreadable: one file's problem, never the run's.
    """
    try:
        segments, frames = _pack(reads)
    except Exception as exc:
        if len(reads) > 1:
            parts = [pack([read], check) for read in reads]
            checked = Checked(
                {d: found for c in parts for d, found in c.checked.problems.items()},
                [m for c in parts for m in c.checked.measured],
            )
            return Chunk(
                [r for c in parts for r in c.reads], [s for c in parts for s in c.segments], checked
            )
        read = reads[0]
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        read.parsed.sheets.clear()
        read.parsed.problems.append(
            Problem("file-unreadable", Location(read.display), params={"detail": detail})
        )
        return Chunk(reads, checked=_checked(check, reads, {}))
    for read in reads:
        read.parsed.sheets.clear()  # their rows travel in the segments
    return Chunk(reads, segments, _checked(check, reads, frames))


def _pack(reads: list[FileRead]) -> tuple[list[tuple[str, bytes]], dict[str, pd.DataFrame]]:
    """Each sheet kind's typed rows of ``reads``, encoded and as frames."""
    segments, frames = [], {}
    keys = [read.display for read in reads]
    for spec in SHEETS:
        held = [(n, r.parsed.sheets[spec.name]) for n, r in enumerate(reads) if spec.name in r.parsed.sheets]
        frame, coded = typed_frame(spec, held)
        frames[spec.name] = frame
        if not frame.empty:
            segments.append((spec.name, segment.encode(frame, keys, spec.field_names, coded)))
    for read in reads:
        read.anchors = {name: raw.anchors for name, raw in read.parsed.sheets.items()}
    return segments, frames


def _checked(
    check: Check | None, reads: list[FileRead], frames: Mapping[str, pd.DataFrame]
) -> Checked:
    if check is None:
        return Checked()
    sheets = {s.name: frames[s.name] if s.name in frames else typed_frame(s, [])[0] for s in SHEETS}
    try:
        return check(reads, sheets)
    except Exception:  # an unforeseen failure of the checks: the run validates these files
        return Checked()


def typed_frame(
    spec: Sheet, held: list[tuple[int, RawSheet]]
) -> tuple[pd.DataFrame, dict[str, segment.Coded]]:
    """One sheet kind's raw rows of several files as a frame of normalised values, each
    field's kinds beside it (`segment.kind_column`), and its text columns' codes (for the
    encoder); a table's rows with nothing in them (blank, or spaces only: typed as None) are
    dropped."""
    counts = [len(raw.numbers) for _, raw in held]
    files = np.repeat(np.array([file_no for file_no, _ in held], dtype=np.int64), counts)
    numbers = np.concatenate([raw.numbers for _, raw in held]) if held else files
    columns: dict[str, np.ndarray] = {segment.FILE: files, segment.ROW: numbers.astype(np.int64)}
    if not held:  # no file has this sheet: its columns, empty
        return _frame(columns | {f.name: np.empty(0, dtype=object) for f in spec.fields}), {}
    filled = np.full(len(files), spec.key_value)  # a key-value sheet keeps its one row
    coded: dict[str, segment.Coded] = {}
    for k, f in enumerate(spec.fields):
        columns[f.name], kinds, codes = _typed(held, k, f)
        columns[segment.kind_column(f.name)] = kinds
        if f.kind is Kind.DATE:
            columns[segment.days_column(f.name)] = day_nanoseconds(columns[f.name], kinds)
        if codes is not None:
            coded[f.name] = codes
            if f.name in spec.unique_by:  # compared by the duplicate-row check
                columns[segment.same_column(f.name)] = codes.same()
        filled |= kinds != segment.NONE  # NaT is a value typed in
    if not filled.all():
        columns = {name: values[filled] for name, values in columns.items()}
        coded = {name: codes[filled] for name, codes in coded.items()}
    return _frame(columns), coded


def _typed(
    held: list[tuple[int, RawSheet]], k: int, f: Field
) -> tuple[np.ndarray, np.ndarray, segment.Coded | None]:
    """The ``k``th field's cells of ``held``, typed (`normalise_typed`): once per distinct value
    where they were numbered in one book (a task's files), else cell by cell."""
    book = held[0][1].books[k]
    if book is not None and all(raw.books[k] is book for _, raw in held):
        return normalise_coded(np.concatenate([raw.columns[k] for _, raw in held]), book.cells(), f)
    return normalise_typed(np.concatenate([_cells(raw, k) for _, raw in held]), f)


def _cells(raw: RawSheet, k: int) -> np.ndarray:
    """The ``k``th field's cells as an object array, whether they were numbered or not."""
    book = raw.books[k]
    return raw.columns[k] if book is None else book.cells()[raw.columns[k]]


def _frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({n: pd.Series(v, dtype=v.dtype) for n, v in columns.items()})
