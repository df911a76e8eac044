"""The archive of originals: every file a run takes is kept as it came before anything else
happens to it.

A run keeps what it takes in one zip of its own (a pack), ``archive/<date>-<time>-<token>.zip``,
each original stored uncompressed under its inbox path: any zip tool opens it. One file a run,
not one a submission: creating a file costs more than copying a workbook's bytes on some file
systems (~0.26 ms against 0.04 on the machine bench/README.md was measured on), and a year's
submissions are hundreds of thousands of files. The ledger records where each original is
(`pipeline.originals`). Originals archived by earlier versions of lianxi, one file each under
``archive/ab/<sha256><ext>``, stay where they are and are read there.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import zipfile
from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.durability import fsync_directory
from pipeline.originals import member_location

PACK_SUFFIX = ".zip"
PART_SUFFIX = ".part"  # what earlier versions copied an original to before renaming it
CHUNK = 1024 * 1024
WHOLE = 64 * 1024 * 1024  # bytes: a file up to this size is read whole before it is kept
ZIP_TIMES = ((1980, 1, 1, 0, 0, 0), (2107, 12, 31, 23, 59, 58))  # all a zip's time can say


@dataclass(frozen=True)
class Arrival:
    """A file taken from the inbox: where it was dropped and where its original is kept."""

    relative: str  # inbox-relative POSIX path, e.g. "县2/张明.xlsx"
    sha256: str
    size: int
    mtime: float  # the file's own modification time: "received" for supersession
    archived: str  # the original's location (`pipeline.originals`)


class FileChanged(Exception):
    """The file changed while it was being read: it is still being written."""


class Archive:
    """The originals one run takes, kept in the run's pack, which `close` makes durable.

    Content kept already (``known``: checksum → location, the ledger's) is not kept again, nor
    content taken twice in one run. The pack is made with the first original it keeps.
    """

    def __init__(self, root: Path, known: Mapping[str, str] | None = None) -> None:
        self.root = root
        self._known = dict(known or {})
        self._pack: zipfile.ZipFile | None = None
        self._file: BinaryIO | None = None
        self._path = ""
        self._made_root = False

    def take(self, handle: BinaryIO, source: str, relative: str) -> Arrival:
        """Keep the file open as ``handle`` (read from its start; ``source``, its path) under
        ``relative``, unless its content is kept already.

        Raises FileChanged when the file at ``source`` changed while it was read.
        """
        before = os.fstat(handle.fileno())
        data = handle.read(min(before.st_size, WHOLE) + 1)  # not a buffer of WHOLE a file
        if len(data) > WHOLE:  # no workbook: kept as it is read, never whole in memory
            sha256, location = self._stream(handle, data, relative, before.st_mtime)
            _unchanged(source, before, relative)
        else:
            _unchanged(source, before, relative)
            sha256 = hashlib.sha256(data).hexdigest()
            location = self._known.get(sha256) or self._keep(relative, data, before.st_mtime)
        self._known.setdefault(sha256, location)
        return Arrival(relative, sha256, before.st_size, before.st_mtime, location)

    def close(self) -> None:
        """Write the pack's directory and make the pack durable: no arrival may be recorded
        before (`pipeline.inbox.Taking` closes it when it has taken every file)."""
        if self._pack is None or self._file is None:
            return
        self._pack.close()
        os.fsync(self._file.fileno())
        self._file.close()
        self._pack = None
        fsync_directory(self.root)
        if self._made_root:
            fsync_directory(self.root.parent)

    def _keep(self, relative: str, data: bytes, mtime: float) -> str:
        pack, file = self._open()
        pack.writestr(_member(relative, mtime), data)
        return self._written(file, len(data))

    def _stream(
        self, handle: BinaryIO, start: bytes, relative: str, mtime: float
    ) -> tuple[str, str]:
        pack, file = self._open()
        digest = hashlib.sha256(start)
        with pack.open(_member(relative, mtime), "w", force_zip64=True) as member:
            member.write(start)
            size = len(start)
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                member.write(chunk)
                size += len(chunk)
        return digest.hexdigest(), self._written(file, size)

    def _written(self, file: BinaryIO, size: int) -> str:
        """The location of the ``size`` bytes just written, flushed for the readers."""
        file.flush()  # the run's readers read it while the next ones are kept
        return member_location(self._path, file.tell() - size, size)

    def _open(self) -> tuple[zipfile.ZipFile, BinaryIO]:
        if self._pack is None or self._file is None:
            if not os.path.isdir(self.root):
                self.root.mkdir(parents=True, exist_ok=True)
                self._made_root = True
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{secrets.token_hex(4)}{PACK_SUFFIX}"
            self._path = os.path.join(self.root, name)
            self._file = open(self._path, "xb")  # noqa: SIM115  (closed by close())
            self._pack = zipfile.ZipFile(self._file, "w", zipfile.ZIP_STORED)
        return self._pack, self._file


def _unchanged(source: str, before: os.stat_result, relative: str) -> None:
    after = os.stat(source)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise FileChanged(relative)


def _member(relative: str, mtime: float) -> zipfile.ZipInfo:
    try:
        stamp = min(max(tuple(time.localtime(mtime)[:6]), ZIP_TIMES[0]), ZIP_TIMES[1])
    except (OverflowError, OSError, ValueError):  # a time the platform cannot even convert
        stamp = ZIP_TIMES[0]
    member = zipfile.ZipInfo(relative, date_time=stamp)  # type: ignore[arg-type]
    member.compress_type = zipfile.ZIP_STORED
    return member


def discard_unrecorded(archive: Path, recorded: Collection[str]) -> None:
    """Remove what killed runs left in the archive (only ever under the run lock): packs the
    ledger does not name (``recorded``: pack file names), whose files are all still in the
    inbox, and the half-made copies of earlier versions."""
    with suppress(FileNotFoundError), os.scandir(archive) as entries:
        for entry in entries:
            unrecorded = entry.name.endswith(PACK_SUFFIX) and entry.name not in recorded
            if unrecorded or (entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX)):
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)
