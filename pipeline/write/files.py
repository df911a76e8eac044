"""Atomic file output: write beside the target, flush to disk, then rename into place."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline.durability import fsync_directory, fsync_file, make_durable

TEMPORARY = re.compile(r"^\..+\.\d+\.[0-9a-f]{8}\.tmp$")  # the names atomic_path makes


def discard_temporaries(folder: Path) -> None:
    """Remove what killed runs left half-written under ``folder`` (only ever under the run lock)."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp"):
            if TEMPORARY.match(leftover.name) and leftover.is_file():
                leftover.unlink()


@contextmanager
def atomic_path(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; on success it replaces ``path``.

    The temporary name starts with "." and ends with ".tmp" so that a crash leaves only an
    obviously disposable file; on any exception it is removed and ``path`` is left untouched.
    Not ``durable``: the caller makes ``path`` and its folder durable later (`make_durable`),
    one sync for many files instead of two each.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    try:
        yield temporary
        if durable:
            fsync_file(temporary)
        os.replace(temporary, path)
        if durable:
            fsync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return ``path``; an identical file is kept."""
    return write_texts_atomic({path: text}, encoding=encoding)[0]


def write_texts_atomic(texts: Mapping[Path, str], *, encoding: str = "utf-8") -> list[Path]:
    """Write each text to its path atomically and durably; return the paths, in order.

    Identical files are kept (a rerun would rewrite thousands of unchanged receipts). All the
    new contents are written beside their targets and flushed (one sync for many) before any
    is renamed into place: two fsyncs a file made 1,800 receipts take seconds.
    """
    changed = {path: data for path, text in texts.items()
               if not _holds(path, data := text.encode(encoding))}  # fmt: skip
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in changed.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporaries[path] = _temporary(path)
            with temporaries[path].open("xb") as fh:
                fh.write(data)
        make_durable(list(temporaries.values()))
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
        for folder in sorted({path.parent for path in changed}):
            fsync_directory(folder)
    finally:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
    return list(texts)


def _holds(path: Path, data: bytes) -> bool:
    with suppress(OSError):
        return path.stat().st_size == len(data) and path.read_bytes() == data
    return False


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
