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

_MEMBER = re.compile(r"(.+\.zip)#(\d+)\+(\d+)", re.DOTALL)


def member_location(pack: str, offset: int, size: int) -> str:
    """The location of the ``size`` bytes at ``offset`` in the pack at ``pack``."""
    return f"{pack}#{offset}+{size}"


def read_original(location: str) -> tuple[bytes, float]:
    """The bytes at ``location``, and the modification time of the file that holds them."""
    member = _member(location)
    path, offset, size = member if member is not None else (location, 0, -1)
    with open(path, "rb") as handle:
        if offset:
            handle.seek(offset)
        data = handle.read(size)
        mtime = os.fstat(handle.fileno()).st_mtime
    if member is not None and len(data) != size:
        raise OSError(f"{path} is shorter than the original it should hold at {offset}")
    return data, mtime


def _member(location: str) -> tuple[str, int, int] | None:
    """(pack, offset, size) if ``location`` is an original in a pack, not a file named so."""
    match = _MEMBER.fullmatch(location)
    if match is None or os.path.exists(location):
        return None
    return match[1], int(match[2]), int(match[3])
