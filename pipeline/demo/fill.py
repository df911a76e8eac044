"""Fill the committed blank templates with openpyxl, the way a cadre or clerk types into them."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.forms.spec import LEDGER, ROSTER, Template
from pipeline.resources import templates_dir

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass
class LedgerContent:
    """What one cadre typed into the ledger: 基本信息 values and the rows of each table sheet."""

    info: dict[str, object] = field(default_factory=dict)
    tasks: list[dict[str, object]] = field(default_factory=list)
    points: list[dict[str, object]] = field(default_factory=list)
    activities: list[dict[str, object]] = field(default_factory=list)
    youth: list[dict[str, object]] = field(default_factory=list)


def fill_ledger(content: LedgerContent, path: Path, *, start_row: int = 2) -> Path:
    """Write ``content`` into a copy of the ledger template at ``path`` (which must not exist)."""
    workbook = _open_template(LEDGER)
    basic, tasks, points, activities, youth = (s.name for s in LEDGER.sheets)
    _fill_key_value(workbook[basic], content.info)
    _fill_table(workbook[tasks], content.tasks, start_row)
    _fill_table(workbook[points], content.points, start_row)
    _fill_table(workbook[activities], content.activities, start_row)
    _fill_table(workbook[youth], content.youth, start_row)
    return _save_new(workbook, path)


def fill_roster(rows: Sequence[Mapping[str, object]], path: Path) -> Path:
    """Write the cadre roster ``rows`` into a copy of the roster template at ``path``."""
    workbook = _open_template(ROSTER)
    _fill_table(workbook[ROSTER.sheets[0].name], rows, 2)
    return _save_new(workbook, path)


def write_value(cell: Cell, value: object) -> None:
    """Set a cell as typed: dates as date cells, text always as text (never a formula)."""
    if value is None:
        return
    cell.value = value
    if isinstance(value, datetime):
        is_midnight = value == datetime.combine(value.date(), datetime.min.time())
        cell.number_format = DATE_FORMAT if is_midnight else DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a live formula


def _open_template(template: Template) -> Workbook:
    source = templates_dir() / template.file_name
    if not source.is_file():
        raise FileNotFoundError(f"blank template not found: {source}")
    with warnings.catch_warnings():
        # openpyxl warns about validation extensions it cannot keep; a cadre's Excel would not
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return load_workbook(source)


def _fill_key_value(sheet: Worksheet, values: Mapping[str, object]) -> None:
    rows = {cell.value: cell.row for cell in sheet["A"] if isinstance(cell.value, str)}
    for label, value in values.items():
        if label not in rows:
            raise KeyError(f"{sheet.title}: no label {label!r} in column A")
        write_value(sheet.cell(row=rows[label], column=2), value)


def _fill_table(sheet: Worksheet, rows: Sequence[Mapping[str, object]], start_row: int) -> None:
    columns = {cell.value: cell.column for cell in sheet[1] if isinstance(cell.value, str)}
    for offset, row in enumerate(rows):
        for header, value in row.items():
            if header not in columns:
                raise KeyError(f"{sheet.title}: no header {header!r} in row 1")
            write_value(sheet.cell(row=start_row + offset, column=columns[header]), value)


def _save_new(workbook: Workbook, path: Path) -> Path:
    """Save to ``path``, refusing to overwrite: exclusive creation, removed again on failure."""
    path = Path(path)
    with path.open("xb") as handle:  # raises FileExistsError if the target exists
        try:
            workbook.save(handle)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    return path
