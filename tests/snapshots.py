"""A workspace's outputs and files read back as plain data, so two runs can be compared.

Workbooks are compared by their cell values (their bytes carry the time they were written);
every other output by its bytes.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from openpyxl import load_workbook

Snapshot = dict[str, object]


def workbook_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    finally:
        workbook.close()


def outbox_snapshot(workspace: Path) -> Snapshot:
    """Every file under outbox/, by relative path: cell values of workbooks, bytes of the rest."""
    outbox = workspace / "outbox"
    return {
        path.relative_to(outbox).as_posix(): (
            workbook_values(path) if path.suffix == ".xlsx" else path.read_bytes()
        )
        for path in sorted(outbox.rglob("*"))
        if path.is_file()
    }


def files_under(folder: Path) -> list[str]:
    """The relative path of every file under ``folder``, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def originals_under(archive: Path) -> list[str]:
    """The checksum of every original kept under ``archive`` (in a run's pack or, as earlier
    versions kept them, in a file of its own), sorted: an unfinished pack fails to open."""
    found = []
    for path in sorted(archive.rglob("*")):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as pack:
                found += [hashlib.sha256(pack.read(name)).hexdigest() for name in pack.namelist()]
        elif path.is_file():
            found.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return sorted(found)
