"""Atomic file output: write beside the target, flush to disk, then rename into place."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

TEMPORARY = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")  # the names atomic_path makes


def discard_temporaries(folder: Path) -> None:
    """Remove what killed runs left half-written under ``folder`` (only ever under the run lock)."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp"):
            if TEMPORARY.match(leftover.name) and leftover.is_file():
                leftover.unlink()


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; on success it replaces ``path``.

    The temporary name starts with "." and ends with ".tmp" so that a crash leaves only an
    obviously disposable file; on any exception it is removed and ``path`` is left untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, path)
        _fsync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return ``path``; an identical file is kept."""
    data = text.encode(encoding)
    with suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return path  # a rerun rewrites thousands of unchanged receipts otherwise
    with atomic_path(path) as temporary, temporary.open("xb") as fh:
        fh.write(data)
    return path


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX only: Windows cannot open a directory)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
