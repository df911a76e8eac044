"""The ledger database (state/lianxi.db): SQLite in WAL mode, versioned by ordered migrations.

Every write happens in one transaction (`Store.transaction`), so a run killed at any moment
leaves the ledger as it was before the write or after it, never in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.forms.spec import TEMPLATES, Sheet

DB_FILE = "lianxi.db"

# Append only: a released migration is never edited; PRAGMA user_version counts those applied.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE files (
            sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
            display TEXT NOT NULL UNIQUE,  -- how outputs name it: inbox/<path>, made unique
            path TEXT NOT NULL,            -- inbox-relative path where it was first dropped
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,           -- the file's modification time when first seen
            received TEXT NOT NULL,        -- when lianxi first saw it (ISO 8601)
            archive TEXT NOT NULL,         -- its copy, relative to state/
            template_id TEXT,
            cadre_unit TEXT NOT NULL DEFAULT '',
            cadre_name TEXT NOT NULL DEFAULT '',
            fill_date TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted',
                'accepted_with_warnings', 'superseded', 'returned', 'roster', 'withdrawn')),
            superseded_by TEXT NOT NULL DEFAULT '',
            withdrawn_reason TEXT NOT NULL DEFAULT '',
            withdrawn_at TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE drops (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL REFERENCES files (sha256),
            path TEXT NOT NULL,            -- inbox-relative path where it was dropped
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            received TEXT NOT NULL,
            moved_to TEXT,                 -- workspace-relative destination, planned before the move
            moved_at TEXT                  -- set once the move is done
        )""",
        "CREATE INDEX drops_by_sha256 ON drops (sha256)",
        """CREATE TABLE anchors (
            sha256 TEXT NOT NULL REFERENCES files (sha256),
            sheet TEXT NOT NULL,
            field TEXT NOT NULL,
            anchor TEXT NOT NULL,          -- column letter (tables) or cell (key-value sheets)
            PRIMARY KEY (sha256, sheet, field)
        )""",
        """CREATE TABLE problems (
            sha256 TEXT NOT NULL REFERENCES files (sha256),
            stage TEXT NOT NULL CHECK (stage IN ('read', 'outcome')),
            seq INTEGER NOT NULL,
            code TEXT NOT NULL,
            sheet TEXT NOT NULL,
            cell TEXT NOT NULL,
            found TEXT NOT NULL,
            params TEXT NOT NULL,          -- JSON object
            PRIMARY KEY (sha256, stage, seq)
        )""",
    ),
)


def rows_table(sheet: str) -> str:
    """The quoted name of the table holding the normalised rows of one template sheet."""
    return f'"rows:{sheet}"'


class Store:
    """An open ledger database; use as a context manager to close it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut
        self.db.execute("PRAGMA foreign_keys = ON")
        migrate(self.db)
        with self.transaction():
            for template in TEMPLATES.values():
                for sheet in template.sheets:
                    _sync_rows_table(self.db, sheet)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def migrate(db: sqlite3.Connection) -> int:
    """Apply the migrations not yet applied, each in its own transaction; return the version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise PipelineError(
            f"账本（第 {version} 版）由更新版本的 lianxi 创建，本程序只认识到第 {len(MIGRATIONS)} 版："
            "请升级 lianxi 后再运行"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return len(MIGRATIONS)


def _sync_rows_table(db: sqlite3.Connection, sheet: Sheet) -> None:
    """A table per template sheet whose columns follow the template contract.

    A field added to the spec becomes a new column here; the columns have no declared type,
    so each value keeps its own (REAL, TEXT, INTEGER for dates, NULL).
    """
    table = rows_table(sheet.name)
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        "sha256 TEXT NOT NULL REFERENCES files (sha256), _row INTEGER NOT NULL)"
    )
    db.execute(f'CREATE INDEX IF NOT EXISTS "rows:{sheet.name}:sha256" ON {table} (sha256)')
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for name in sheet.field_names:
        if name not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {_quote(name)}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
