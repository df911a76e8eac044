"""驾驶舱: the first sheet of 排名.xlsx — values only, native charts, a red-amber-green map."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_write_support import UNIT_A, UNIT_B, fill_colour, formula_cells, tiny_assessment

from pipeline.compute.assessment import Assessment
from pipeline.compute.overview import rag, unit_attainment
from pipeline.compute.reminders import chase
from pipeline.outcomes import FileOutcome, Status
from pipeline.write.ranking import write_ranking

RAG = {"green": "FFC6EFCE", "amber": "FFFFEB9C", "red": "FFFFC7CE"}


def with_chase(assessment: Assessment) -> Assessment:
    """Three of four roster cadres reported, one of them after the 11-30 deadline."""
    roster = pd.DataFrame({
        "name": ["张明", "李华", "赵六", "王五"], "unit": [UNIT_A, UNIT_A, UNIT_A, UNIT_B],
        "phone": ["", "", "09171234567", ""], "assessed": [True] * 4,
    })  # fmt: skip
    outcomes = [
        FileOutcome("inbox/张明.xlsx", "a" * 64, Status.ACCEPTED, "张明", UNIT_A, "2026-11-20"),
        FileOutcome("inbox/李华.xlsx", "b" * 64, Status.ACCEPTED, "李华", UNIT_A, "2026-12-02"),
        FileOutcome("inbox/王五.xlsx", "c" * 64, Status.ACCEPTED, "王五", UNIT_B, "2026-11-29"),
    ]
    lists = chase(outcomes, roster, assessment.cadres, date(2026, 11, 30), assessment.as_of)
    return replace(assessment, chase=lists)


@pytest.fixture(scope="module")
def ranking(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "排名.xlsx"
    return write_ranking(with_chase(tiny_assessment()), path)


def cells(path: Path) -> dict[str, object]:
    ws = load_workbook(path)["驾驶舱"]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_dashboard_is_the_first_sheet_and_holds_no_formula(ranking: Path) -> None:
    assert load_workbook(ranking).sheetnames[0] == "驾驶舱"
    assert formula_cells(ranking) == []


def test_native_charts_are_inside_the_file(ranking: Path) -> None:
    with zipfile.ZipFile(ranking) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        kinds = {archive.read(n).decode().count(tag) for n in charts for tag in ("<c:barChart>",)}
    assert len(charts) == 2 and kinds == {1}  # Excel calls columns and bars both barChart


def test_the_grade_bars_list_the_units_top_down_as_the_table_does(ranking: Path) -> None:
    """A bar chart draws its first category at the bottom: the grade chart's category axis runs
    max to min, and its value axis crosses it at the maximum, so it stays below the bars."""
    with zipfile.ZipFile(ranking) as archive:
        charts = [archive.read(n).decode() for n in sorted(archive.namelist())
                  if n.startswith("xl/charts/chart") and 'barDir val="bar"' in archive.read(n).decode()]  # fmt: skip
    assert len(charts) == 1
    category = re.search(r"<c:catAx>(.*?)</c:catAx>", charts[0], re.S)
    value = re.search(r"<c:valAx>(.*?)</c:valAx>", charts[0], re.S)
    assert category and '<c:orientation val="maxMin"/>' in category[1]
    assert value and '<c:crosses val="max"/>' in value[1]


def test_key_figures_are_values(ranking: Path) -> None:
    values = list(cells(ranking).values())
    labels = ["应报（人）", "实报（人）", "按时（人）", "实报率", "按时报送率"]
    start = values.index(labels[0])
    assert values[start : start + 5] == labels
    figures = values[values.index("退回待改（人）") + 1 :][:5]
    assert figures == [4, 3, 2, 0.75, 0.5]


def test_heat_map_is_coloured_by_share_meeting_each_quota(ranking: Path) -> None:
    assessment = tiny_assessment()
    shares = unit_attainment(assessment)
    ws = load_workbook(ranking)["驾驶舱"]
    row = next(r for r in ws.iter_rows() if r[0].value == UNIT_A and r[1].number_format == "0%")
    first = assessment.rules[0]
    share = shares.loc[UNIT_A, first.id]
    assert row[1].value == pytest.approx(share)
    assert fill_colour(row[1]) == RAG[rag(share)]
    colours = {fill_colour(c) for c in row[1:] if c.value is not None}
    assert colours <= set(RAG.values()) and len(colours) >= 2  # 李华 misses lectures


def test_method_block_names_rule_file_caps_ties_and_cut_off(ranking: Path) -> None:
    text = "\n".join(str(v) for v in cells(ranking).values())
    for part in ("baoji-2018", "第 1 版", "向下取整", "不按姓名排序", "统计截止日 2026-11-30"):
        assert part in text
