"""驾驶舱: the first sheet of 排名.xlsx, one printed page for leadership.

Key figures, reporting per unit, grades against the caps, a red-amber-green map of quota
attainment per unit, two native charts and the method. Every cell holds a value: a phone or
chat preview shows what Excel shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.compute.assessment import Assessment
from pipeline.compute.overview import AMBER, GREEN, rag, unit_attainment
from pipeline.compute.reminders import RETURNED
from pipeline.write.method import CAP_DENOMINATOR, TIE_RULE
from pipeline.write.reminders import chase_of, countdown, page_sides
from pipeline.write.workbook import (
    Format,
    Formats,
    Worksheet,
    merged_line,
    records,
    setup_print,
    write_table,
    write_value,
)

SHEET = "驾驶舱"
WIDTHS = (24, *[10] * 11)
LAST_COL = len(WIDTHS) - 1
RAG_COLOURS = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE"}
CHART_COLOURS = ("#5B9BD5", "#70AD47", "#ED7D31", "#A5A5A5")
CHART_HEIGHT_ROWS = 16


@dataclass(frozen=True)
class _Styles:
    kpi_label: Format
    kpi_value: Format
    kpi_rate: Format
    section: Format
    rag: dict[str, Format]

    @classmethod
    def add_to(cls, workbook: Any) -> _Styles:
        box = {"border": 1, "align": "center", "valign": "vcenter"}
        add = workbook.add_format
        return cls(
            kpi_label=add({**box, "bg_color": "#DDEBF7", "font_size": 9, "text_wrap": True}),
            kpi_value=add({**box, "bold": True, "font_size": 16, "num_format": "0"}),
            kpi_rate=add({**box, "bold": True, "font_size": 16, "num_format": "0%"}),
            section=add({"bold": True, "font_size": 12, "bottom": 2}),
            rag={
                k: add({**box, "bg_color": c, "num_format": "0%"}) for k, c in RAG_COLOURS.items()
            },
        )


def write_dashboard(workbook: Any, ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    styles = _Styles.add_to(workbook)
    for col, width in enumerate(WIDTHS):
        ws.set_column(col, col, width)
    ws.set_row(0, 30)
    merged_line(
        ws, 0, LAST_COL, f"团干部密切联系青年工作驾驶舱（{_stage(assessment)}）", formats.title
    )
    merged_line(ws, 1, LAST_COL, _filing_line(assessment), formats.line)
    row = _kpis(ws, 3, styles, assessment)
    rates_at = row + 1
    row = _rates(ws, rates_at, formats, styles, assessment)
    grades_at = row + 1
    row = _grades(ws, grades_at, formats, styles, assessment)
    row = _heat_map(ws, row + 1, formats, styles, assessment)
    row = _charts(workbook, ws, row + 1, styles, assessment, rates_at, grades_at)
    _method(ws, row + 1, formats, styles, assessment)
    ws.hide_gridlines(2)
    left, right = page_sides(assessment)
    setup_print(ws, True, 0, f"驾驶舱（{_stage(assessment)}）", left=left, right=right)
    ws.fit_to_pages(1, 1)  # one sheet of paper for leadership


def _kpis(ws: Worksheet, row: int, styles: _Styles, assessment: Assessment) -> int:
    chase = chase_of(assessment)
    total = chase.total
    cadres = assessment.cadres
    grades = cadres.loc[cadres["assessed"], "grade"].value_counts()
    pending = int((chase.pending["status"] == RETURNED).sum())
    tiles: list[tuple[str, object, Format]] = [
        ("应报（人）", total["expected"], styles.kpi_value),
        ("实报（人）", total["reported"], styles.kpi_value),
        ("按时（人）", total["on_time"], styles.kpi_value),
        ("实报率", total["reporting_rate"], styles.kpi_rate),
        ("按时报送率", total["on_time_rate"], styles.kpi_rate),
        ("参加考核（人）", int(cadres["assessed"].sum()), styles.kpi_value),
    ]
    tiles += [(f"“{g}”（人）", int(grades.get(g, 0)) if assessment.graded else None,
               styles.kpi_value) for g in assessment.rule_set.grading.grades]  # fmt: skip
    tiles += [("约谈（人）", len(assessment.interviews), styles.kpi_value),
              ("退回待改（人）", pending, styles.kpi_value)]  # fmt: skip
    ws.set_row(row + 1, 30)
    for col, (label, value, fmt) in enumerate(tiles[: LAST_COL + 1]):
        write_value(ws, row, col, label, styles.kpi_label)
        write_value(ws, row + 1, col, "—" if value is None else value, fmt)
    return row + 2


def _rates(ws: Worksheet, row: int, formats: Formats, styles: _Styles, a: Assessment) -> int:
    chase = chase_of(a)
    _section(
        ws, row, f"一、报送情况（截止 {chase.deadline.isoformat()}，{countdown(chase)}）", styles
    )
    fields = ("unit", "expected", "reported", "on_time", "reporting_rate", "on_time_rate")
    rows = [[r[f] for f in fields] for r in records(chase.rates)]
    rows.append([chase.total[f] for f in fields])
    headers = ("单位", "应报", "实报", "按时", "实报率", "按时报送率")
    column_formats = [formats.text, *[formats.number] * 3, formats.percent, formats.percent]
    return write_table(ws, row + 1, headers, rows, formats, column_formats)


def _grades(
    ws: Worksheet, row: int, formats: Formats, styles: _Styles, assessment: Assessment
) -> int:
    grading = assessment.rule_set.grading
    caps = dict(grading.caps)
    title = "二、考核等次分布与上限" + ("" if assessment.graded else "（本阶段不评定等次）")
    _section(ws, row, title, styles)
    headers = ["单位", "参加考核"]
    for grade in grading.grades:
        headers += [grade] + ([f"{grade}上限"] if grade in caps else [])
    rows = []
    for unit in records(assessment.units):
        cells: list[object] = [unit["unit"], unit["assessed"]]
        for grade in grading.grades:
            cells.append(unit[f"count_{grade}"])
            if grade in caps:
                cells.append(unit[f"cap_{grade}"])
        rows.append(cells)
    return write_table(ws, row + 1, headers, rows, formats, [formats.text, *[formats.number] * 20])


def _heat_map(ws: Worksheet, row: int, formats: Formats, styles: _Styles, a: Assessment) -> int:
    title = f"三、各单位指标达标率（绿 ≥{GREEN:.0%}，黄 ≥{AMBER:.0%}，红 <{AMBER:.0%}）"
    _section(ws, row, title, styles)
    shares = unit_attainment(a)
    rules = list(a.rules)[:LAST_COL]
    ws.set_row(row + 1, 45)
    end = write_table(ws, row + 1, ["单位", *(r.title for r in rules)], [], formats)
    for offset, (unit, values) in enumerate(shares.iterrows()):
        write_value(ws, end + offset, 0, unit, formats.text)
        for col, rule in enumerate(rules, start=1):
            share = float(values.get(rule.id, float("nan")))
            write_value(ws, end + offset, col, share, styles.rag.get(rag(share), formats.text))
    return end + len(shares)


def _charts(workbook: Any, ws: Worksheet, row: int, styles: _Styles, a: Assessment,
            rates_at: int, grades_at: int) -> int:  # fmt: skip
    """Reporting per unit (columns) and grades per unit (stacked bars), side by side."""
    _section(ws, row, "四、图表", styles)
    units = len(chase_of(a).rates)
    reporting = workbook.add_chart({"type": "column"})
    for offset, colour in zip((1, 2, 3), CHART_COLOURS, strict=False):
        reporting.add_series(_series(rates_at + 1, offset, units, colour))
    _style(reporting, "各单位报送情况（人）")
    ws.insert_chart(row + 1, 0, reporting, {"x_offset": 2, "y_offset": 4})
    if a.graded and len(a.units):
        grades = workbook.add_chart({"type": "bar", "subtype": "stacked"})
        columns = _grade_columns(a)
        for col, colour in zip(columns, CHART_COLOURS, strict=False):
            grades.add_series(_series(grades_at + 1, col, len(a.units), colour))
        _style(grades, "各单位考核等次分布（人）")
        # a bar chart lists its categories bottom up: the units top down, as the table does,
        # with the value axis kept below them
        grades.set_y_axis({"reverse": True, "crossing": "max"})
        ws.insert_chart(row + 1, 5, grades, {"x_offset": 30, "y_offset": 4})
    return row + 1 + CHART_HEIGHT_ROWS


def _series(header_row: int, col: int, count: int, colour: str) -> dict[str, object]:
    first, last = header_row + 1, header_row + max(count, 1)
    return {
        "name": [SHEET, header_row, col],
        "categories": [SHEET, first, 0, last, 0],
        "values": [SHEET, first, col, last, col],
        "fill": {"color": colour},
        "data_labels": {"value": True, "font": {"size": 8}},
    }


def _style(chart: Any, title: str) -> None:
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 470, "height": 300})


def _grade_columns(a: Assessment) -> list[int]:
    """Columns of the grade counts in the 等次 table (each capped grade has a cap column)."""
    caps, col, found = dict(a.rule_set.grading.caps), 2, []
    for grade in a.rule_set.grading.grades:
        found.append(col)
        col += 2 if grade in caps else 1
    return found


def _method(ws: Worksheet, row: int, formats: Formats, styles: _Styles, a: Assessment) -> None:
    rules = a.rule_set
    _section(ws, row, "五、方法说明", styles)
    lines = [
        f"规则文件：{rules.title}（{rules.document}），规则编号 {rules.id}，第 {rules.version} 版",
        f"等次上限：{'，'.join(f'{g} ≤ {s:.0%}' for g, s in rules.grading.caps)}；"
        f"上限人数 = {CAP_DENOMINATOR}",
        f"并列规则：{TIE_RULE}",
        f"数据截止：统计截止日 {a.as_of.isoformat()}，此日之后的活动不计入；报送截止日 "
        f"{chase_of(a).deadline.isoformat()}；按时 = 已采用且填报日期不晚于报送截止日",
        "达标率 = 单位内参加考核干部中该项指标达到要求的比例；详见“方法说明”工作表",
    ]
    for offset, line in enumerate(lines, start=1):
        merged_line(ws, row + offset, LAST_COL, line, formats.line)


def _section(ws: Worksheet, row: int, title: str, styles: _Styles) -> None:
    merged_line(ws, row, LAST_COL, title, styles.section)


def _filing_line(a: Assessment) -> str:
    day = a.as_of
    return f"统计截止日：{day.year}年{day.month}月{day.day}日    规则：{a.rule_set.document}"


def _stage(a: Assessment) -> str:
    return f"{a.year}年{a.period.value}"
