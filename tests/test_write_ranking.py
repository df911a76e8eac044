"""排名.xlsx: rank order, each rule's figure with its requirement, red unmet cells, the lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from test_write_support import (
    INJECTED,
    RULE_SET,
    UNIT_A,
    UNIT_B,
    fill_colour,
    formula_cells,
    sheet_values,
    tiny_assessment,
)

from pipeline.rules.model import Period
from pipeline.write.method import (
    CAP_DENOMINATOR,
    SCORE_DEFINITION,
    TIE_RULE,
    bounds_text,
    requirement_text,
)
from pipeline.write.ranking import RULE_WIDTH, write_ranking

SHEETS = ["驾驶舱", "干部排名", "单位排名", "约谈名单", "未报送名单", "催交", "进度预警",
          "方法说明"]  # fmt: skip
RULES = RULE_SET.rules_for(Period.YEAR_END)
RED, AMBER = "FFFFC7CE", "FFFFEB9C"


@pytest.fixture
def ranking(tmp_path: Path) -> Path:
    return write_ranking(tiny_assessment(), tmp_path / "排名.xlsx")


def cadre_sheet(path: Path) -> tuple[Worksheet, list[object]]:
    ws = load_workbook(path)["干部排名"]
    return ws, [c.value for c in ws[1]]


def test_sheets_come_in_order(ranking: Path) -> None:
    assert load_workbook(ranking).sheetnames == SHEETS


def test_cadre_headers_carry_each_rule_and_its_requirement(ranking: Path) -> None:
    _, headers = cadre_sheet(ranking)
    assert headers[:4] == ["名次", "姓名", "单位", "得分"]
    rule_headers = [str(h) for h in headers[4 : 4 + len(RULES)]]
    assert [h.split("\n")[0] for h in rule_headers] == [rule.title for rule in RULES]
    assert all(h.split("\n")[1].startswith("（") for h in rule_headers)
    assert "理论宣讲和主题团课\n（≥4次）" in headers
    assert "基层联系点\n（3–4个）" in headers
    assert headers[4 + len(RULES) :] == ["未达标项", "建议等级", "考核等级", "备注"]


def test_rows_follow_rank_with_the_unranked_last(ranking: Path) -> None:
    rows = sheet_values(cadre_sheet(ranking)[0])[1:]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (1, "张明", UNIT_A),
        (2, INJECTED, UNIT_B),
        (3, "李华", UNIT_A),
        (None, "+1", UNIT_B),
    ]
    assert [r[-3:-1] for r in rows] == [["优", "优"], ["良", "良"], ["差", "差"], [None, None]]


def test_rule_cells_hold_the_actual_figure_and_unmet_ones_are_red(ranking: Path) -> None:
    ws, headers = cadre_sheet(ranking)
    col = headers.index("理论宣讲和主题团课\n（≥4次）") + 1
    met, unmet = ws.cell(2, col), ws.cell(4, col)  # 张明 and 李华
    assert (met.value, unmet.value) == (4, 2)
    assert fill_colour(met) is None
    assert fill_colour(unmet) == RED
    assert ws.cell(4, headers.index("未达标项") + 1).value == "理论宣讲和主题团课"


def test_score_is_a_number_with_two_decimals_and_a_tie_is_amber(ranking: Path) -> None:
    ws, headers = cadre_sheet(ranking)
    score = ws.cell(3, 4)
    assert (score.value, score.number_format) == (0.95, "0.00")
    note = ws.cell(3, headers.index("备注") + 1)
    assert note.value == "与 s9 并列，待人工确定"
    assert fill_colour(note) == AMBER
    assert fill_colour(ws.cell(2, headers.index("备注") + 1)) is None


def test_cadre_sheet_is_frozen_filtered_and_landscape(ranking: Path) -> None:
    ws, _ = cadre_sheet(ranking)
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)


def test_rule_columns_have_their_own_width_and_the_others_are_fitted(ranking: Path) -> None:
    """The figures' columns are RULE_WIDTH wide whatever they hold (they are not measured);
    the others are fitted to their text, at most 30 wide."""
    ws, headers = cadre_sheet(ranking)
    widths = {}  # xlsxwriter writes one <col> for adjacent columns of the same width
    for dimension in ws.column_dimensions.values():
        for col in range(dimension.min, dimension.max + 1):
            widths[headers[col - 1]] = dimension.width  # the file's width: characters + padding
    rules = [widths[h] for h in headers[4 : 4 + len(RULES)]]
    assert len(set(rules)) == 1 and rules[0] == pytest.approx(RULE_WIDTH, abs=1)
    assert widths["姓名"] != rules[0] and all(w <= 31 for w in widths.values())


def test_unit_ranking_has_grade_counts_and_caps(ranking: Path) -> None:
    rows = sheet_values(load_workbook(ranking)["单位排名"])
    assert rows[0] == ["名次", "单位", "应报送", "已报送", "参加考核", "平均得分",
                       "优", "良", "中", "差", "优上限", "良上限"]  # fmt: skip
    assert rows[1] == [1, UNIT_A, 3, 2, 2, 0.8, 1, 0, 0, 1, 0, 1]
    assert rows[2][:2] == [2, UNIT_B]


def test_interview_and_missing_lists(ranking: Path) -> None:
    workbook = load_workbook(ranking)
    interviews = sheet_values(workbook["约谈名单"])
    assert interviews == [
        ["姓名", "单位", "得分", "未达标项"],
        ["李华", UNIT_A, 0.6, "理论宣讲和主题团课"],
    ]
    missing = sheet_values(workbook["未报送名单"])
    assert missing[0] == ["单位", "姓名", "干部类别", "职务", "联系电话"]
    assert missing[1] == [UNIT_A, "赵六", "专职", "组织委员", "09171234567"]


def test_empty_interview_list_says_none(tmp_path: Path) -> None:
    path = write_ranking(tiny_assessment(graded=False), tmp_path / "排名.xlsx")
    assert str(sheet_values(load_workbook(path)["约谈名单"])[1][0]).startswith("无")


def test_method_sheet_explains_score_caps_ties_and_every_rule(ranking: Path) -> None:
    cells = [v for row in sheet_values(load_workbook(ranking)["方法说明"]) for v in row if v]
    text = "\n".join(str(v) for v in cells)
    for expected in (RULE_SET.title, RULE_SET.document, "年底考核", "2026", "2026-11-30",
                     SCORE_DEFINITION, CAP_DENOMINATOR, TIE_RULE, "30%", "50%"):  # fmt: skip
        assert expected in text
    for rule in RULES:
        assert rule.title in cells and rule.clause in cells


def test_no_formulas_and_user_text_is_a_string(ranking: Path) -> None:
    assert formula_cells(ranking) == []
    ws, _ = cadre_sheet(ranking)
    assert (ws["B3"].value, ws["B3"].data_type, ws["B3"].hyperlink) == (INJECTED, "s", None)
    assert (ws["B5"].value, ws["B5"].data_type) == ("+1", "s")


def test_writing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = write_ranking(tiny_assessment(), tmp_path / "a.xlsx")
    second = write_ranking(tiny_assessment(), tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [(4, None, "≥4次"), (3, 4, "3–4次"), (None, 10, "≤10次"), (1, 1, "1次"), (2.5, None, "≥2.5次"),
     (None, None, "不作要求"), (float("nan"), float("nan"), "不作要求")],
)  # fmt: skip
def test_bounds_text(low: float | None, high: float | None, text: str) -> None:
    assert bounds_text(low, high, "次") == text


def test_requirement_text_by_category() -> None:
    from dataclasses import replace

    from pipeline.rules.model import Bounds, Requirement

    rule = replace(RULES[0], required=Requirement(Bounds(10), "干部类别", (("专职", Bounds(100)),)))
    assert requirement_text(replace(rule, unit="名")) == "专职≥100名；其他≥10名"
