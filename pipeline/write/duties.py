"""单位职责 and 违规记录: the unit-level duties and the located violations, sheets of 排名.xlsx.

Each sheet is written only when the rule set has such rules (scope: unit / kind: prohibition).
"""

from __future__ import annotations

import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.rules.model import MetricKind
from pipeline.write.method import applied_requirements, header_with_requirement
from pipeline.write.reminders import page_sides
from pipeline.write.workbook import (
    Cell,
    Formats,
    Worksheet,
    fit_columns,
    records,
    setup_print,
    write_table,
)

UNIT_DUTIES_SHEET, VIOLATIONS_SHEET = "单位职责", "违规记录"
VIOLATION_HEADERS = ("姓名", "单位", "违反的规定", "位置（文件:工作表!单元格）", "日期", "活动类型",
                     "数值", "依据条款")  # fmt: skip
VIOLATION_FIELDS = ("name", "unit", "title", "location", "date", "activity", "found", "clause")
RULE_WIDTH = 12


def duty_sheets(assessment: Assessment) -> list[str]:
    """The sheets this assessment needs: 单位职责 if it has unit rules, 违规记录 if prohibitions."""
    prohibitions = any(r.metric.kind is MetricKind.PROHIBITION for r in assessment.rules)
    return [name for name, wanted in ((UNIT_DUTIES_SHEET, bool(assessment.unit_rules)),
                                      (VIOLATIONS_SHEET, prohibitions)) if wanted]  # fmt: skip


def write_duty_sheets(
    sheets: dict[str, Worksheet], formats: Formats, assessment: Assessment
) -> None:
    """Fill the sheets named by `duty_sheets` (already added, by name, to ``sheets``)."""
    for name in duty_sheets(assessment):
        writer = _write_unit_duties if name == UNIT_DUTIES_SHEET else _write_violations
        writer(sheets[name], formats, assessment)


def _write_unit_duties(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    rules, results = assessment.unit_rules, assessment.unit_results
    figures = {(r["unit"], r["rule_id"]): (r["actual"], bool(r["met"])) for r in records(results)}
    applied = applied_requirements(rules, results)
    headers = ["单位", *(header_with_requirement(rule, applied) for rule in rules), "未达标项"]
    rows = []
    for unit in sorted(set(results["unit"])):
        cells = [_figure(figures.get((unit, rule.id)), formats) for rule in rules]
        missed = [rule.title for rule in rules if not figures.get((unit, rule.id), (0, True))[1]]
        rows.append([unit, *cells, "、".join(missed)])
    if not rows:
        rows = [["无", *[None] * (len(headers) - 1)]]
    column_formats = [formats.text, *[formats.figure] * len(rules), formats.wrap]
    end = write_table(ws, 0, headers, rows, formats, column_formats)
    ws.autofilter(0, 0, max(end - 1, 1), len(headers) - 1)
    fit_columns(ws, headers, rows, maximum=30, first_row=1)
    ws.set_row(0, 48)
    ws.set_column(1, len(rules), RULE_WIDTH)
    ws.freeze_panes(1, 1)
    left, right = page_sides(assessment)
    setup_print(ws, True, 1, f"{UNIT_DUTIES_SHEET}（{_stage(assessment)}）", left=left, right=right)


def _write_violations(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    rows: list[list[object]] = [
        [_day(v["date"]) if f == "date" else v[f] for f in VIOLATION_FIELDS]
        for v in records(assessment.violations)
    ]
    if not rows:
        rows = [["无", *[None] * (len(VIOLATION_HEADERS) - 1)]]
    column_formats = [formats.text] * 6 + [formats.figure, formats.wrap]
    end = write_table(ws, 0, VIOLATION_HEADERS, rows, formats, column_formats)
    ws.autofilter(0, 0, max(end - 1, 1), len(VIOLATION_HEADERS) - 1)
    fit_columns(ws, VIOLATION_HEADERS, rows, maximum=44, first_row=1)
    ws.freeze_panes(1, 1)
    left, right = page_sides(assessment)
    setup_print(ws, True, 1, f"{VIOLATIONS_SHEET}（{_stage(assessment)}）", left=left, right=right)


def _figure(found: tuple[object, bool] | None, formats: Formats) -> object:
    if found is None:
        return None
    actual, met = found
    return actual if met else Cell(actual, formats.unmet)


def _day(value: object) -> str:
    return (
        value.strftime("%Y-%m-%d")
        if isinstance(value, pd.Timestamp) and value is not pd.NaT
        else ""
    )


def _stage(assessment: Assessment) -> str:
    return f"{assessment.year}年{assessment.period.value}"
