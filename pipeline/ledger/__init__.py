"""The ledger: every file ever seen, each version's fate and rows, and the archive of originals.

Everything lives under the workspace's state/: the SQLite database (lianxi.db), the archive of
originals (archive/: a zip a run, `pipeline.ledger.archive`) and the run lock (lianxi.lock).
"""

from __future__ import annotations

import os
import posixpath
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path

from pipeline.compute.figures import Figures, Measured
from pipeline.errors import RESTORE_STATE, PipelineError
from pipeline.ingest import Batch, Received
from pipeline.ledger import batch as batches
from pipeline.ledger import figures, history, records
from pipeline.ledger.archive import Arrival
from pipeline.ledger.checkpoint import checkpoint
from pipeline.ledger.history import Version
from pipeline.ledger.lock import run_lock
from pipeline.ledger.records import Drop, Repeat
from pipeline.ledger.store import DB_FILE, Store
from pipeline.outcomes import FileOutcome
from pipeline.problems import Problem

__all__ = [
    "Arrival", "Drop", "Ledger", "Recording", "Repeat", "Version", "require_ledger",
    "workspace_lock",
]  # fmt: skip

STATE_DIR, ARCHIVE_DIR = "state", "archive"


def workspace_lock(workspace: Path, *, wait: bool = False) -> AbstractContextManager[None]:
    """The lock every command that changes the ledger, the inbox or the outbox holds."""
    return run_lock(workspace / STATE_DIR, wait=wait)


def require_ledger(workspace: Path) -> None:
    """Refuse a command that needs the ledger in a workspace that has none yet."""
    path = workspace / STATE_DIR / DB_FILE
    if not path.is_file():
        raise PipelineError(f"找不到账本 {path}：请先在此工作目录运行 `lianxi run`")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Recording:
    """A run's new files going into the ledger (`Ledger.recording`)."""

    def __init__(self, db: sqlite3.Connection, state: Path, context: str) -> None:
        self._db, self._state, self._context = db, state, context

    def store(self, segments: Sequence[tuple[str, bytes]]) -> None:
        """Keep a task's encoded rows (`pipeline.ingest.receive` hands them over)."""
        batches.store_segments(self._db, segments)

    def finish(self, arrivals: Iterable[Arrival], received: Received) -> list[Repeat]:
        """The new files as read (``received``, whose segments are stored with them), the
        validation problems the readers found and the figures they measured, and every drop
        of ``arrivals``; the repeats among them."""
        arrivals = list(arrivals)
        by_sha = {a.sha256: a for a in sorted(arrivals, key=lambda a: a.relative, reverse=True)}
        db = self._db
        batches.store_received(db, received, by_sha, self._state, _now())
        if received.checked and self._context:  # no context: nothing checked to keep
            sha = {read.display: read.sha256 for read in received.reads}
            batches.store_checked(db, self._context, sha, received.checked)
        measured = [m for m in received.measured if isinstance(m, Measured)]
        if measured:  # all measured under the run's one context
            parts = [(m.figures, m.shas) for m in measured]
            figures.store_figures(db, measured[0].context, parts)
        checkpoint("recording")  # killed here, the whole transaction is rolled back
        return records.record_drops(db, arrivals, _now())


class Ledger:
    """The open ledger of one workspace; use as a context manager."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.state = workspace / STATE_DIR
        self.archive = self.state / ARCHIVE_DIR
        self.store = Store(self.state / DB_FILE)
        self._ahead = batches.Ahead()
        self._decoding: threading.Thread | None = None

    def decode_ahead(self, sheets: Collection[str], figures_context: str) -> None:
        """Begin decoding, on a thread, the rows of ``sheets`` and the figures kept under
        ``figures_context`` of the files the ledger holds now: what every run needs of them,
        decoded while it waits for its readers (a rerun's tenth of a second or two)."""

        def decode() -> None:
            self._ahead = batches.decode_ahead(self.store.path, sheets, figures_context)

        self._decoding = threading.Thread(target=decode, daemon=True)
        self._decoding.start()

    def _decoded(self) -> batches.Ahead:
        if self._decoding is not None:
            self._decoding.join()
        return self._ahead

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self._decoded()  # its connection is closed before the ledger's
        self.store.close()

    def originals(self) -> dict[str, str]:
        """Where the original of each content the ledger holds is kept, by checksum."""
        state = str(self.state)  # joined as text: a Path a file costs more than the rest
        rows = self.store.db.execute("SELECT sha256, archive FROM files")
        return {sha256: os.path.join(state, archive) for sha256, archive in rows}

    def packs(self) -> set[str]:
        """The file names of the archive's packs that hold an original the ledger records."""
        rows = self.store.db.execute(
            "SELECT DISTINCT substr(archive, 1, instr(archive, '#') - 1) FROM files"
            " WHERE instr(archive, '#') > 0"
        )
        return {posixpath.basename(pack) for (pack,) in rows}

    def fresh(self, arrivals: Iterable[Arrival]) -> Iterator[tuple[Arrival, str]]:
        """Arrivals with content the ledger has not seen, one per content, with display names,
        as ``arrivals`` come (in path order for the names to be those of every run)."""
        return records.fresh(self.store.db, arrivals)

    @contextmanager
    def recording(self, context: str = "") -> Iterator[Recording]:
        """One transaction for what a run reads: each task's rows stored as it arrives
        (`Recording.store`, while the next are read), the rest by `Recording.finish`; nothing
        of it is kept if the run stops before."""
        with self.store.transaction() as db:
            yield Recording(db, self.state, context)
        self.store.checkpoint_later()

    def record(
        self, arrivals: Iterable[Arrival], received: Received, context: str = ""
    ) -> list[Repeat]:
        """In one transaction: the new files as read (``received``), the validation problems
        the readers found under ``context`` and the figures they measured, and every drop of
        ``arrivals``."""
        with self.recording(context) as recording:
            return recording.finish(arrivals, received)

    def size(self) -> int:
        """How many files the ledger holds (withdrawn ones included)."""
        return int(self.store.db.execute("SELECT count(*) FROM files").fetchone()[0])

    def batch(self) -> Batch:
        """Every file not withdrawn, rebuilt as `ingest` read it."""
        try:
            return batches.load_batch(
                self.store.db, self.state, explain=self._damaged, decoded=self._decoded().segments
            )
        except ValueError as exc:
            raise self._damaged(exc) from None

    def _damaged(self, exc: ValueError) -> PipelineError:
        """A stored segment that does not decode: the ledger file was damaged."""
        return PipelineError(
            f"账本 {self.store.path} 中保存的表格数据已损坏（{exc}）：{RESTORE_STATE}"
        )

    def checked(self, context: str, batch: Batch) -> dict[str, list[Problem]]:
        """The validation problems of the files of ``batch`` already checked under ``context``."""
        return batches.load_checked(self.store.db, context, batch)

    def record_checked(
        self, context: str, batch: Batch, problems: Mapping[str, list[Problem]]
    ) -> None:
        with self.store.transaction() as db:
            sha = dict(zip(batch.files["display"], batch.files["sha256"], strict=True))
            batches.store_checked(db, context, sha, problems)

    def figures(self, context: str, batch: Batch, numbers: Iterable[int]) -> Figures:
        """The figures kept under ``context`` of the batch's files numbered ``numbers``."""
        number = {sha: n for n, sha in batch.checksums(list(numbers)).items()}
        return figures.load_figures(self.store.db, context, number, self._decoded().figures)

    def record_figures(self, context: str, batch: Batch, measured: Figures) -> None:
        """Keep ``measured`` (the batch's files) under ``context``, in place of any other's."""
        shas = batch.checksums(measured.files)
        with self.store.transaction() as db:
            figures.store_figures(db, context, [(measured, shas)])

    def record_outcomes(self, outcomes: Iterable[FileOutcome]) -> None:
        with self.store.transaction() as db:
            records.record_outcomes(db, outcomes)

    def open_drops(self) -> list[Drop]:
        return records.open_drops(self.store.db)

    def plan_moves(self, plans: Mapping[int, str]) -> None:
        with self.store.transaction() as db:
            records.plan_moves(db, plans)

    def confirm_moves(self, moved: Mapping[int, str | None]) -> None:
        with self.store.transaction() as db:
            records.confirm_moves(db, moved, _now())

    def versions(self, *, cadre: str | None = None, unit: str | None = None) -> list[Version]:
        return history.versions(self.store.db, cadre=cadre, unit=unit)

    def withdraw(self, key: str, reason: str) -> Version:
        """Withdraw the version ``key`` names (a file, a listed path or a checksum prefix)."""
        with self.store.transaction() as db:
            return history.withdraw(db, history.resolve(db, key, self.workspace), reason, _now())
