"""Builders shared by the write tests (no tests here): a tiny Assessment and workbook readers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.compute.assessment import (
    CADRE_COLUMNS,
    MISSING_COLUMNS,
    RESULT_COLUMNS,
    UNIT_COLUMNS,
    Assessment,
)
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period
from pipeline.write.workbook import text_width, text_widths

UNIT_A, UNIT_B = "渭滨区团委", "团市委机关/组织部"  # "/" is not allowed in a sheet name
INJECTED = '=HYPERLINK("http://x")'
LECTURES = "lectures"
RULE_SET = load_rules("baoji-2018")

# submission, name, unit, category, assessed, score, rank, unit_rank, proposed, grade, tie, note
CADRES = [
    ("s1", "张明", UNIT_A, "专职", True, 1.0, 1, 1, "优", "优", False, ""),
    ("s3", INJECTED, UNIT_B, "专职", True, 0.95, 2, 1, "良", "良", True, "与 s9 并列，待人工确定"),
    ("s2", "李华", UNIT_A, "专职", True, 0.6, 3, 2, "差", "差", False, ""),
    ("s4", "+1", UNIT_B, "挂职", False, 0.5, None, None, "", "", False, "不参加考核"),
]
UNMET = {("s2", LECTURES), ("s4", LECTURES), ("s4", "grassroots-days")}


def cadres_frame(rules_titles: dict[str, str]) -> pd.DataFrame:
    rows = []
    for sub, name, unit, category, assessed, score, rank, unit_rank, *grades in CADRES:
        proposed, grade, tie, note = grades
        unmet = "、".join(rules_titles[r] for s, r in sorted(UNMET) if s == sub)
        rows.append({
            "submission": sub, "file": f"inbox/{name}.xlsx", "name": name, "unit": unit,
            "category": category, "post": "副书记", "phone": "09171234567",
            "assessed": assessed, "on_roster": True, "score": score, "rank": rank,
            "unit_rank": unit_rank, "proposed": proposed, "grade": grade, "tie_flag": tie,
            "note": note, "unmet": unmet,
            "contact_points": "1. 经二路社区团支部 2. 青春驿站" if sub != "s4" else "+1",
            "four_tasks": "理论宣讲 4 场（3月、5月、9月、11月）",
            "research": "@SUM(A1)" if sub == "s3" else "青年就业调研，10月底前",
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(CADRE_COLUMNS))
    return frame.astype({"rank": "Int64", "unit_rank": "Int64"})


def results_frame(assessment_rules: tuple) -> pd.DataFrame:
    rows = []
    for sub, *_ in CADRES:
        for rule in assessment_rules:
            bounds = rule.required.default
            low, high = bounds.minimum, bounds.maximum
            met = (sub, rule.id) not in UNMET
            actual = low if met else low / 2
            rows.append({
                "submission": sub, "rule_id": rule.id, "title": rule.title,
                "unit_label": rule.unit, "actual": actual,
                "required_min": low, "required_max": float("nan") if high is None else high,
                "met": met, "attainment": 1.0 if met else 0.5,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def units_frame() -> pd.DataFrame:
    rows = [
        (UNIT_A, 3, 2, 2, 0.8, 1, 1, 0, 0, 1, 0, 1),
        (UNIT_B, 2, 2, 1, 0.95, 2, 0, 1, 0, 0, 0, 0),
    ]
    return pd.DataFrame(rows, columns=list(UNIT_COLUMNS)).astype({"rank": "Int64"})


def tiny_assessment(*, graded: bool = True) -> Assessment:
    """Two units, four cadres (one not assessed), year-end 2026 under baoji-2018."""
    rules = RULE_SET.rules_for(Period.YEAR_END)
    cadres = cadres_frame({rule.id: rule.title for rule in rules})
    missing = pd.DataFrame(
        [("赵六", UNIT_A, "专职", "组织委员", "09171234567")], columns=list(MISSING_COLUMNS)
    )
    assessment = Assessment(
        rule_set=RULE_SET,
        period=Period.YEAR_END,
        year=2026,
        as_of=date(2026, 11, 30),
        rules=rules,
        graded=True,
        cadres=cadres,
        results=results_frame(rules),
        units=units_frame(),
        interviews=cadres[cadres["grade"] == "差"],
        missing=missing,
    )
    if graded:
        return assessment
    blank = cadres.assign(proposed="", grade="")
    return replace(assessment, graded=False, cadres=blank, interviews=blank.iloc[0:0])


def sheet_values(ws: Worksheet) -> list[list[object]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def formula_cells(path: Path) -> list[str]:
    """Every cell of every sheet that holds a formula (there should be none)."""
    workbook = load_workbook(path)
    return [
        f"{ws.title}!{cell.coordinate}"
        for ws in workbook.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.data_type != "s")
    ]


def fill_colour(cell: object) -> str | None:
    fill = cell.fill  # type: ignore[attr-defined]
    if fill is None or fill.fill_type != "solid":
        return None
    return str(fill.fgColor.rgb)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=["a", " ", "\n", "\t", "张", "（", "…", "①", "Ａ", "ｱ", "\u3000",
                                  "\U00020000", "\U0001f600", "\ud800", "\0"]), max_size=8))  # fmt: skip
def test_texts_measured_together_are_as_wide_as_each_alone(texts: list[str]) -> None:
    """Column widths and row heights measure a column of texts at once (`text_widths`): as wide
    as each text measured on its own, lines, wide and astral characters, lone surrogates and the
    separator among them."""
    assert text_widths(texts).tolist() == [float(text_width(text)) for text in texts]
