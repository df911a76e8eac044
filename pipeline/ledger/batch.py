"""Batches in and out of the ledger: each file's normalised rows, anchors and read problems.

`load_batch` rebuilds, from the tables alone, the `Batch` that `ingest` made when the files were
read, so validation and every output can be redone without opening a workbook again. The rows
of the files one run read are kept as one segment per sheet kind (`pipeline.ledger.segment`).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.forms.spec import TEMPLATES, Sheet
from pipeline.ingest import FILE_COLUMNS, Batch
from pipeline.ledger import segment
from pipeline.ledger.archive import Arrival
from pipeline.problems import Location, Problem

SHEETS: tuple[Sheet, ...] = tuple(s for t in TEMPLATES.values() for s in t.sheets)


def store_batch(
    db: sqlite3.Connection, batch: Batch, arrivals: Mapping[str, Arrival], state: Path, now: str
) -> None:
    """Insert every file of ``batch`` (content new to the ledger) with all it was read as."""
    shas = [str(sha) for sha in batch.files["sha256"]]
    rows = []
    for number, (sha, display, template_id) in enumerate(
        zip(shas, batch.files["display"], batch.files["template_id"], strict=True)
    ):
        arrival = arrivals[sha]
        anchors = {s: by_file[number] for s, by_file in batch.anchors.items() if number in by_file}
        rows.append((sha, display, arrival.relative, arrival.size, arrival.mtime, now,
                     arrival.archived.relative_to(state).as_posix(), template_id,
                     json.dumps(anchors, ensure_ascii=False, sort_keys=True)))  # fmt: skip
    db.executemany(
        "INSERT INTO files (sha256, display, path, size, mtime, received, archive, template_id,"
        " anchors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    by_display = dict(zip(batch.files["display"], shas, strict=True))
    store_problems(db, "read", [(by_display[p.location.file], p) for p in batch.problems])
    for spec in SHEETS:
        frame = batch.sheets[spec.name]
        if not frame.empty:
            db.execute(
                "INSERT INTO segments (sheet, files, data) VALUES (?, ?, ?)",
                (spec.name, len(shas), segment.encode(frame, shas, spec.field_names)),
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
        "SELECT display, archive, sha256, size, mtime, template_id, anchors FROM files"
        " WHERE status != 'withdrawn'"
    ).fetchall()
    found.sort(key=lambda row: row[0])  # ingest orders files by display name
    files = pd.DataFrame(
        [(d, str(state / a), s, n, m, t) for d, a, s, n, m, t, _ in found],
        columns=list(FILE_COLUMNS),
    )
    number = {str(sha): n for n, sha in enumerate(files["sha256"])}
    anchors: dict[str, dict[int, dict[str, str]]] = {spec.name: {} for spec in SHEETS}
    for n, row in enumerate(found):
        for sheet, fields in json.loads(row[6]).items():
            anchors.setdefault(sheet, {})[n] = fields
    sheets = {spec.name: _frame(db, spec, number) for spec in SHEETS}
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


def _frame(db: sqlite3.Connection, spec: Sheet, number: dict[str, int]) -> pd.DataFrame:
    """One sheet kind's rows from every segment, each file's rows in sheet order."""
    parts = [
        segment.decode(blob, number)
        for (blob,) in db.execute("SELECT data FROM segments WHERE sheet = ? ORDER BY id", (spec.name,))
    ]
    if not parts:
        parts = [pd.DataFrame({segment.FILE: [], segment.ROW: []}, dtype=np.int64)]
    frame = pd.concat([_conform(part, spec) for part in parts], ignore_index=True)
    order = np.argsort(frame[segment.FILE].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _conform(part: pd.DataFrame, spec: Sheet) -> pd.DataFrame:
    """A segment's frame in the spec's columns; a field the contract gained since is blank."""
    for name in spec.field_names:
        if name not in part:
            part[name] = pd.Series([None] * len(part), index=part.index, dtype=object)
    return part[[segment.FILE, segment.ROW, *spec.field_names]]
