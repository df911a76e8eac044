"""排名.xlsx: cadres and units ranked, the interview list, who has not submitted, and how."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.compute.figures import DIGESTS
from pipeline.write.dashboard import SHEET as DASHBOARD_SHEET
from pipeline.write.dashboard import write_dashboard
from pipeline.write.duties import duty_sheets, write_duty_sheets
from pipeline.write.method import (
    RULE_HEADERS,
    applied_requirements,
    header_with_requirement,
    method_lines,
    rule_rows,
)
from pipeline.write.pace import SHEET as PACE_SHEET
from pipeline.write.pace import write_pace_sheet
from pipeline.write.reminders import SHEET as CHASE_SHEET
from pipeline.write.reminders import page_sides, write_chase_sheet
from pipeline.write.workbook import (
    Cell,
    Format,
    Formats,
    Worksheet,
    atomic_workbook,
    fit_columns,
    fit_rows,
    merged_line,
    records,
    setup_print,
    write_table,
)

CADRE_SHEET, UNIT_SHEET, INTERVIEW_SHEET = "干部排名", "单位排名", "约谈名单"
MISSING_SHEET, METHOD_SHEET = "未报送名单", "方法说明"
NONE = "无"
RULE_WIDTH = 11
METHOD_WIDTHS = (30, 18, 18, 8, 16, 70)  # 指标, 要求（全年）, 本阶段要求, 权重, 期限, 依据条款
Row = list[object]


def ranking_view(assessment: Assessment) -> Assessment:
    """The assessment without what 排名 never reads (the cadres' 附件2 texts, a quarter of its
    pickled size): what is sent to the process that writes it."""
    return replace(assessment, cadres=assessment.cadres.drop(columns=list(DIGESTS), errors="ignore"))


def write_ranking(assessment: Assessment, path: Path) -> Path:
    """Write 排名.xlsx to ``path`` atomically and return ``path``."""
    created = datetime.combine(assessment.as_of, time())
    with atomic_workbook(path, created=created, title="团干部密切联系青年考核排名") as workbook:
        formats = Formats.add_to(workbook)
        sheets = {name: workbook.add_worksheet(name) for name in
                  (DASHBOARD_SHEET, CADRE_SHEET, UNIT_SHEET, *duty_sheets(assessment),
                   INTERVIEW_SHEET, MISSING_SHEET,
                   CHASE_SHEET, PACE_SHEET, METHOD_SHEET)}  # fmt: skip
        write_dashboard(workbook, sheets[DASHBOARD_SHEET], formats, assessment)
        _write_cadres(sheets[CADRE_SHEET], formats, assessment)
        _write_units(sheets[UNIT_SHEET], formats, assessment)
        write_duty_sheets(sheets, formats, assessment)
        _write_interviews(sheets[INTERVIEW_SHEET], formats, assessment)
        _write_missing(sheets[MISSING_SHEET], formats, assessment)
        write_chase_sheet(sheets[CHASE_SHEET], formats, assessment)
        write_pace_sheet(sheets[PACE_SHEET], formats, assessment)
        _write_method(sheets[METHOD_SHEET], formats, assessment)
    return path


def _write_cadres(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    rules = assessment.rules
    figures = _rule_cells(assessment.results, [rule.id for rule in rules], formats)
    unmeasured = [None] * len(rules)
    headers = ["名次", "姓名", "单位", "得分"]
    applied = applied_requirements(rules, assessment.results)
    headers += [header_with_requirement(rule, applied) for rule in rules]
    headers += ["未达标项", "建议等级", "考核等级", "备注"]
    rows = []
    for cadre in _by_rank(records(assessment.cadres)):
        flagged = bool(cadre.get("tie_flag"))
        rule_cells = figures.get(cadre.get("submission"), unmeasured)
        rows.append([
            cadre.get("rank"), cadre.get("name"), cadre.get("unit"), cadre.get("score"),
            *rule_cells, cadre.get("unmet"), cadre.get("proposed"),
            _flag(cadre.get("grade"), flagged, formats), _flag(cadre.get("note"), flagged, formats),
        ])  # fmt: skip
    column_formats = [formats.number, formats.text, formats.text, formats.score]
    column_formats += [formats.figure] * len(rules)
    column_formats += [formats.wrap, formats.text, formats.text, formats.wrap]
    rule_widths = {col: RULE_WIDTH for col in range(4, 4 + len(rules))}
    _table(ws, formats, headers, rows, column_formats, CADRE_SHEET, assessment, rule_widths)
    ws.set_row(0, 48)
    ws.freeze_panes(1, 2)


def _write_units(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    grading = assessment.rule_set.grading
    fields = ["rank", "unit", "expected", "submitted", "assessed", "mean_score"]
    fields += [f"count_{grade}" for grade in grading.grades]
    fields += [f"cap_{grade}" for grade, _ in grading.caps]
    headers = ["名次", "单位", "应报送", "已报送", "参加考核", "平均得分"]
    headers += list(grading.grades) + [f"{grade}上限" for grade, _ in grading.caps]
    rows = [[unit.get(f) for f in fields] for unit in _by_rank(records(assessment.units))]
    column_formats = [formats.number, formats.text, *[formats.number] * 3, formats.score]
    column_formats += [formats.number] * (len(fields) - len(column_formats))
    _table(ws, formats, headers, rows, column_formats, UNIT_SHEET, assessment)
    ws.freeze_panes(1, 2)


def _write_interviews(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    headers = ["姓名", "单位", "得分", "未达标项"]
    cadres = _by_rank(records(assessment.interviews))
    rows: list[Row] = [
        [c.get("name"), c.get("unit"), c.get("score"), c.get("unmet")] for c in cadres
    ]
    if not rows:
        rows = [[NONE if assessment.graded else f"{NONE}（本阶段不评定等次）", None, None, None]]
    column_formats = [formats.text, formats.text, formats.score, formats.wrap]
    _table(ws, formats, headers, rows, column_formats, INTERVIEW_SHEET, assessment)
    ws.freeze_panes(1, 0)


def _write_missing(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    headers = ["单位", "姓名", "干部类别", "职务", "联系电话"]
    fields = ["unit", "name", "category", "post", "phone"]
    rows: list[Row] = [[m.get(f) for f in fields] for m in records(assessment.missing)]
    if not rows:
        rows = [[NONE, None, None, None, None]]
    _table(ws, formats, headers, rows, [formats.text] * 5, MISSING_SHEET, assessment)
    ws.freeze_panes(1, 0)


def _write_method(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    """The lines across the whole width, then one row per rule; rows as tall as their text."""
    lines = method_lines(assessment)
    for row, line in enumerate(lines):
        merged_line(ws, row, len(METHOD_WIDTHS) - 1, line, formats.note)
    fit_rows(ws, 0, [[line] for line in lines], [sum(METHOD_WIDTHS)])
    first = len(lines) + 1
    rows = rule_rows(assessment)
    column_formats = [formats.wrap, formats.wrap, formats.wrap, formats.figure, formats.wrap,
                      formats.wrap]  # fmt: skip
    write_table(ws, first, RULE_HEADERS, rows, formats, column_formats)
    for col, width in enumerate(METHOD_WIDTHS):
        ws.set_column(col, col, width)
    fit_rows(ws, first + 1, rows, METHOD_WIDTHS)
    left, right = page_sides(assessment)
    setup_print(ws, True, 1, f"方法说明（{_stage(assessment)}）", first_header_row=first,
                left=left, right=right)  # fmt: skip


def _table(
    ws: Worksheet,
    formats: Formats,
    headers: Sequence[str],
    rows: list[Row],
    column_formats: Sequence[Format],
    name: str,
    assessment: Assessment,
    fixed: Mapping[int, float] | None = None,
) -> None:
    """A header row at the top, filterable, fitted to width (``fixed`` columns: as given) and
    printed landscape."""
    end = write_table(ws, 0, headers, rows, formats, column_formats)
    ws.autofilter(0, 0, max(end - 1, 1), len(headers) - 1)
    fit_columns(ws, headers, rows, maximum=30, first_row=1, fixed=fixed)
    left, right = page_sides(assessment)
    setup_print(ws, True, 1, f"{name}（{_stage(assessment)}）", left=left, right=right)


def _rule_cells(
    results: pd.DataFrame, rule_ids: list[str], formats: Formats
) -> dict[object, list[object]]:
    """Each submission's figures in the order of ``rule_ids``: marked where a requirement is
    not met, None where the rule was not measured. Built as one table, not a lookup a cell."""
    results = results[results["rule_id"].isin(rule_ids)]
    rows, submissions = pd.factorize(results["submission"])  # hashed: sorting texts took 50 ms
    columns = pd.Index(rule_ids).get_indexer(pd.Index(results["rule_id"]))
    actual = np.empty(len(results), dtype=object)
    actual[:] = results["actual"].tolist()
    unmet = ~results["met"].to_numpy(dtype=bool)
    actual[unmet] = [Cell(value, formats.unmet) for value in actual[unmet].tolist()]
    table = np.full((len(submissions), len(rule_ids)), None, dtype=object)
    table[rows, columns] = actual
    return dict(zip(submissions.tolist(), table.tolist(), strict=True))


def _flag(value: object, flagged: bool, formats: Formats) -> object:
    return Cell(value, formats.flagged) if flagged else value


def _by_rank(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Ranked first, by rank; the unranked after them, in the order given (a stable sort)."""
    return sorted(records, key=lambda r: (_missing(r.get("rank")), _rank(r.get("rank"))))


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))  # type: ignore[call-overload]


def _rank(value: object) -> float:
    return 0.0 if _missing(value) else float(value)  # type: ignore[arg-type]


def _stage(assessment: Assessment) -> str:
    return f"{assessment.year}年{assessment.period.value}"
