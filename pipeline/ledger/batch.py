"""Batches in and out of the ledger: each file's normalised rows, anchors and read problems.

`load_batch` rebuilds, from the tables alone, the `Batch` that `ingest` made when the files were
read, so validation and every output can be redone without opening a workbook again. The rows
of the files one run read are kept as one segment per sheet kind (`pipeline.ingest.segment`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.ingest import FIELDS, FILE_COLUMNS, Batch, Received, Sheets, segment
from pipeline.ledger.archive import Arrival
from pipeline.problems import Location, Problem


def store_received(
    db: sqlite3.Connection, received: Received, arrivals: Mapping[str, Arrival], state: Path,
    now: str,
) -> None:  # fmt: skip
    """Insert every file of ``received`` (content new to the ledger) with all it was read as."""
    rows, anchors = [], _AnchorTexts()
    for read in received.reads:
        arrival = arrivals[read.sha256]
        rows.append((read.sha256, read.display, arrival.relative, arrival.size, arrival.mtime, now,
                     _under(arrival.archived, state), read.parsed.template_id,
                     anchors.text(read.anchors)))  # fmt: skip
    db.executemany(
        "INSERT INTO files (sha256, display, path, size, mtime, received, archive, template_id,"
        " anchors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    store_problems(db, "read", [(read.sha256, p) for read in received.reads for p in read.problems])
    store_segments(db, received.segments)


def _under(path: str, state: Path) -> str:
    """``path``, a location under ``state``, relative to it in POSIX form (as text: a `Path` a
    file took a tenth of a second for 10,000 files)."""
    prefix = os.path.join(state, "")
    relative = path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, state)
    return relative.replace(os.sep, "/")


class _AnchorTexts:
    """The JSON of each file's anchors, made once for each layout: the files of one template
    mostly share theirs, and encoding each took a tenth of a second for 10,000 files."""

    def __init__(self) -> None:
        self._made: dict[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], str] = {}

    def text(self, anchors: Mapping[str, Mapping[str, str]]) -> str:
        key = tuple((sheet, tuple(fields.items())) for sheet, fields in anchors.items())
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = json.dumps(anchors, ensure_ascii=False, sort_keys=True)
        return made


def store_segments(db: sqlite3.Connection, segments: Iterable[tuple[str, bytes]]) -> None:
    """Keep encoded rows, each (sheet, segment)."""
    db.executemany("INSERT INTO segments (sheet, data) VALUES (?, ?)", segments)


def store_problems(
    db: sqlite3.Connection, stage: str, found: Iterable[tuple[str, Problem]]
) -> None:
    """Problem rows of one stage: "read" (the workbook itself), "check" (validation, cached by
    `store_checked`), "outcome" (the latest run's, roster findings included)."""
    seq: dict[str, int] = defaultdict(int)
    rows = []
    for sha256, p in found:
        seq[sha256] += 1
        params = json.dumps(p.params, ensure_ascii=False, sort_keys=True, default=str)
        rows.append((sha256, stage, seq[sha256], p.code, p.location.sheet, p.location.cell,
                     p.found, params))  # fmt: skip
    db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def load_batch(
    db: sqlite3.Connection, state: Path, explain: Callable[[ValueError], Exception] | None = None,
    decoded: Mapping[int, segment.Decoded] | None = None,
) -> Batch:  # fmt: skip
    """The batch of every file in the ledger that is not withdrawn, as `ingest` would make it.

    Its sheets are decoded and its anchors parsed when first used (`pipeline.ingest.Sheets`,
    `Anchors`), but for the segments in ``decoded`` (by id: `decode_ahead`); stored data that
    does not decode raises what ``explain`` makes of its ValueError.
    """
    found = db.execute(
        "SELECT display, archive, sha256, size, mtime, template_id, anchors FROM files"
        " WHERE status != 'withdrawn'"
    ).fetchall()
    found.sort(key=lambda row: row[0])  # ingest orders files by display name
    folder = str(state)  # joined as text: a Path a file costs more than the rest of the row
    files = pd.DataFrame(
        [(d, os.path.join(folder, a), s, n, m, t) for d, a, s, n, m, t, _ in found],
        columns=list(FILE_COLUMNS),
    )
    displays = [str(row[0]) for row in found]
    number = {display: n for n, display in enumerate(displays)}
    anchors = Anchors([str(row[6]) for row in found], explain)
    stored = db.execute("SELECT id, sheet FROM segments ORDER BY id").fetchall()
    ahead = decoded or {}
    sheets = Sheets(
        [(sheet, StoredSegment(db, row, ahead.get(row))) for row, sheet in stored], number, explain
    )
    by_sha = {str(row[2]): n for n, row in enumerate(found)}
    return Batch(files, sheets, anchors, load_problems(db, "read", by_sha, displays))


class StoredSegment:
    """A segment left in the ledger until its rows are asked for; its keys are read on their own.

    A rerun needs the rows of its few new files: the segments holding none of them (hundreds of
    megabytes at a province's scale) are never fetched. Used while the ledger is open.
    """

    def __init__(
        self, db: sqlite3.Connection, row: int, decoded: segment.Decoded | None = None
    ) -> None:
        self._db, self._row, self._decoded = db, row, decoded
        self._keys: list[str] | None = None if decoded is None else decoded.keys

    def decoded(self) -> segment.Decoded | None:
        return self._decoded

    def keys(self) -> list[str]:
        if self._keys is None:
            with self._db.blobopen("segments", "data", self._row, readonly=True) as blob:

                def read(offset: int, size: int) -> bytes:
                    blob.seek(offset)
                    return blob.read(size)

                self._keys = segment.keys(read)
        return self._keys

    def data(self) -> bytes:
        query = "SELECT data FROM segments WHERE id = ?"
        return bytes(self._db.execute(query, (self._row,)).fetchone()[0])


class Anchors(Mapping[str, Mapping[int, dict[str, str]]]):
    """sheet → file number → field → column or cell, as `Batch.anchors`; each file's parsed
    from the JSON the ledger keeps only when first asked for (a rerun asks for a few)."""

    def __init__(
        self, texts: list[str], explain: Callable[[ValueError], Exception] | None = None
    ) -> None:
        self._texts, self._explain = texts, explain
        self._parsed: dict[int, dict[str, dict[str, str]]] = {}

    def of_file(self, number: int) -> dict[str, dict[str, str]]:
        if number not in self._parsed:
            self._parsed[number] = self._parse(number) if 0 <= number < len(self._texts) else {}
        return self._parsed[number]

    def _parse(self, number: int) -> dict[str, dict[str, str]]:
        try:
            return dict(json.loads(self._texts[number]))
        except ValueError as exc:  # the ledger's JSON was damaged
            if self._explain is None:
                raise
            raise self._explain(exc) from None

    def __getitem__(self, sheet: str) -> Mapping[int, dict[str, str]]:
        if sheet not in FIELDS:
            raise KeyError(sheet)
        return _SheetAnchors(self, sheet, len(self._texts))

    def __iter__(self) -> Iterator[str]:
        return iter(FIELDS)

    def __len__(self) -> int:
        return len(FIELDS)


class _SheetAnchors(Mapping[int, dict[str, str]]):
    """One sheet's anchors, file by file."""

    def __init__(self, anchors: Anchors, sheet: str, files: int) -> None:
        self._anchors, self._sheet, self._files = anchors, sheet, files

    def __getitem__(self, number: int) -> dict[str, str]:
        return self._anchors.of_file(number)[self._sheet]

    def __iter__(self) -> Iterator[int]:
        return (n for n in range(self._files) if self._sheet in self._anchors.of_file(n))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def load_problems(
    db: sqlite3.Connection, stage: str, number: Mapping[str, int], displays: list[str]
) -> list[Problem]:
    """The problems of one stage, file by file in batch order, each in the order it was found."""
    rows = db.execute(
        "SELECT sha256, code, sheet, cell, found, params FROM problems WHERE stage = ?"
        " ORDER BY sha256, seq",
        (stage,),
    ).fetchall()
    located = [
        (number[sha], Problem(code, Location(displays[number[sha]], sheet, cell), found, json.loads(params)))
        for sha, code, sheet, cell, found, params in rows
        if sha in number
    ]  # fmt: skip
    return [problem for _, problem in sorted(located, key=lambda pair: pair[0])]


def load_checked(db: sqlite3.Connection, context: str, batch: Batch) -> dict[str, list[Problem]]:
    """The validation problems of the batch's files already checked under ``context``."""
    number = {str(sha): n for n, sha in enumerate(batch.files["sha256"].tolist())}
    displays = batch.files["display"].tolist()
    checked = {sha for (sha,) in db.execute("SELECT sha256 FROM files WHERE checked = ?", (context,))}
    found: dict[str, list[Problem]] = {displays[number[sha]]: [] for sha in checked if sha in number}
    for problem in load_problems(db, "check", {s: n for s, n in number.items() if s in checked}, displays):
        found[problem.location.file].append(problem)
    return found


def store_checked(
    db: sqlite3.Connection, context: str, sha: Mapping[str, str],
    problems: Mapping[str, list[Problem]],
) -> None:  # fmt: skip
    """Keep the validation problems of these files (by display name, whose checksums ``sha``
    gives) as found under ``context``."""
    shas = [(sha[display],) for display in problems]
    db.executemany("DELETE FROM problems WHERE stage = 'check' AND sha256 = ?", shas)
    db.executemany("UPDATE files SET checked = ? WHERE sha256 = ?", [(context, s) for (s,) in shas])
    store_problems(db, "check", [(sha[d], p) for d, found in problems.items() for p in found])


@dataclass
class Ahead:
    """What `decode_ahead` decoded, by id: segments and figures."""

    segments: dict[int, segment.Decoded] = field(default_factory=dict)
    figures: dict[int, segment.Decoded] = field(default_factory=dict)


def decode_ahead(path: Path, sheets: Collection[str], context: str) -> Ahead:
    """The segments of ``sheets`` and the figures kept under ``context``, decoded on a
    read-only connection of their own (a thread's, while the run waits for its readers).

    Segments and figures are never changed once stored, so what is decoded stays true for the
    run; a failure leaves the rest undecoded, for the run to decode (and report) itself.
    """
    ahead = Ahead()
    with (
        suppress(sqlite3.Error, ValueError),
        closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)) as db,
    ):
        marks = ", ".join("?" * len(sheets))
        query = f"SELECT id, data FROM segments WHERE sheet IN ({marks})"
        for row, data in db.execute(query, tuple(sheets)):
            ahead.segments[int(row)] = segment.decode_whole(bytes(data))
        query = "SELECT id, data FROM figures WHERE context = ?"
        for row, data in db.execute(query, (context,)):
            ahead.figures[int(row)] = segment.decode_whole(bytes(data))
    return ahead
