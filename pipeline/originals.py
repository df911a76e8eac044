"""Where a submitted file's bytes are kept: in a file of its own, or in a run's pack.

A run keeps the originals it takes in one zip of its own (`pipeline.ledger.archive`), each
stored as it came. An original kept there is located as ``<pack>#<offset>+<size>``: the pack's
path, where the original's bytes begin in it and how many there are, so it is read with one
seek, however many the pack holds. Any other location is a file's path: an original archived
by an earlier version of lianxi, or a file checked where it lies.
"""

from __future__ import annotations

import os
import re

from pipeline.errors import RESTORE_STATE, PipelineError

_MEMBER = re.compile(r"(.+\.zip)#(\d+)\+(\d+)", re.DOTALL)


def member_location(pack: str, offset: int, size: int) -> str:
    """The location of the ``size`` bytes at ``offset`` in the pack at ``pack``."""
    return f"{pack}#{offset}+{size}"


def read_original(location: str) -> tuple[bytes, float]:
    """The bytes at ``location``, and the modification time of the file that holds them.

    An original a pack should hold and does not (the pack deleted or cut short) raises
    `PipelineError`: the archive was damaged, not the submission.
    """
    member = _member(location)
    if member is None:
        with open(location, "rb") as handle:
            return handle.read(), os.fstat(handle.fileno()).st_mtime
    pack, offset, size = member
    try:
        with open(pack, "rb") as handle:
            handle.seek(offset)
            data = handle.read(size)
            mtime = os.fstat(handle.fileno()).st_mtime
    except FileNotFoundError:
        data, mtime = b"", 0.0
    if len(data) != size:
        raise PipelineError(
            f"归档文件 {pack} 缺失或已损坏（第 {offset} 字节起应存有 {size} 字节的原件）："
            + RESTORE_STATE
        )
    return data, mtime


def _member(location: str) -> tuple[str, int, int] | None:
    """(pack, offset, size) if ``location`` is an original in a pack, not a file named so."""
    match = _MEMBER.fullmatch(location)
    if match is None or os.path.exists(location):
        return None
    return match[1], int(match[2]), int(match[3])
