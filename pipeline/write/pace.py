"""进度预警: the 进度预警 sheet of 排名.xlsx and each cadre's pace lines for the receipt."""

from __future__ import annotations

from pipeline.compute.assessment import Assessment
from pipeline.write.reminders import page_sides
from pipeline.write.workbook import (
    Formats,
    Worksheet,
    fit_columns,
    setup_print,
    write_table,
)

SHEET = "进度预警"

HEADERS = ("单位", "姓名", "指标", "目前", "年度要求", "年底预计", "差距", "计量", "提示")
FIELDS = ("unit", "name", "title", "actual", "required", "projected", "shortfall", "unit_label",
          "message")  # fmt: skip


def pace_notes(assessment: Assessment) -> dict[str, list[str]]:
    """Each current file's 进度预警 lines, by display path."""
    notes: dict[str, list[str]] = {}
    pace = assessment.pace  # two of its columns: a dict a row of them all cost 0.1 s a rerun
    for file, message in zip(pace["file"].tolist(), pace["message"].tolist(), strict=True):
        notes.setdefault(str(file), []).append(str(message))
    return notes


def write_pace_sheet(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    """The quotas each cadre is projected to miss at the current pace, filterable, for A4."""
    columns = [assessment.pace[f].tolist() for f in FIELDS]  # Python scalars, as `records`'
    rows: list[list[object]] = [list(row) for row in zip(*columns, strict=True)]
    if not rows:
        rows = [["无：按当前进度，各项累计指标均可在年底前完成", *[None] * (len(FIELDS) - 1)]]
    column_formats = [formats.text, formats.text, formats.wrap, *[formats.figure] * 4,
                      formats.text, formats.wrap]  # fmt: skip
    end = write_table(ws, 0, HEADERS, rows, formats, column_formats)
    ws.autofilter(0, 0, max(end - 1, 1), len(HEADERS) - 1)
    ws.freeze_panes(1, 2)
    fit_columns(ws, HEADERS, rows, maximum=44, first_row=1)
    title = f"{SHEET}（{assessment.year}年{assessment.period.value}，统计截止 {assessment.as_of}）"
    left, right = page_sides(assessment)
    setup_print(ws, True, 1, title, left=left, right=right)
