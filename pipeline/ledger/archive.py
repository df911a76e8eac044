"""The content-addressed archive: every original copied and fsynced before anything else happens."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.durability import fsync_directory

CHUNK = 1024 * 1024
SHA256_DIGITS = 64
PART_SUFFIX = ".part"
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class Arrival:
    """A file taken from the inbox: where it was dropped and its archived copy."""

    relative: str  # inbox-relative POSIX path, e.g. "县2/张明.xlsx"
    sha256: str
    size: int
    mtime: float  # the file's own modification time: "received" for supersession
    archived: Path


class FileChanged(Exception):
    """The file changed while it was being copied: it is still being written."""


def archive_file(source: Path, relative: str, archive: Path, *, sync: bool = True) -> Arrival:
    """Copy ``source`` into ``archive/ab/<sha256><ext>`` durably (`Archive.take`)."""
    with open(source, "rb") as handle:
        return Archive(archive).take(handle, os.fspath(source), relative, sync=sync)


class Archive:
    """The archive as one run sees it: the run lock keeps out every other writer, so each
    folder's names are listed once a run (a listing a file grows with the archive: at a
    province's scale, tens of microseconds a file, a whole year's folder of names each time)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._folder = os.fspath(root)
        self._names: dict[str, dict[str, str]] = {}  # "ab" -> checksum -> the name it is kept as
        self._made = False

    def copy_of(self, sha256: str) -> Path | None:
        """The archived copy of this content, whatever extension it arrived with, if any."""
        name = self._names_in(sha256[:2]).get(sha256)
        return None if name is None else self.root / sha256[:2] / name

    def take(self, handle: BinaryIO, source: str, relative: str, *, sync: bool = True) -> Arrival:
        """Copy the file open as ``handle`` (read from its start; ``source``, its path) into
        ``<sha256[:2]>/<sha256><ext>``; a copy already there is kept.

        The copy is hashed while it is written to a temporary name, fsynced, then renamed, and
        the folder fsynced, so an archived file is always whole. With ``sync=False`` the caller
        makes the copies durable (`pipeline.durability.make_durable`) before anything relies on
        them. Raises FileChanged when the file at ``source`` changed during the copy. Paths are
        joined as text: a run archives thousands of files, and `Path` objects cost more than
        the copying.
        """
        before = os.fstat(handle.fileno())
        if not self._made:  # a stat, not a mkdir: the latter costs a tenth of a millisecond
            if not os.path.isdir(self._folder):
                os.makedirs(self._folder, exist_ok=True)
            self._made = True
        part = os.path.join(self._folder, f".{secrets.token_hex(8)}{PART_SUFFIX}")
        try:
            sha256 = _copy_hashing(handle, part, sync)
            after = os.stat(source)
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise FileChanged(relative)
            target = self.copy_of(sha256)
            if target is None:
                target = self._place(part, sha256, os.path.splitext(source)[1], sync)
            else:  # this content was archived already
                os.unlink(part)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(part)
            raise
        return Arrival(relative, sha256, before.st_size, before.st_mtime, target)

    def _names_in(self, prefix: str) -> dict[str, str]:
        names = self._names.get(prefix)
        if names is None:
            names = self._names[prefix] = {}
            with (
                suppress(FileNotFoundError),
                os.scandir(os.path.join(self._folder, prefix)) as entries,
            ):
                for name in sorted(entry.name for entry in entries):
                    names.setdefault(name[:SHA256_DIGITS], name)
        return names

    def _place(self, part: str, sha256: str, suffix: str, sync: bool) -> Path:
        names = self._names_in(sha256[:2])
        folder = os.path.join(self._folder, sha256[:2])
        created = not names and not os.path.isdir(folder)
        if created:
            os.makedirs(folder, exist_ok=True)
        name = f"{sha256}{suffix.lower() if _SAFE_SUFFIX.match(suffix) else ''}"
        os.replace(part, os.path.join(folder, name))
        names[sha256] = name
        if sync:
            fsync_directory(folder)
            if created:
                fsync_directory(self._folder)
        return self.root / sha256[:2] / name


def discard_parts(archive: Path) -> None:
    """Remove copies a killed run left half-written (only ever under the run lock)."""
    for part in archive.glob(f".*{PART_SUFFIX}"):
        part.unlink(missing_ok=True)


def _copy_hashing(reader: BinaryIO, target: str, sync: bool) -> str:
    digest = hashlib.sha256()
    with open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        if sync:
            os.fsync(writer.fileno())
    return digest.hexdigest()
