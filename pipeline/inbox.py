"""The inbox: which files are ready to take, and moving them out once the ledger holds them.

A file still being copied, an Excel or LibreOffice owner file, and a file another program holds
are left where they are with a note. Taken files are archived first; after the ledger has
recorded their fate they move to inbox/已处理/ or inbox/退回/ (with the receipt beside them),
never deleted, never overwriting a file already there.
"""

from __future__ import annotations

import fcntl
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.durability import make_durable
from pipeline.errors import PipelineError
from pipeline.ledger import Arrival, Drop, Ledger
from pipeline.ledger.archive import FileChanged, archive_file
from pipeline.ledger.checkpoint import checkpoint
from pipeline.outcomes import FileOutcome, Status
from pipeline.write import write_receipts_at
from pipeline.write.receipts import RECEIPT_SUFFIX

INBOX = "inbox"
PROCESSED, RETURNED = "已处理", "退回"
FOLDERS = (PROCESSED, RETURNED)
ZIP_MAGIC = b"PK\x03\x04"
STILL_WRITTEN = "仍在写入（大小或修改时间仍在变化），留待下次处理"


@dataclass(frozen=True)
class Left:
    """A file left in the inbox for a later run, and why."""

    relative: str
    reason: str
    retry: bool = False  # it may become ready by itself (still being copied, held open)

    def __str__(self) -> str:
        return f"{self.relative}：{self.reason}"


@dataclass
class Intake:
    """What a run took from the inbox (archived) and what it left there."""

    arrivals: list[Arrival] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)


def inbox_dir(workspace: Path) -> Path:
    inbox = workspace / INBOX
    if not inbox.is_dir():
        raise PipelineError(
            f"找不到收件箱目录 {inbox}：请先运行 `lianxi init` 或创建 inbox/ 文件夹"
        )
    return inbox


def candidates(inbox: Path) -> list[Path]:
    """Every file in the inbox and its sub-folders, except those already filed away.

    The filed-away folders are never walked: at a province's scale they hold every file of
    the year, and a run that adds one file would spend most of a second listing them.
    """
    found: list[Path] = []
    for top in inbox.iterdir():
        if top.name in FOLDERS:
            continue
        found.append(top)
        if top.is_dir() and not top.is_symlink():  # as rglob: linked folders are not entered
            found.extend(top.rglob("*"))
    return sorted(path for path in found if path.is_file() or path.is_symlink())


def take(
    inbox: Path, archive: Path, *, settle: float, sleep: Callable[[float], None] = time.sleep
) -> Intake:
    """Archive every file that is ready; note the others (`Taking`)."""
    taking = Taking(inbox, archive, settle=settle, sleep=sleep)
    for _ in taking:
        pass
    return taking.intake


class Taking:
    """The files of the inbox, taken on iteration: each one ready is archived and its arrival
    yielded as soon as its copy is made, in path order; the young wait at most ``settle``
    seconds once, at the end, and those that settled are archived too.

    Ready means: not an owner, hidden or linked file, not held by another program, and either a
    complete zip or not modified for ``settle`` seconds. Each file is looked at just before it
    is archived, so a run reads the first copies while the rest are looked at and made; they
    are made durable by one sync when the iteration ends: nothing may record an arrival before
    that. `intake` is complete then.
    """

    def __init__(
        self, inbox: Path, archive: Path, *, settle: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:  # fmt: skip
        self.intake, self.archive, self.settle, self.sleep = Intake(), archive, settle, sleep
        found = candidates(inbox)
        self._present = set(found)  # owner files are looked up here: three stats a file cost seconds
        files = [(path, path.relative_to(inbox).as_posix()) for path in found]
        self._files = sorted(files, key=lambda file: file[1])  # the order arrivals are named in

    @property
    def expected(self) -> int:
        """How many files may arrive (fewer if some are passed over or still being written)."""
        return len(self._files)

    def __iter__(self) -> Iterator[Arrival]:
        young: list[tuple[Path, str]] = []
        yield from _archive_all(self._ready(young), self.archive, self.intake)
        if young:
            waited = max(self.settle - min(_age(p) for p, _ in young), 0.0)
            self.sleep(min(self.settle, waited))
        settled = []
        for path, relative in young:
            with suppress(FileNotFoundError):
                if _age(path) < self.settle:
                    self.intake.left.append(Left(relative, STILL_WRITTEN, retry=True))
                else:
                    settled.append((path, relative))
        yield from _archive_all(settled, self.archive, self.intake)
        self.intake.arrivals.sort(key=lambda a: a.relative)

    def _ready(self, young: list[tuple[Path, str]]) -> Iterator[tuple[Path, str]]:
        """The files ready now, in order; the others noted as left, or put in ``young``."""
        for path, relative in self._files:
            if self._is_ready(path, relative, young):
                yield path, relative

    def _is_ready(self, path: Path, relative: str, young: list[tuple[Path, str]]) -> bool:
        try:
            if ignored := _ignored(path, relative):
                self.intake.left.append(Left(relative, ignored))
            elif held := _held(path, self._present):
                self.intake.left.append(Left(relative, held, retry=True))
            elif _age(path) < self.settle and not _complete_zip(path):
                young.append((path, relative))
            else:
                return True
        except FileNotFoundError:  # taken out of the inbox while we looked
            pass
        return False


def _ignored(path: Path, relative: str) -> str:
    if path.name.startswith(("~$", ".~lock.")):
        return "Excel 或 WPS/LibreOffice 打开文件时生成的锁定文件，已跳过"
    if any(part.startswith(".") for part in relative.split("/")):
        return "隐藏文件或临时文件，已跳过"
    if path.is_symlink():
        return "是快捷方式（符号链接）而不是文件本身，已跳过：请放入文件本身"
    return ""


def _held(path: Path, present: set[Path]) -> str:
    """Why ``path`` is in use, or ""; ``present`` are the inbox's files (owner files among them)."""
    owners = (f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#")
    if any(path.parent / owner in present for owner in owners):
        return "正在被 Excel、WPS 或 LibreOffice 打开，留待关闭后处理"
    try:
        with path.open("rb") as handle:
            for lock in (fcntl.flock, fcntl.lockf):  # BSD and POSIX locks do not see each other
                lock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                lock(handle, fcntl.LOCK_UN)
    except (BlockingIOError, PermissionError):
        return "正被其他程序占用或没有读取权限，留待下次处理"
    except FileNotFoundError:
        raise
    except OSError:  # a file system without locks (some shares): nobody can hold it there
        return ""
    return ""


def _age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def _complete_zip(path: Path) -> bool:
    """A zip whose central directory is whole: its last bytes are written (copies write in order)."""
    with path.open("rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            return False
    try:
        zipfile.ZipFile(path).close()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return True


def _archive_all(
    files: Iterable[tuple[Path, str]], archive: Path, intake: Intake
) -> Iterator[Arrival]:
    """Archive (path, relative) files one after another, in order, yielding each arrival; then
    make the copies durable: their bytes, names and new folders (`archive_file` with sync=False).

    One copy at a time: the copies are not synced one by one, so none waits on the disk, and
    threads copying at once contend for the interpreter (measured at 10,000 files: four threads
    took three times the CPU of one, taken from the readers).
    """
    copies: list[Path] = []
    for path, relative in files:
        arrival = _archive(path, relative, archive)
        if isinstance(arrival, Arrival):
            intake.arrivals.append(arrival)
            copies.append(arrival.archived)
            yield arrival
        elif arrival == STILL_WRITTEN:
            intake.left.append(Left(relative, STILL_WRITTEN, retry=True))
    if copies:
        make_durable(copies, folders={archive, *(copy.parent for copy in copies)})


def _archive(path: Path, relative: str, archive: Path) -> Arrival | str:
    """The file's arrival, STILL_WRITTEN if it changed while copied, "" if it left the inbox."""
    try:
        return archive_file(path, relative, archive, sync=False)
    except FileChanged:
        return STILL_WRITTEN
    except FileNotFoundError:  # taken out of the inbox while we looked
        return ""


def file_away(
    ledger: Ledger, fates: Mapping[str, FileOutcome], arrivals: list[Arrival]
) -> dict[int, str | None]:
    """Move every drop the ledger holds out of the inbox; return each drop's destination.

    Destinations are planned and committed first, so a run killed halfway finishes the same
    moves to the same names when it is started again. Only a file this run took with the
    drop's own content is moved; a drop whose file is still there but was not taken (held
    open, or changed since) waits for a later run.
    """
    workspace, taken = ledger.workspace, {a.relative: a.sha256 for a in arrivals}
    inbox = workspace / INBOX
    drops = [
        d for d in ledger.open_drops()
        if taken.get(d.path) == d.sha256 or not os.path.exists(inbox / d.path)
    ]  # fmt: skip
    sources = {d.id: inbox / d.path if taken.get(d.path) == d.sha256 else None for d in drops}
    plans = _plan(workspace, drops, sources, fates)
    ledger.plan_moves({d.id: plans[d.id] for d in drops if d.moved_to != plans[d.id]})
    moved: dict[int, str | None] = {}
    receipts: dict[Path, FileOutcome] = {}
    folders: set[Path] = set()  # made (or found) already: one mkdir a folder, not one a file
    for n, drop in enumerate(drops, start=1):
        target = workspace / plans[drop.id]
        moved[drop.id] = _move(sources[drop.id], target, plans[drop.id], folders)
        outcome = fates.get(drop.sha256)
        if moved[drop.id] and outcome is not None and outcome.status is Status.RETURNED:
            receipts[target.with_name(f"{target.stem}{RECEIPT_SUFFIX}")] = outcome
        checkpoint(f"moved-{n}")
    if drops:  # every move and receipt durable before the ledger says it is done
        write_receipts_at(receipts)  # a killed run's moves get theirs when they are confirmed
        targets = [workspace / path for path in moved.values() if path is not None]
        left = {source.parent for source in sources.values() if source is not None}
        holding = {target.parent for target in targets}
        made = {folder for parent in holding for folder in parent.relative_to(workspace).parents}
        make_durable(targets, folders=left | holding | {workspace / folder for folder in made})
    ledger.confirm_moves(moved)
    return moved


def _plan(
    workspace: Path, drops: list[Drop], sources: Mapping[int, Path | None],
    fates: Mapping[str, FileOutcome],
) -> dict[int, str]:  # fmt: skip
    """Each drop's destination: the one planned before, unless another file has taken it."""
    plans = {
        d.id: d.moved_to
        for d in drops
        if d.moved_to and not _occupied(sources[d.id], workspace / d.moved_to)
    }
    taken = set(plans.values())
    for drop in drops:
        if drop.id in plans:
            continue
        outcome = fates.get(drop.sha256)
        returned = outcome is not None and outcome.status is Status.RETURNED
        target = _free(workspace, f"{INBOX}/{RETURNED if returned else PROCESSED}/{drop.path}", taken)
        taken.add(target)
        plans[drop.id] = target
    return plans


def _occupied(source: Path | None, target: Path) -> bool:
    """The target holds another file than the one to move there."""
    return source is not None and target.exists() and not os.path.samefile(source, target)


def _free(workspace: Path, target: str, taken: set[str]) -> str:
    """``target`` (relative to ``workspace``), or 张明（2）.xlsx, 张明（3）.xlsx … beside it:
    never an existing name (a link that leads nowhere included). Paths as text: ten thousand
    `Path` objects hashed and joined cost a third of a second."""
    candidate, n = target, 1
    stem, suffix = os.path.splitext(target)
    while candidate in taken or os.path.lexists(os.path.join(workspace, candidate)):
        n += 1
        candidate = f"{stem}（{n}）{suffix}"
    return candidate


def _move(source: Path | None, target: Path, relative: str, folders: set[Path]) -> str | None:
    """Move to ``target`` (``relative`` to the workspace) without ever overwriting: link then
    unlink (rename where links are not supported). ``folders`` are the targets' folders made.

    Without a source (moved by a killed run, or taken away), the target tells what happened.
    """
    if source is None or not os.path.exists(source):
        return relative if os.path.exists(target) else None
    if target.parent not in folders:
        target.parent.mkdir(parents=True, exist_ok=True)
        folders.add(target.parent)
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError:  # a killed run linked it already, or another program put a file there
        if not (os.path.exists(target) and os.path.samefile(source, target)):
            raise FileExistsError(target) from None
    except OSError:  # a file system without hard links (FAT, some shares)
        os.rename(source, target)
    source.unlink(missing_ok=True)
    return relative
