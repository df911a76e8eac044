"""The ledger database (state/lianxi.db): SQLite in WAL mode, versioned by ordered migrations.

Every write happens in one transaction (`Store.transaction`), so a run killed at any moment
leaves the ledger as it was before the write or after it, never in between.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline.errors import PipelineError

DB_FILE = "lianxi.db"
PAGE_SIZE = 65536  # bytes: a run stores hundreds of megabytes of segments, a page a system call

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
            archive TEXT NOT NULL,         -- its original, relative to state/ (pipeline.originals)
            template_id TEXT,
            anchors TEXT NOT NULL DEFAULT '{}',  -- JSON: sheet -> field -> column or cell
            checked TEXT NOT NULL DEFAULT '',    -- what its 'check' problems were found under
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
        """CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            sheet TEXT NOT NULL,           -- a template sheet
            data BLOB NOT NULL             -- rows as read and normalised, by file display name
                                           -- (pipeline/ingest/segment.py)
        )""",
        """CREATE TABLE problems (
            sha256 TEXT NOT NULL REFERENCES files (sha256),
            stage TEXT NOT NULL CHECK (stage IN ('read', 'check', 'outcome')),
            seq INTEGER NOT NULL,
            code TEXT NOT NULL,
            sheet TEXT NOT NULL,
            cell TEXT NOT NULL,
            found TEXT NOT NULL,
            params TEXT NOT NULL,          -- JSON object
            PRIMARY KEY (sha256, stage, seq)
        )""",
    ),
    (
        """CREATE TABLE figures (
            id INTEGER PRIMARY KEY,
            context TEXT NOT NULL,         -- what they were measured under
                                           -- (pipeline.compute.figures_context)
            part TEXT NOT NULL CHECK (part IN ('measures', 'digests', 'breaches')),
            data BLOB NOT NULL             -- a segment naming its files by sha256
        )""",
    ),
)


class Store:
    """An open ledger database; use as a context manager to close it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        self.db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new ledger's; others keep theirs
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a commit survives a power cut
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA wal_autocheckpoint = 0")  # by `checkpoint_later`, and on closing
        self._checkpointing: threading.Thread | None = None
        migrate(self.db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the ledger, once the log is copied into it (by `checkpoint_later` and here)."""
        if self._checkpointing is not None:
            self._checkpointing.join()
        self.db.close()

    def checkpoint_later(self) -> None:
        """Copy what was committed from the write-ahead log into the database file, on another
        connection while the run goes on: a run's rows are hundreds of megabytes, copied by the
        committing call itself otherwise. Committed is durable either way: a ledger reopened
        after a crash reads its log."""
        if self._checkpointing is None or not self._checkpointing.is_alive():
            self._checkpointing = threading.Thread(target=_checkpoint, args=(self.path,))
            self._checkpointing.start()

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


def _checkpoint(path: Path) -> None:
    """As much of the log as can be copied without waiting for anyone (the run goes on writing)."""
    with suppress(sqlite3.Error):  # what is left is copied on closing
        db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()


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
