"""Making what a run wrote durable: fsync a few paths one by one, or sync everything at once.

A rename or a new entry is durable once its folder is flushed, a file's bytes once the file
is. For thousands of paths one `os.sync` is a single wait instead of thousands; for a rerun's
handful it would wait for everything every other program has written too, so those are
flushed one by one.
"""

from __future__ import annotations

import os
from collections.abc import Collection

FEW = 32  # paths: up to this many are flushed one by one
StrPath = str | os.PathLike[str]


def make_durable(files: Collection[StrPath], folders: Collection[StrPath] = ()) -> None:
    """Flush the bytes of ``files`` and the entries of ``folders`` (renames, new entries)."""
    if len(files) + len(folders) > FEW:
        os.sync()
        return
    for path in files:
        fsync_file(path)
    for folder in sorted(folders, key=os.fspath):
        fsync_directory(folder)


def fsync_file(path: StrPath) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(directory: StrPath) -> None:
    """Make a rename or a new entry in ``directory`` durable (POSIX: Windows cannot open one)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
