"""Every version the ledger holds and its fate; withdrawing one by file, name or checksum."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.outcomes import Status
from pipeline.problems import CATALOGUE, Severity

STATUS_TEXT = {status.name.lower(): status.value for status in Status} | {
    "pending": "待处理", "withdrawn": "已撤回",
}  # fmt: skip
_HEX = re.compile(r"^[0-9a-fA-F]{6,64}$")
_COLUMNS = ("sha256, display, cadre_name, cadre_unit, fill_date, received, status, superseded_by,"
            " withdrawn_reason")  # fmt: skip


@dataclass(frozen=True)
class Version:
    """One content the ledger holds: a version of a cadre's ledger, a roster, or a returned file."""

    sha256: str
    display: str
    cadre_name: str
    cadre_unit: str
    fill_date: str
    received: str
    # pending, accepted, accepted_with_warnings, superseded, returned, roster, withdrawn
    status: str
    superseded_by: str
    withdrawn_reason: str
    errors: int = 0
    warnings: int = 0
    places: tuple[str, ...] = ()  # where each drop of it is now, workspace-relative

    @property
    def status_text(self) -> str:
        return STATUS_TEXT[self.status]


def compact(text: str) -> str:
    """A name as the ledger keeps it: width-folded, every space removed (like 姓名 and 单位)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def versions(
    db: sqlite3.Connection, *, cadre: str | None = None, unit: str | None = None
) -> list[Version]:
    """Every version, by unit, cadre, 填报日期 and time received; optionally of one cadre or unit."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM files WHERE (?1 IS NULL OR cadre_name = ?1)"
        " AND (?2 IS NULL OR cadre_unit = ?2) ORDER BY cadre_unit, cadre_name, fill_date, mtime, display",
        (compact(cadre) if cadre else None, compact(unit) if unit else None),
    ).fetchall()  # fmt: skip
    counts, places = _severity_counts(db), _places(db)
    return [
        replace(_version(row), errors=counts[(row[0], Severity.ERROR)],
                warnings=counts[(row[0], Severity.WARNING)], places=tuple(places.get(row[0], ())))
        for row in rows
    ]  # fmt: skip


def resolve(db: sqlite3.Connection, key: str, workspace: Path) -> str:
    """The checksum of the version ``key`` names: a file on disk, a path as listed, or a checksum prefix."""
    on_disk = next((p for p in (Path(key), workspace / key) if p.is_file()), None)
    if on_disk is not None:
        sha = hashlib.sha256(on_disk.read_bytes()).hexdigest()
        if db.execute("SELECT 1 FROM files WHERE sha256 = ?", (sha,)).fetchone():
            return sha
    found = {
        sha for (sha,) in db.execute(
            "SELECT sha256 FROM files WHERE display = ?1 OR 'inbox/' || path = ?1 UNION"
            " SELECT sha256 FROM drops WHERE 'inbox/' || path = ?1 OR moved_to = ?1",
            (key.replace("\\", "/"),),
        )
    }  # fmt: skip
    if not found and _HEX.match(key):
        found = {
            sha
            for (sha,) in db.execute(
                "SELECT sha256 FROM files WHERE sha256 LIKE ?", (key.lower() + "%",)
            )
        }
    if not found:
        raise PipelineError(f"账本中找不到“{key}”：请用 `lianxi history` 查看文件名和校验码")
    if len(found) > 1:
        raise PipelineError(
            f"“{key}”对应 {len(found)} 个不同的文件：请改用 `lianxi history` 列出的校验码"
        )
    return found.pop()


def withdraw(db: sqlite3.Connection, sha256: str, reason: str, now: str) -> Version:
    """Mark a version withdrawn with its reason; outputs change at the next run or rebuild."""
    db.execute(
        "UPDATE files SET status = 'withdrawn', withdrawn_reason = ?, withdrawn_at = ? WHERE sha256 = ?",
        (reason, now, sha256),
    )
    return _version(
        db.execute(f"SELECT {_COLUMNS} FROM files WHERE sha256 = ?", (sha256,)).fetchone()
    )


def _version(row: tuple[str, ...]) -> Version:
    sha256, display, name, unit, fill_date, received, status, newer, reason = row
    return Version(sha256, display, name, unit, fill_date, received, status, newer, reason)


def _severity_counts(db: sqlite3.Connection) -> Counter[tuple[str, Severity]]:
    rows = db.execute("SELECT sha256, code FROM problems WHERE stage = 'outcome'")
    return Counter((sha, CATALOGUE[code].severity) for sha, code in rows if code in CATALOGUE)


def _places(db: sqlite3.Connection) -> dict[str, list[str]]:
    places: dict[str, list[str]] = {}
    for sha, path, moved_to, moved_at in db.execute(
        "SELECT sha256, path, moved_to, moved_at FROM drops ORDER BY id"
    ):
        where = (moved_to or "（已不在收件箱）") if moved_at else f"inbox/{path}"
        places.setdefault(sha, []).append(where)
    return places
