"""Batches in and out of the ledger: each file's normalised rows, anchors and read problems.

`load_batch` rebuilds, from the tables alone, the `Batch` that `ingest` made when the files were
read, so validation and every output can be redone without opening a workbook again. Values
keep their normalised types: text as TEXT, numbers as REAL, dates as INTEGER seconds since
1970-01-01 (in SQL: `datetime(日期, 'unixepoch')`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from pipeline.forms.spec import TEMPLATES, Kind, Sheet
from pipeline.ingest import FILE_COLUMNS, Batch
from pipeline.ingest.normalise import normalise_column
from pipeline.ledger.archive import Arrival
from pipeline.ledger.store import rows_table
from pipeline.problems import Location, Problem

EPOCH = datetime(1970, 1, 1)
SECOND = timedelta(seconds=1)
SHEETS: tuple[Sheet, ...] = tuple(s for t in TEMPLATES.values() for s in t.sheets)


def store_batch(
    db: sqlite3.Connection, batch: Batch, arrivals: Mapping[str, Arrival], state: Path, now: str
) -> None:
    """Insert every file of ``batch`` (content new to the ledger) with all it was read as."""
    sha = batch.files["sha256"]
    for number, file in batch.files.iterrows():
        arrival = arrivals[str(file["sha256"])]
        db.execute(
            "INSERT INTO files (sha256, display, path, size, mtime, received, archive, template_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (arrival.sha256, file["display"], arrival.relative, arrival.size, arrival.mtime, now,
             arrival.archived.relative_to(state).as_posix(), file["template_id"]),
        )  # fmt: skip
        for sheet, by_file in batch.anchors.items():
            db.executemany(
                "INSERT INTO anchors (sha256, sheet, field, anchor) VALUES (?, ?, ?, ?)",
                [
                    (arrival.sha256, sheet, f, a)
                    for f, a in by_file.get(int(str(number)), {}).items()
                ],
            )
    by_display = dict(zip(batch.files["display"], sha, strict=True))
    store_problems(db, "read", [(by_display[p.location.file], p) for p in batch.problems])
    for spec in SHEETS:
        frame = batch.sheets[spec.name]
        columns = ", ".join(f'"{name}"' for name in ("sha256", "_row", *spec.field_names))
        marks = ", ".join("?" * (len(spec.fields) + 2))
        db.executemany(
            f"INSERT INTO {rows_table(spec.name)} ({columns}) VALUES ({marks})",
            _encoded(frame, spec, sha),
        )


def store_problems(
    db: sqlite3.Connection, stage: str, found: Iterable[tuple[str, Problem]]
) -> None:
    """Problem rows of one stage ("read": from the workbook itself; "outcome": the latest run's)."""
    seq: dict[str, int] = defaultdict(int)
    rows = []
    for sha256, p in found:
        seq[sha256] += 1
        params = json.dumps(p.params, ensure_ascii=False, sort_keys=True, default=str)
        rows.append((sha256, stage, seq[sha256], p.code, p.location.sheet, p.location.cell,
                     p.found, params))  # fmt: skip
    db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def load_batch(db: sqlite3.Connection, state: Path) -> Batch:
    """The batch of every file in the ledger that is not withdrawn, as `ingest` would make it."""
    found = db.execute(
        "SELECT display, archive, sha256, size, mtime, template_id FROM files"
        " WHERE status != 'withdrawn'"
    ).fetchall()
    found.sort(key=lambda row: row[0])  # ingest orders files by display name
    files = pd.DataFrame(
        [(d, str(state / a), s, n, m, t) for d, a, s, n, m, t in found], columns=list(FILE_COLUMNS)
    )
    number = {str(sha): n for n, sha in enumerate(files["sha256"])}
    sheets = {spec.name: _frame(db, spec, number) for spec in SHEETS}
    anchors: dict[str, dict[int, dict[str, str]]] = {spec.name: {} for spec in SHEETS}
    for sha256, sheet, field, anchor in db.execute("SELECT * FROM anchors"):
        if sha256 in number:
            anchors.setdefault(sheet, {}).setdefault(number[sha256], {})[field] = anchor
    return Batch(files, sheets, anchors, load_problems(db, "read", number, list(files["display"])))


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


def _encoded(frame: pd.DataFrame, spec: Sheet, sha: pd.Series) -> Iterator[tuple[object, ...]]:
    dates = [f.kind is Kind.DATE for f in spec.fields]
    values = frame[list(spec.field_names)].itertuples(index=False, name=None)
    by_number = sha.to_dict()  # a dict lookup per row, not a Series one (seconds at 10,000 files)
    return (  # streamed into executemany: a list of every row would cost a gigabyte at 10,000
        (by_number[file_no], int(row), *(_encode_date(v) if d else v for v, d in zip(cells, dates, strict=True)))
        for file_no, row, cells in zip(frame["_file"], frame["_row"], values, strict=True)
    )  # fmt: skip


def _encode_date(value: object) -> object:
    if isinstance(value, datetime):
        return (pd.Timestamp(value).to_pydatetime() - EPOCH) // SECOND
    return value


def _frame(db: sqlite3.Connection, spec: Sheet, number: Mapping[str, int]) -> pd.DataFrame:
    columns = ", ".join(f'"{name}"' for name in ("sha256", "_row", *spec.field_names))
    rows = [
        (number[row[0]], *row[1:])
        for row in db.execute(f"SELECT {columns} FROM {rows_table(spec.name)} ORDER BY rowid")
        if row[0] in number
    ]
    rows.sort(key=lambda row: row[0])  # stable: each file's rows stay in sheet order
    frame = pd.DataFrame(rows, columns=["_file", "_row", *spec.field_names], dtype=object)
    del rows  # the frame holds the values: at 10,000 files the tuples alone are hundreds of MB
    for f in spec.fields:
        if f.kind is Kind.DATE:  # element by element: Series.map would turn None into NaT
            decoded = [_decode_date(v) for v in frame[f.name]]
            frame[f.name] = pd.Series(decoded, index=frame.index, dtype=object)
        # normalising a normalised value changes nothing but the representation of blanks,
        # which then matches ingest's exactly (None or NaN, as pandas makes them)
        frame[f.name] = normalise_column(frame[f.name], f)
    return frame.astype({"_file": "int64", "_row": "int64"})


def _decode_date(value: object) -> object:
    if isinstance(value, int):
        return pd.Timestamp(EPOCH + value * SECOND)
    return value
