"""The content-addressed archive: every original copied and fsynced before anything else happens."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pipeline.durability import fsync_directory

CHUNK = 1024 * 1024
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
    """Copy ``source`` into ``archive/ab/<sha256><ext>`` durably; a copy already there is kept.

    The copy is hashed while it is written to a temporary name, fsynced, then renamed, and the
    directory fsynced, so an archived file is always whole. With ``sync=False`` the caller
    makes the copies durable (`pipeline.durability.make_durable`) before anything relies on
    them. Raises FileChanged when the source changed during the copy. Paths are joined as text
    inside: a run archives thousands of files, and `Path` objects cost more than the copying.
    """
    before = os.stat(source)
    folder = os.fspath(archive)
    if not os.path.isdir(folder):  # a stat, not a mkdir: the latter costs a tenth of a millisecond
        os.makedirs(folder, exist_ok=True)
    part = os.path.join(folder, f".{secrets.token_hex(8)}{PART_SUFFIX}")
    try:
        sha256 = _copy_hashing(source, part, sync)
        after = os.stat(source)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise FileChanged(relative)
        target = archived_copy(archive, sha256)
        if target is None:
            target = _place(part, folder, sha256, source.suffix, sync)
        else:  # this content was archived already
            os.unlink(part)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(part)
        raise
    return Arrival(relative, sha256, before.st_size, before.st_mtime, target)


def archived_copy(archive: Path, sha256: str) -> Path | None:
    """The archived copy of this content, whatever extension it arrived with, if there is one."""
    try:  # not a glob: a pattern per checksum is a regular expression compiled per file
        with os.scandir(os.path.join(archive, sha256[:2])) as entries:
            names = sorted(e.name for e in entries if e.name.startswith(sha256))
    except FileNotFoundError:
        return None
    return archive / sha256[:2] / names[0] if names else None


def discard_parts(archive: Path) -> None:
    """Remove copies a killed run left half-written (only ever under the run lock)."""
    for part in archive.glob(f".*{PART_SUFFIX}"):
        part.unlink(missing_ok=True)


def _copy_hashing(source: Path, target: str, sync: bool) -> str:
    digest = hashlib.sha256()
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        if sync:
            os.fsync(writer.fileno())
    return digest.hexdigest()


def _place(part: str, archive: str, sha256: str, suffix: str, sync: bool) -> Path:
    folder = os.path.join(archive, sha256[:2])
    created = not os.path.isdir(folder)
    if created:
        os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, f"{sha256}{suffix.lower() if _SAFE_SUFFIX.match(suffix) else ''}")
    os.replace(part, target)
    if sync:
        fsync_directory(folder)
        if created:
            fsync_directory(archive)
    return Path(target)
