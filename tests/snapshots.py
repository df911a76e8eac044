"""A workspace's outputs and files read back as plain data, so two runs can be compared.

Workbooks are compared by their cell values (their bytes carry the time they were written);
every other output by its bytes.
"""

from __future__ import annotations

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
