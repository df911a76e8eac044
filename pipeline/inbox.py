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
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pipeline.durability import make_durable
from pipeline.errors import PipelineError
from pipeline.ledger import Arrival, Drop, Ledger
from pipeline.ledger.archive import Archive, FileChanged
from pipeline.ledger.checkpoint import checkpoint
from pipeline.outcomes import FileOutcome, Status
from pipeline.write import write_receipts_at
from pipeline.write.receipts import RECEIPT_SUFFIX

INBOX = "inbox"
PROCESSED, RETURNED = "已处理", "退回"
FOLDERS = (PROCESSED, RETURNED)
ZIP_MAGIC = b"PK\x03\x04"
STILL_WRITTEN = "仍在写入（大小或修改时间仍在变化），留待下次处理"
OPEN_IN_EDITOR = "正在被 Excel、WPS 或 LibreOffice 打开，留待关闭后处理"
HELD = "正被其他程序占用或没有读取权限，留待下次处理"


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
    """Every file in the inbox and its sub-folders, except those already filed away."""
    return sorted(Path(entry.path) for entry in _entries(inbox))


def _entries(inbox: Path) -> list[os.DirEntry[str]]:
    """The entries of every file (or link) in the inbox outside the filed-away folders.

    Listed with `os.scandir`, whose entries know their type without a stat; the filed-away
    folders are never walked: at a province's scale they hold every file of the year, and a
    run that adds one file would spend most of a second listing them. Linked folders are not
    entered, and a folder that cannot be listed is passed over, as `Path.rglob` does.
    """
    found: list[os.DirEntry[str]] = []

    def walk(folder: str, top: bool) -> None:
        with suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not (top and entry.name in FOLDERS):
                        walk(entry.path, False)
                elif entry.is_symlink() or entry.is_file():
                    found.append(entry)

    walk(os.fspath(inbox), True)
    return found


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
    yielded as soon as its original is kept, in path order; the young wait at most ``settle``
    seconds once, at the end, and those that settled are archived too.

    Ready means: not an owner, hidden or linked file, not held by another program, and either a
    complete zip or not modified for ``settle`` seconds. Each file is opened once, looked at
    and kept from that handle, so a run reads the first originals while the rest are looked at
    and kept; the archive's pack is made durable when the iteration ends: nothing may record an
    arrival before that. `intake` is complete then. Content in ``known`` (checksum → location:
    the ledger's) is not kept again.
    """

    def __init__(
        self, inbox: Path, archive: Path, *, settle: float,
        sleep: Callable[[float], None] = time.sleep, known: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.intake, self.settle, self.sleep = Intake(), settle, sleep
        self._archive = Archive(archive, known)
        root = len(os.fspath(inbox)) + 1
        files = [
            (e.path, e.path[root:].replace(os.sep, "/"), e.is_symlink()) for e in _entries(inbox)
        ]
        self._files = sorted(files, key=lambda file: file[1])  # the order arrivals are named in
        self._present = {relative for _, relative, _ in files}  # owner files are looked up here

    @property
    def expected(self) -> int:
        """How many files may arrive (fewer if some are passed over or still being written)."""
        return len(self._files)

    def __iter__(self) -> Iterator[Arrival]:
        young: list[tuple[str, str]] = []
        for path, relative, link in self._files:
            if arrival := self._take(path, relative, link, young):
                yield arrival
        if young:
            with suppress(FileNotFoundError):
                waited = max(self.settle - min(_age(path) for path, _ in young), 0.0)
                self.sleep(min(self.settle, waited))
        for path, relative in young:
            if arrival := self._take(path, relative, False, None):
                yield arrival
        self._archive.close()
        self.intake.arrivals.sort(key=lambda a: a.relative)

    def _take(
        self, path: str, relative: str, link: bool, young: list[tuple[str, str]] | None
    ) -> Arrival | None:
        """Archive one file if it is ready, else note why it is left; a file still young is
        put in ``young`` (when None: it is left as still being written)."""
        taken = self._archived(path, relative, link, young)
        if isinstance(taken, Left):
            self.intake.left.append(taken)
            return None
        if taken is not None:
            self.intake.arrivals.append(taken)
        return taken

    def _archived(
        self, path: str, relative: str, link: bool, young: list[tuple[str, str]] | None
    ) -> Arrival | Left | None:
        if ignored := _ignored(relative, link):
            return Left(relative, ignored)
        if self._owned(relative):
            return Left(relative, OPEN_IN_EDITOR, retry=True)
        try:
            handle = open(path, "rb")  # noqa: SIM115  (closed below: its errors are the file's)
        except FileNotFoundError:  # taken out of the inbox while we looked
            return None
        except PermissionError:
            return Left(relative, HELD, retry=True)
        with handle:
            if _locked(handle):
                return Left(relative, HELD, retry=True)
            if _is_young(handle, self.settle):
                if young is None:
                    return Left(relative, STILL_WRITTEN, retry=True)
                young.append((path, relative))
                return None
            try:
                return self._archive.take(handle, path, relative)
            except FileNotFoundError:  # taken out of the inbox while it was copied
                return None
            except FileChanged:
                return Left(relative, STILL_WRITTEN, retry=True)

    def _owned(self, relative: str) -> bool:
        """An owner file beside it: Excel, WPS or LibreOffice has it open."""
        folder, slash, name = relative.rpartition("/")
        owners = (f"~${name}", f"~${name[2:]}", f".~lock.{name}#")
        return any(f"{folder}{slash}{owner}" in self._present for owner in owners)


def _ignored(relative: str, link: bool) -> str:
    if relative.rpartition("/")[2].startswith(("~$", ".~lock.")):
        return "Excel 或 WPS/LibreOffice 打开文件时生成的锁定文件，已跳过"
    if any(part.startswith(".") for part in relative.split("/")):
        return "隐藏文件或临时文件，已跳过"
    if link:
        return "是快捷方式（符号链接）而不是文件本身，已跳过：请放入文件本身"
    return ""


def _locked(handle: BinaryIO) -> bool:
    """Another program holds a lock on the file (BSD and POSIX locks do not see each other)."""
    try:
        for lock in (fcntl.flock, fcntl.lockf):
            lock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            lock(handle, fcntl.LOCK_UN)
    except (BlockingIOError, PermissionError):
        return True
    except OSError:  # a file system without locks (some shares): nobody can hold it there
        return False
    return False


def _age(path: str) -> float:
    return time.time() - os.stat(path).st_mtime


def _is_young(handle: BinaryIO, settle: float) -> bool:
    """Modified less than ``settle`` seconds ago, and not a zip whose central directory is
    whole (its last bytes are written: copies write in order)."""
    if time.time() - os.fstat(handle.fileno()).st_mtime >= settle:
        return False
    young = handle.read(4) != ZIP_MAGIC
    if not young:
        try:
            zipfile.ZipFile(handle).close()  # a handle passed in is left open
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            young = True
    handle.seek(0)
    return young


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
    root = os.fspath(workspace)  # paths as text: `Path` objects cost more than the moves
    inbox = os.path.join(root, INBOX)
    drops = [
        d for d in ledger.open_drops()
        if taken.get(d.path) == d.sha256 or not os.path.exists(os.path.join(inbox, d.path))
    ]  # fmt: skip
    sources = {
        d.id: os.path.join(inbox, d.path) if taken.get(d.path) == d.sha256 else None for d in drops
    }
    plans = _plan(root, drops, sources, fates)
    ledger.plan_moves({d.id: plans[d.id] for d in drops if d.moved_to != plans[d.id]})
    moved: dict[int, str | None] = {}
    receipts: dict[Path, FileOutcome] = {}
    folders: set[str] = set()  # made (or found) already: one mkdir a folder, not one a file
    for n, drop in enumerate(drops, start=1):
        target = os.path.join(root, plans[drop.id])
        moved[drop.id] = _move(sources[drop.id], target, plans[drop.id], folders)
        outcome = fates.get(drop.sha256)
        if moved[drop.id] and outcome is not None and outcome.status is Status.RETURNED:
            stem = os.path.splitext(target)[0]
            receipts[Path(f"{stem}{RECEIPT_SUFFIX}")] = outcome
        checkpoint(f"moved-{n}")
    if drops:  # every move and receipt durable before the ledger says it is done
        write_receipts_at(receipts)  # a killed run's moves get theirs when they are confirmed
        targets = [os.path.join(root, path) for path in moved.values() if path is not None]
        left = {os.path.dirname(source) for source in sources.values() if source is not None}
        holding = {os.path.dirname(target) for target in targets}
        made = {str(f) for parent in holding for f in Path(parent).relative_to(root).parents}
        make_durable(targets, folders=left | holding | {os.path.join(root, f) for f in made})
    ledger.confirm_moves(moved)
    return moved


def _plan(
    root: str, drops: list[Drop], sources: Mapping[int, str | None],
    fates: Mapping[str, FileOutcome],
) -> dict[int, str]:  # fmt: skip
    """Each drop's destination: the one planned before, unless another file has taken it."""
    plans = {
        d.id: d.moved_to
        for d in drops
        if d.moved_to and not _occupied(sources[d.id], os.path.join(root, d.moved_to))
    }
    taken = set(plans.values())
    folders: dict[str, bool] = {}  # whether a target folder exists (if not, no name in it is)
    for drop in drops:
        if drop.id in plans:
            continue
        outcome = fates.get(drop.sha256)
        returned = outcome is not None and outcome.status is Status.RETURNED
        target = f"{INBOX}/{RETURNED if returned else PROCESSED}/{drop.path}"
        folder = os.path.dirname(target)
        if folder not in folders:
            folders[folder] = os.path.isdir(os.path.join(root, folder))
        target = _free(root, target, taken, on_disk=folders[folder])
        taken.add(target)
        plans[drop.id] = target
    return plans


def _occupied(source: str | None, target: str) -> bool:
    """The target holds another file than the one to move there."""
    return source is not None and os.path.exists(target) and not os.path.samefile(source, target)


def _free(root: str, target: str, taken: set[str], *, on_disk: bool) -> str:
    """``target`` (relative to ``root``), or 张明（2）.xlsx, 张明（3）.xlsx … beside it: never
    an existing name (a link that leads nowhere included). Without ``on_disk`` its folder does
    not exist: only ``taken`` names are (a first run's ten thousand moves asked for nothing)."""
    candidate, n = target, 1
    stem, suffix = os.path.splitext(target)
    while candidate in taken or (on_disk and os.path.lexists(os.path.join(root, candidate))):
        n += 1
        candidate = f"{stem}（{n}）{suffix}"
    return candidate


def _move(source: str | None, target: str, relative: str, folders: set[str]) -> str | None:
    """Move to ``target`` (``relative`` to the workspace) without ever overwriting: link then
    unlink (rename where links are not supported). ``folders`` are the targets' folders made.

    Without a source (moved by a killed run, or taken away), the target tells what happened.
    """
    if source is None:
        return relative if os.path.exists(target) else None
    folder = os.path.dirname(target)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:  # no source: moved by a killed run, or taken away
        return relative if os.path.exists(target) else None
    except FileExistsError:  # a killed run linked it already, or another program put a file there
        if not (os.path.exists(target) and os.path.samefile(source, target)):
            raise FileExistsError(target) from None
    except OSError:  # a file system without hard links (FAT, some shares)
        os.rename(source, target)
    with suppress(FileNotFoundError):
        os.unlink(source)
    return relative
