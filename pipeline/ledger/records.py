"""Files and drops: which content is new, every drop of it, each file's fate, every move."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from pipeline.ledger.archive import Arrival
from pipeline.ledger.batch import store_problems
from pipeline.outcomes import FileOutcome

INBOX = "inbox"
QUERY_VALUES = 500  # values bound in one query at most (under SQLite's oldest limit, 999)


@dataclass(frozen=True)
class Drop:
    """One time a file was dropped into the inbox, and where it is being moved."""

    id: int
    sha256: str
    path: str  # inbox-relative
    moved_to: str | None  # workspace-relative destination, once planned


@dataclass(frozen=True)
class Repeat:
    """A drop of content the ledger already holds: recorded, not counted again."""

    path: str  # inbox-relative
    display: str  # the file it repeats

    def __str__(self) -> str:
        return f"{INBOX}/{self.path}：与已收到的 {self.display} 内容完全相同，未重复计入"


def fresh(db: sqlite3.Connection, arrivals: Iterable[Arrival]) -> Iterator[tuple[Arrival, str]]:
    """Arrivals whose content the ledger has not seen (one per content), each with its display,
    as ``arrivals`` come (the displays they are given depend on their order)."""
    known = {sha for (sha,) in db.execute("SELECT sha256 FROM files")}
    taken = {display for (display,) in db.execute("SELECT display FROM files")}
    for arrival in arrivals:
        if arrival.sha256 in known:
            continue
        known.add(arrival.sha256)
        display = unique_display(arrival.relative, taken)
        taken.add(display)
        yield arrival, display


def unique_display(relative: str, taken: set[str]) -> str:
    """inbox/张明.xlsx, or inbox/张明（2）.xlsx when another content was first dropped so."""
    base = PurePosixPath(INBOX, relative)
    candidate, n = str(base), 1
    while candidate in taken:
        n += 1
        candidate = str(base.with_name(f"{base.stem}（{n}）{base.suffix}"))
    return candidate


def record_drops(db: sqlite3.Connection, arrivals: Iterable[Arrival], now: str) -> list[Repeat]:
    """A drop row for each arrival not already waiting to be moved; the repeats among them."""
    arrivals = sorted(arrivals, key=lambda a: a.relative)
    dropped: set[str] = set()  # content with a drop already, this run's included
    waiting: set[tuple[str, str]] = set()  # (content, path) of drops not yet moved
    for sha256, path, moved_at in _drops_of(db, {a.sha256 for a in arrivals}):
        dropped.add(sha256)
        if moved_at is None:
            waiting.add((sha256, path))
    repeats, rows = [], []
    for arrival in arrivals:
        if (arrival.sha256, arrival.relative) in waiting:
            continue  # a run stopped before moving it: the same drop
        if arrival.sha256 in dropped:
            display = db.execute("SELECT display FROM files WHERE sha256 = ?", (arrival.sha256,))
            repeats.append(Repeat(arrival.relative, display.fetchone()[0]))
        dropped.add(arrival.sha256)
        waiting.add((arrival.sha256, arrival.relative))
        rows.append((arrival.sha256, arrival.relative, arrival.size, arrival.mtime, now))
    db.executemany(
        "INSERT INTO drops (sha256, path, size, mtime, received) VALUES (?, ?, ?, ?, ?)", rows
    )
    return repeats


def _drops_of(
    db: sqlite3.Connection, shas: Collection[str]
) -> Iterator[tuple[str, str, str | None]]:
    """(content, path, when moved) of every drop of these contents, a few hundred a query."""
    listed = sorted(shas)
    for start in range(0, len(listed), QUERY_VALUES):
        part = listed[start : start + QUERY_VALUES]
        marks = ", ".join("?" * len(part))
        query = f"SELECT sha256, path, moved_at FROM drops WHERE sha256 IN ({marks})"
        yield from db.execute(query, part)


def record_outcomes(db: sqlite3.Connection, outcomes: Iterable[FileOutcome]) -> None:
    """Each file's fate and problems as of this run (a withdrawn file keeps its status)."""
    outcomes = list(outcomes)
    fates = [(o.status.name.lower(), o.unit, o.name, o.fill_date, o.superseded_by, o.sha256)
             for o in outcomes]  # fmt: skip
    stored = {
        row[-1]: row
        for row in db.execute(
            "SELECT status, cadre_unit, cadre_name, fill_date, superseded_by, sha256 FROM files"
        )
    }  # a rerun changes a few fates of thousands: only those are written
    db.executemany(
        "UPDATE files SET status = ?, cadre_unit = ?, cadre_name = ?, fill_date = ?,"
        " superseded_by = ? WHERE sha256 = ? AND status != 'withdrawn'",
        [fate for fate in fates if stored.get(fate[-1]) != fate],
    )
    db.execute("DELETE FROM problems WHERE stage = 'outcome'")
    store_problems(db, "outcome", [(o.sha256, p) for o in outcomes for p in o.problems])


def open_drops(db: sqlite3.Connection) -> list[Drop]:
    """Drops still to be moved out of the inbox, oldest first."""
    rows = db.execute(
        "SELECT id, sha256, path, moved_to FROM drops WHERE moved_at IS NULL ORDER BY id"
    )
    return [Drop(*row) for row in rows]


def plan_moves(db: sqlite3.Connection, plans: Mapping[int, str]) -> None:
    db.executemany("UPDATE drops SET moved_to = ? WHERE id = ?", [(t, i) for i, t in plans.items()])


def confirm_moves(db: sqlite3.Connection, moved: Mapping[int, str | None], now: str) -> None:
    """Mark drops as moved to their destination (None: the file had left the inbox already)."""
    db.executemany(
        "UPDATE drops SET moved_to = ?, moved_at = ? WHERE id = ?",
        [(target, now, drop_id) for drop_id, target in moved.items()],
    )
