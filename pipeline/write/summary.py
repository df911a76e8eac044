"""汇总表.xlsx: 附件2 of 宝市团发〔2018〕84号, one sheet for all cadres and one per unit."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.write.workbook import (
    Formats,
    Worksheet,
    atomic_workbook,
    fit_measured_rows,
    measured_widths,
    merged_line,
    setup_print,
    sheet_names,
    write_table,
)

TITLE = "团干部密切联系青年任务清单汇总表"
NOTE = (
    "说明：此表每年6月底、11月底由各县(区)团委、团市委机关各部室汇总，作为年中评估和年底考核依据。"
)
ALL_SHEET = "全部"
COLUMNS = (  # header, CADRE_COLUMNS field, width
    ("姓名", "name", 10),
    ("单位", "unit", 16),  # on the 全部 sheet only
    ("联系点", "contact_points", 26),
    ("四项重点任务完成情况（场次及时间）", "four_tasks", 34),
    ("调研方向及完成时限", "research", 24),
    ("考核等级", "grade", 8),
)
TITLE_ROW, FILING_ROW, HEADER_ROW = 0, 1, 2


def write_summary(assessment: Assessment, path: Path, *, filing_unit: str = "") -> Path:
    """Write 汇总表.xlsx to ``path`` atomically and return ``path``.

    The 全部 sheet carries ``filing_unit`` in its 填报单位 line; each unit's sheet its own unit.
    Each unit's sheet shows the rows of the 全部 sheet without the 单位 column: they are made
    and measured once.
    """
    created = datetime.combine(assessment.as_of, time())
    rows = _rows(assessment)
    measured = measured_widths(rows, len(COLUMNS))
    keep = [k for k, (_, field, _) in enumerate(COLUMNS) if field != "unit"]
    units = _units(assessment)
    by_unit: dict[str, list[int]] = {unit: [] for unit in units}
    for position, unit in enumerate(assessment.cadres["unit"].tolist()):
        if isinstance(unit, str):
            by_unit[unit].append(position)
    with atomic_workbook(path, created=created, title=TITLE) as workbook:
        formats = Formats.add_to(workbook)
        sheet = workbook.add_worksheet(ALL_SHEET)
        _write_sheet(sheet, formats, assessment, list(COLUMNS), rows, measured, filing_unit)
        for unit, name in zip(units, sheet_names(units, taken=[ALL_SHEET]), strict=True):
            chosen = by_unit[unit]
            mine = [[rows[position][k] for k in keep] for position in chosen]
            _write_sheet(workbook.add_worksheet(name), formats, assessment,
                         [COLUMNS[k] for k in keep], mine, measured[chosen][:, keep], unit)  # fmt: skip
    return path


def _rows(assessment: Assessment) -> list[list[object]]:
    """Each cadre's values in `COLUMNS` order; the grade blank before grading."""
    cadres = assessment.cadres
    values = [
        [None] * len(cadres) if field not in cadres or (field == "grade" and not assessment.graded)
        else cadres[field].tolist()
        for _, field, _ in COLUMNS
    ]  # fmt: skip
    return [list(row) for row in zip(*values, strict=True)]


def filing_line(unit: str, assessment: Assessment) -> str:
    day = assessment.as_of
    return f"填报单位（盖章）：{unit}    {day.year}年{day.month}月{day.day}日"


def _units(assessment: Assessment) -> list[str]:
    """The units in the unit table's order, then any other unit a cadre names."""
    listed = [*assessment.units["unit"], *assessment.cadres["unit"]]
    return list(dict.fromkeys(str(u) for u in listed if not pd.isna(u)))


def _write_sheet(
    ws: Worksheet,
    formats: Formats,
    assessment: Assessment,
    columns: list[tuple[str, str, int]],
    rows: list[list[object]],
    measured: np.ndarray,
    unit: str,
) -> None:
    """A sheet of ``rows`` under ``columns``, their heights fitted from their ``measured``
    widths (`measured_widths`)."""
    last_col = len(columns) - 1
    ws.set_row(TITLE_ROW, 30)
    merged_line(ws, TITLE_ROW, last_col, TITLE, formats.title)
    merged_line(ws, FILING_ROW, last_col, filing_line(unit, assessment), formats.line)
    end = write_table(ws, HEADER_ROW, [c[0] for c in columns], rows, formats,
                      [formats.wrap] * len(columns))  # fmt: skip
    ws.set_row(end, 36)
    merged_line(ws, end, last_col, NOTE, formats.note)
    for col, (_, _, width) in enumerate(columns):
        ws.set_column(col, col, width)
    fit_measured_rows(ws, HEADER_ROW + 1, measured, [width for _, _, width in columns])
    title = f"{TITLE}（{assessment.year}年{assessment.period.value}）"
    setup_print(ws, False, 1, title, first_header_row=HEADER_ROW)
