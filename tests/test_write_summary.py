"""汇总表.xlsx follows 附件2: title, 填报单位 line, the five columns, a sheet per unit, the note."""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_write_support import (
    INJECTED,
    UNIT_A,
    UNIT_B,
    formula_cells,
    sheet_values,
    tiny_assessment,
)

import pipeline.write.summary as summary_module
import pipeline.write.workbook as workbook_module
from pipeline.compute.digest import research
from pipeline.write.ranking import write_ranking
from pipeline.write.summary import NOTE, TITLE, write_summary
from pipeline.write.workbook import (
    Cell,
    Formats,
    Worksheet,
    atomic_workbook,
    fit_rows,
    merged_line,
    sheet_names,
    write_table,
)

HEADERS = ["姓名", "联系点", "四项重点任务完成情况（场次及时间）", "调研方向及完成时限", "考核等级"]


@pytest.fixture
def summary(tmp_path: Path) -> Path:
    return write_summary(tiny_assessment(), tmp_path / "out" / "汇总表.xlsx", filing_unit="团市委")


def test_sheets_are_all_then_one_per_unit_with_safe_names(summary: Path) -> None:
    assert load_workbook(summary).sheetnames == ["全部", UNIT_A, "团市委机关_组织部"]


def test_all_sheet_has_title_filing_line_headers_and_note(summary: Path) -> None:
    rows = sheet_values(load_workbook(summary)["全部"])
    assert rows[0][0] == TITLE
    assert rows[1][0] == "填报单位（盖章）：团市委    2026年11月30日"
    assert rows[2] == [HEADERS[0], "单位", *HEADERS[1:]]
    assert [r[0] for r in rows[3:7]] == ["张明", INJECTED, "李华", "+1"]
    assert [r[5] for r in rows[3:7]] == ["优", "良", "差", None]
    assert rows[7][0] == NOTE


def test_unit_sheet_lists_its_own_cadres_without_unit_column(summary: Path) -> None:
    rows = sheet_values(load_workbook(summary)[UNIT_A])
    assert rows[1][0] == f"填报单位（盖章）：{UNIT_A}    2026年11月30日"
    assert rows[2] == HEADERS
    assert rows[3] == ["张明", "1. 经二路社区团支部 2. 青春驿站",
                       "理论宣讲 4 场（3月、5月、9月、11月）", "青年就业调研，10月底前", "优"]  # fmt: skip
    assert rows[4][0] == "李华"
    assert rows[5][0] == NOTE


def test_grades_are_empty_when_the_period_is_not_graded(tmp_path: Path) -> None:
    path = write_summary(tiny_assessment(graded=False), tmp_path / "汇总表.xlsx")
    rows = sheet_values(load_workbook(path)["全部"])
    assert [r[5] for r in rows[3:7]] == [None] * 4
    assert str(rows[1][0]).startswith("填报单位（盖章）：    2026年")


def test_user_text_stays_text_and_there_are_no_formulas(summary: Path) -> None:
    assert formula_cells(summary) == []
    ws = load_workbook(summary)[sheet_names([UNIT_B])[0]]
    assert (ws["A4"].value, ws["A4"].data_type) == (INJECTED, "s")
    assert (ws["D4"].value, ws["D4"].data_type) == ("@SUM(A1)", "s")
    assert (ws["B5"].value, ws["B5"].data_type) == ("+1", "s")
    assert not ws["A4"].hyperlink


def test_print_setup_is_portrait_a4_one_page_wide_with_header_repeated(summary: Path) -> None:
    ws = load_workbook(summary)["全部"]
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default and may be left out
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3"
    assert "第 &P 页，共 &N 页" in ws.oddFooter.center.text
    assert ws.merged_cells.ranges and ws["C4"].alignment.wrap_text


def test_writing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = write_summary(tiny_assessment(), tmp_path / "a.xlsx")
    second = write_summary(tiny_assessment(), tmp_path / "b.xlsx")
    assert first.read_bytes() == second.read_bytes()


def workbook_as_read(path: Path) -> dict[str, object]:
    """Everything openpyxl reads of a workbook's cells and rows: values, types and styles."""
    workbook = load_workbook(path)
    found: dict[str, object] = {}
    for ws in workbook.worksheets:
        found[ws.title] = [
            (c.coordinate, c.value, c.data_type, c.number_format, c.font.b, c.font.color and c.font.color.rgb,
             c.fill.fgColor.rgb, c.alignment.wrap_text, c.alignment.horizontal, c.border.left.style)
            for row in ws.iter_rows() for c in row
        ]  # fmt: skip
        found[f"{ws.title} rows"] = {n: d.height for n, d in ws.row_dimensions.items()}
        found[f"{ws.title} merged"] = sorted(str(r) for r in ws.merged_cells.ranges)
    return found


TABLE = [
    ["文本", " 空格 ", "<&>\n换行", "", None, "=1+1"],
    [3.0, -0.1, 1e20, 12345678901234567, np.int64(7), float("nan")],
    [True, np.bool_(False), date(2026, 3, 5), datetime(2026, 3, 5, 8, 30), pd.NaT, pd.NA],
    [Cell(2.5), Cell("红", None), Cell(None), "长" * 20000, "x" * 40000, 0.0],
    [7, -3, 0, "", None, 2**70],  # Python ints and blanks: rendered without `_cell_xml`
]


def test_rendered_rows_read_back_as_xlsxwriters_own_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`atomic_workbook`'s worksheets render a table's rows at once instead of keeping a tuple
    a cell: what any reader finds must be what xlsxwriter's own cells give."""

    def every_output(folder: Path) -> list[dict[str, object]]:
        with atomic_workbook(folder / "cells.xlsx") as workbook:
            formats = Formats.add_to(workbook)
            ws = workbook.add_worksheet("cells")
            table = [[Cell(v.value, formats.unmet) if isinstance(v, Cell) and v.format is None
                      and v.value == 2.5 else v for v in row] for row in TABLE]  # fmt: skip
            end = write_table(ws, 1, [f"列{n}" for n in range(6)], table, formats,
                              [formats.text, formats.number, formats.wrap])  # fmt: skip
            merged_line(ws, end, 3, "表后说明", formats.note)
            ws.set_row(3, 40)
        written = [write_summary(tiny_assessment(), folder / "汇总表.xlsx"),
                   write_ranking(tiny_assessment(), folder / "排名.xlsx"), folder / "cells.xlsx"]  # fmt: skip
        return [workbook_as_read(path) for path in written]

    rendered = every_output(tmp_path / "rendered")
    monkeypatch.setattr(workbook_module._Workbook, "worksheet_class", Worksheet)
    assert every_output(tmp_path / "xlsxwriter") == rendered


@pytest.mark.parametrize(
    "texts",
    [
        ["张明", "a&b", "<标签>", "x>y", "多行\n文本", "tab\tin", "第001团县委"],  # in one piece
        ["ok", " 前有空格"], ["后有空格 ", "ok"], ["\u3000全角空格", "ok"], ["控制\x02字符"],
        ["_x0041_", "ok"], ["<r>富文本</r>", "ok"], ["ok", "<r>富文本</r>"], ["分隔\x01符"],
        ["只有一个"],
    ],
)
def test_shared_strings_are_xlsxwriters_own_bytes(tmp_path: Path, texts: list[str]) -> None:
    """The shared strings written in one piece (or, with a text xlsxwriter escapes or marks,
    text by text) are byte for byte what xlsxwriter writes."""

    def shared_strings(workbook: xlsxwriter.Workbook, path: Path) -> bytes:
        sheet = workbook.add_worksheet()
        for row, text in enumerate(texts):
            sheet.write_string(row, 0, text)
        workbook.close()
        with zipfile.ZipFile(path) as package:
            return package.read("xl/sharedStrings.xml")

    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    expected = shared_strings(xlsxwriter.Workbook(str(theirs)), theirs)
    assert shared_strings(workbook_module._Workbook(str(ours)), ours) == expected


class _XlsxwritersRows(workbook_module._Worksheet):
    """Our worksheet with its rows, their spans and their heights written by xlsxwriter."""

    _write_rows = Worksheet._write_rows
    _calculate_spans = Worksheet._calculate_spans

    def set_heights(self, rows: Iterable[int], heights: Iterable[float]) -> None:
        for row, height in zip(rows, heights, strict=True):
            self.set_row(row, height)


def test_rows_written_in_one_piece_are_xlsxwriters_own_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rendered row is written with its tag at once, its height set in bulk: the sheet's
    XML is byte for byte what xlsxwriter's own loop over the rows writes, whatever else the
    sheet holds (a row with a format of its own, a hidden row, a table of one column)."""

    def sheet_xml(path: Path) -> bytes:
        with atomic_workbook(path) as workbook:
            formats = Formats.add_to(workbook)
            ws = workbook.add_worksheet("表")
            merged_line(ws, 0, 5, "标题", formats.title)
            # rows 3 to 48: the table of one column below starts a block of 16 rows (spans)
            rows = [[f"第{n}行" + "长" * (n * 7 % 40), float(n), None, "x" * (n % 3), n, "注"]
                    for n in range(46)]  # fmt: skip
            end = write_table(ws, 1, [f"列{n}" for n in range(6)], rows, formats)
            fit_rows(ws, 2, rows, [10, 8, 8, 8, 8, 8])
            ws.set_row(5, 30, formats.note)
            ws.set_row(6, 0)
            one = write_table(ws, end, ["单列"], [["甲"], ["乙"], [3.0]] * 10, formats)
            merged_line(ws, one + 1, 3, "表后说明", formats.note)
            write_table(ws, one + 3, [f"列{n}" for n in range(6)], TABLE, formats)
        with zipfile.ZipFile(path) as package:
            return package.read("xl/worksheets/sheet1.xml")

    ours = sheet_xml(tmp_path / "ours.xlsx")
    monkeypatch.setattr(workbook_module._Workbook, "worksheet_class", _XlsxwritersRows)
    assert sheet_xml(tmp_path / "theirs.xlsx") == ours
    assert b'customHeight="1"' in ours and b'hidden="1"' in ours  # heights were set


def test_a_table_of_one_column_keeps_its_rows(tmp_path: Path) -> None:
    with atomic_workbook(tmp_path / "x.xlsx") as book:
        write_table(book.add_worksheet("表"), 0, ["单列"], [["甲"], ["乙"]], Formats.add_to(book))
    assert sheet_values(load_workbook(tmp_path / "x.xlsx")["表"]) == [["单列"], ["甲"], ["乙"]]


def test_a_rendered_row_refuses_a_cell_written_into_it(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="第 3 行"), atomic_workbook(tmp_path / "x.xlsx") as book:
        formats = Formats.add_to(book)
        ws = book.add_worksheet("表")
        write_table(ws, 1, ["甲", "乙", "丙"], [["一", 1.0, "三"]], formats)
        ws.write_string(2, 1, "后写")  # into the middle of the rendered row
    assert not (tmp_path / "x.xlsx").exists()


def test_a_failure_while_writing_keeps_the_old_file_and_leaves_no_temp(
    summary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = summary.read_bytes()

    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(summary_module, "write_table", explode)
    with pytest.raises(RuntimeError):
        write_summary(tiny_assessment(), summary)
    assert summary.read_bytes() == before
    assert sorted(p.name for p in summary.parent.iterdir()) == [summary.name]


def test_atomic_workbook_removes_its_temp_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "new" / "x.xlsx"
    with pytest.raises(ValueError), atomic_workbook(target) as workbook:
        workbook.add_worksheet("a").write_string(0, 0, "半成品")
        raise ValueError("stop")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_sheet_names_are_valid_and_distinct() -> None:
    long = "很" * 40
    names = sheet_names(["a/b", "A_B", "", "'q'", long, long, "History"], taken=["全部"])
    assert names == ["a_b", "A_B(2)", "未填单位", "q", "很" * 31, "很" * 28 + "(2)", "History(2)"]
    assert all(len(n) <= 31 for n in names)


def test_a_research_topic_typed_with_its_label_is_not_labelled_twice() -> None:
    tasks = pd.DataFrame({"_file": [0, 1], "任务类别": ["调查研究"] * 2,
                          "主要内容": ["调研课题：青年就业", "青年婚恋"],
                          "计划完成时间": pd.to_datetime(["2026-10-31", "2026-09-30"])})  # fmt: skip
    activities = pd.DataFrame({"_file": [0], "活动类型": ["调研报告"],
                               "日期": pd.to_datetime(["2026-10-20"])})  # fmt: skip
    text = research(tasks, activities, pd.Index([0, 1, 2]))
    assert list(text) == [
        "课题：青年就业；计划 2026-10-31 完成；报告 2026-10-20 已形成",
        "课题：青年婚恋；计划 2026-09-30 完成；尚未形成调研报告",
        "未确定调研课题；尚未形成调研报告",
    ]


@given(st.text(st.sampled_from("张明ab1 …—（）ＡＢ①한\n😀\u0301"), max_size=30))
def test_text_width_counts_east_asian_wide_characters_twice(text: str) -> None:
    def cells(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    assert workbook_module.text_width(text) == max(cells(line) for line in text.split("\n"))
    assert workbook_module.text_width("张明\nabc") == 4 and workbook_module.text_width("ＡＢ…") == 5
