"""Ingest: messy values normalised, real cell addresses kept, hostile files isolated."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from factories import compliant_content, read_files
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.checking import Checking
from pipeline.demo.fill import fill_ledger
from pipeline.demo.generator import make_demo_inbox
from pipeline.forms.spec import ACTIVITIES, BASIC_INFO, YOUTH_ROSTER
from pipeline.ingest import assemble, ingest, receive, segment
from pipeline.ingest.chunk import pack, typed_frame
from pipeline.ingest.codebook import Codebook, Codebooks, FileCodebook
from pipeline.ingest.normalise import (
    _clean,
    _cleaned,
    _compact,
    day_nanoseconds,
    normalise_column,
    normalise_typed,
)
from pipeline.ingest.worker import read_file
from pipeline.resources import templates_dir
from pipeline.validate import validate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "foreign"
LEDGER_TEMPLATE = templates_dir() / "联系青年工作台账.xlsx"


@pytest.mark.parametrize(
    "typed",
    [
        "2026年3月5日",
        "2026.3.5",
        "2026/3/5",
        "2026-03-05",
        " 2026 年 3 月 5 日 ",
        46086.0,
        dt.date(2026, 3, 5),
    ],
)
def test_dates_people_type(typed: object) -> None:
    assert normalise_column(pd.Series([typed], dtype=object), ACTIVITIES.field("日期"))[
        0
    ] == pd.Timestamp("2026-03-05")


@pytest.mark.parametrize(
    ("typed", "number"), [("１２", 12.0), ("3人", 3.0), (" 4 ", 4.0), (5.0, 5.0), ("０.５天", 0.5)]
)
def test_numbers_people_type(typed: object, number: float) -> None:
    value = normalise_column(pd.Series([typed], dtype=object), ACTIVITIES.field("时长（天）"))[0]
    assert isinstance(value, float) and value == number


def test_unreadable_values_are_kept_as_typed() -> None:
    values = normalise_column(
        pd.Series(["三次", "2026年2月30日"], dtype=object), ACTIVITIES.field("日期")
    )
    assert list(values) == ["三次", "2026年2月30日"]


CELLS = st.sampled_from([
    None, float("nan"), True, False, 1, 1.0, 0.0, 3.5, -2.0, 46086.0, 5e9, "", " ", "３人", "3",
    "2026年3月5日", "2026.3.5", "2026年2月30日", "三次", " 张\u3000明 ", "09171234567",
    dt.date(2026, 3, 5), dt.date(1600, 1, 1), dt.datetime(2026, 3, 5, 12, 30), dt.time(8, 0),
])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(CELLS, max_size=30),
    st.sampled_from(["日期", "青年人数", "时长（天）", "活动类型", "地点"]),
)
def test_a_column_is_typed_as_each_of_its_values_alone(cells: list[object], name: str) -> None:
    """Typing converts each distinct value once: the column must equal its values typed one by
    one (TRUE and FALSE, which equal 1 and 0 as keys, and blanks among them)."""
    field = ACTIVITIES.field(name)
    column = normalise_column(pd.Series(cells, dtype=object), field).tolist()
    alone = [normalise_column(pd.Series([cell], dtype=object), field)[0] for cell in cells]
    assert [(type(v), str(v)) for v in column] == [(type(v), str(v)) for v in alone]


TEXTS = st.lists(
    st.text(alphabet=["a", "张", " ", "\t", "\n", "\r", "\u3000", "\xa0", "\u2028", "Ａ", "e", "\u0301", "①"],
            max_size=4),
    max_size=6, unique=True,
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(TEXTS, st.booleans())
def test_texts_cleaned_together_are_those_cleaned_one_by_one(
    texts: list[str], compact: bool
) -> None:
    """The quick check that a column's texts need no cleaning (`_cleaned`, over them joined) must
    never pass texts that cleaning one by one would change."""
    convert = _compact if compact else _clean
    together = _cleaned(np.array([*texts, None], dtype=object)[:-1], compact)
    if together is not None:
        assert list(together) == [convert(text) for text in texts] + [None]


def test_identities_lose_every_space_and_phones_keep_leading_zeros() -> None:
    assert (
        normalise_column(pd.Series([" 张\u3000明 "], dtype=object), BASIC_INFO.field("姓名"))[0]
        == "张明"
    )
    assert (
        normalise_column(pd.Series(["09171234567"], dtype=object), BASIC_INFO.field("联系电话"))[0]
        == "09171234567"
    )


def _shifted_ledger(path: Path) -> None:
    """Our template with two rows and a hidden column inserted before the 活动记录 table."""
    shutil.copy(LEDGER_TEMPLATE, path)
    book = openpyxl.load_workbook(path)
    sheet = book["活动记录"]
    sheet.insert_rows(1, 2)
    sheet.insert_cols(1)
    sheet.column_dimensions["A"].hidden = True
    sheet["B1"] = "2026年活动记录（说明行）"
    info = book["基本信息"]
    for row, value in enumerate(
        ["张明", "渭滨区团委", "专职", "部长", "0917", 2026, dt.date(2026, 11, 25)], 1
    ):
        info.cell(row, 2, value)
    sheet["B4"], sheet["C4"], sheet["F4"] = dt.date(2026, 3, 5), "走访基层", 12
    sheet["B5"], sheet["C5"], sheet["F5"] = "2026年2月30日", "走访", -1
    book.save(path)


def test_addresses_survive_inserted_rows_and_hidden_columns(tmp_path: Path) -> None:
    path = tmp_path / "shifted.xlsx"
    _shifted_ledger(path)
    batch = ingest([(str(path), "inbox/shifted.xlsx")], workers=1)
    problems = validate(batch, as_of=dt.date(2026, 11, 30), year=2026)["inbox/shifted.xlsx"]
    located = {(p.code, p.location.cell) for p in problems}
    assert {
        ("date-impossible", "B5"),
        ("choice-invalid", "C5"),
        ("number-negative", "F5"),
    } <= located
    assert batch.sheets["活动记录"]["_row"].tolist() == [4, 5]


def test_rows_with_nothing_typed_in_are_dropped_and_the_rest_keep_their_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gaps.xlsx"
    _shifted_ledger(path)
    book = openpyxl.load_workbook(path)
    sheet = book["活动记录"]
    sheet["C7"] = "   "  # spaces only
    sheet["D8"] = "\u3000"  # a full-width space only
    sheet["B9"] = dt.datetime(2300, 1, 1)  # a day pandas cannot hold is still typed in
    sheet["F11"] = 0  # a zero is a value
    book.save(path)
    batch = ingest([(str(path), "inbox/gaps.xlsx")], workers=1)
    assert batch.sheets["活动记录"]["_row"].tolist() == [4, 5, 9, 11]
    assert batch.sheets["基本信息"]["_row"].tolist() == [0]
    problems = validate(batch, as_of=dt.date(2026, 11, 30), year=2026)["inbox/gaps.xlsx"]
    assert ("date-impossible", "B9", "2300-01-01") in {
        (p.code, p.location.cell, p.found) for p in problems
    }


@pytest.mark.parametrize(
    "typed", [dt.datetime(2300, 1, 1), dt.date(1500, 6, 1), "2300年1月1日", 200000.0]
)
def test_a_day_no_ledger_can_keep_is_kept_as_text(typed: object) -> None:
    values = normalise_column(pd.Series([typed], dtype=object), ACTIVITIES.field("日期"))
    assert isinstance(values[0], str)


def test_a_file_typing_fails_on_is_returned_and_the_others_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    _shifted_ledger(good)
    shutil.copy(good, bad)
    reads = [read_file(str(path), f"inbox/{path.name}") for path in (bad, good)]
    encode = segment.encode

    def fails_on_bad(
        frame: pd.DataFrame, keys: list[str], fields: list[str], coded: object = None
    ) -> bytes:
        if "inbox/bad.xlsx" in keys:
            raise OverflowError("a value nobody foresaw")
        return encode(frame, keys, fields, coded)  # type: ignore[arg-type]

    monkeypatch.setattr(segment, "encode", fails_on_bad)
    packed = pack(reads)
    by_display = {read.display: read for read in packed.reads}
    assert [p.code for p in by_display["inbox/bad.xlsx"].problems] == ["file-unreadable"]
    assert by_display["inbox/good.xlsx"].problems == []
    assert by_display["inbox/good.xlsx"].anchors["活动记录"]["日期"] == "B"
    assert packed.segments and all(
        segment.InMemory(blob).keys() == ["inbox/good.xlsx"] for _, blob in packed.segments
    )


def test_a_crashing_reader_costs_one_file_not_the_run(tmp_path: Path) -> None:
    crasher = (
        CORPUS / "ExcelDataReader" / "Test_git_issue_382_oom.xls"
    )  # calamine aborts the process
    panicker = CORPUS / "poi" / "clusterfuzz-testcase-minimized-POIHSSFFuzzer-5816431116615680.xls"
    if not crasher.exists():
        pytest.skip("the shared corpus is not beside the checkout")
    jobs = [(str(p), p.name) for p in (crasher, panicker, LEDGER_TEMPLATE)]
    results = {r.display: r for r in read_files(jobs, workers=2)}
    assert [p.code for p in results[crasher.name].parsed.problems] == ["reader-crashed"]
    assert [p.code for p in results[panicker.name].parsed.problems] == ["file-unreadable"]
    assert results[LEDGER_TEMPLATE.name].parsed.template_id == "ledger"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "file-not-workbook"),
        (b"name,unit\n", "file-not-workbook"),
        (b"PK\x03\x04broken", "file-unreadable"),
    ],
)
def test_non_workbooks_are_returned_with_a_reason(
    tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "报表.xlsx"
    path.write_bytes(content)
    (read,) = read_files([(str(path), "inbox/报表.xlsx")], workers=1)
    assert [p.code for p in read.parsed.problems] == [code]


@pytest.mark.parametrize("workers", [1, 2])  # tasks of three files, and of one
def test_the_readers_find_the_problems_validating_all_files_at_once_finds(
    tmp_path: Path, workers: int
) -> None:
    make_demo_inbox(tmp_path / "inbox", year=2026)
    messy = compliant_content("杂乱", "渭滨区团委", year=2026)
    for row, (field, value) in enumerate(
        [("日期", "2026年2月30日"), ("青年人数", -3), ("日期", dt.date(2025, 5, 1)),
         ("日期", dt.date(2026, 12, 25)), ("日期", "2300-01-01"), ("青年人数", 2.5)], start=2,
    ):  # fmt: skip
        messy.activities[row][field] = value
    messy.activities[9] = dict(messy.activities[8])  # a duplicate row
    fill_ledger(messy, tmp_path / "inbox" / "杂乱.xlsx")
    jobs = sorted((str(p), p.name) for p in (tmp_path / "inbox").rglob("*") if p.is_file())
    as_of = dt.date(2026, 11, 30)
    received = receive(jobs, workers=workers, check=Checking(as_of, 2026))
    whole = validate(assemble(received), as_of=as_of, year=2026)
    assert received.checked == whole
    codes = {p.code for found in whole.values() for p in found}
    expected = {"date-impossible", "number-negative", "value-required", "date-out-of-year",
                "date-in-future", "number-not-integer", "duplicate-row", "file-not-workbook"}  # fmt: skip
    assert expected <= codes, codes


DAYS = [pd.Timestamp(2026, 3, d) for d in (1, 2)] + [None, pd.NaT, "2026年2月30日"]


TYPED = ["甲", " 甲", "甲\u3000", "乙", "", "  "]  # cleaned: 甲 three ways, 乙, blank twice


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(DAYS), st.sampled_from(TYPED)),
                max_size=30))  # fmt: skip
def test_duplicate_rows_are_those_pandas_finds(rows: list[tuple[int, object, str]]) -> None:
    """The duplicate-row check compares the file, a date's days and a text's numbers first (a
    reader's frame keeps them), then the rows that share those whole: the rows pandas' own
    `duplicated` finds, texts typed apart that clean alike included."""
    from pipeline.validate.schemas import _duplicated

    dates = np.empty(len(rows), dtype=object)
    dates[:] = [day for _, day, _ in rows]
    kinds = segment.kinds_of(dates)
    typed = np.array([*(text for _, _, text in rows), None], dtype=object)[:-1]
    texts, _, coded = normalise_typed(typed, ACTIVITIES.field("地点"))
    assert coded is not None or not rows
    frame = pd.DataFrame({
        "_file": np.array([file for file, _, _ in rows], dtype=np.int64), "日期": dates,
        segment.kind_column("日期"): kinds, segment.days_column("日期"): day_nanoseconds(dates, kinds),
        "内容": texts,
        segment.same_column("内容"): coded.same() if coded else np.empty(0, dtype=np.int64),
    })  # fmt: skip
    keys = ["_file", "日期", "内容"]
    assert _duplicated(frame, keys).tolist() == frame.duplicated(keys, keep="first").tolist()


def test_rows_handed_over_as_each_task_arrives_are_those_received(tmp_path: Path) -> None:
    """A run's ledger stores each task's rows as it arrives (`receive(store=...)`): the same
    segments a plain receive keeps, and then not kept twice."""
    make_demo_inbox(tmp_path / "inbox", year=2026)
    jobs = sorted((str(p), p.name) for p in (tmp_path / "inbox").rglob("*") if p.is_file())
    kept = receive(jobs, workers=2)
    stored: list[tuple[str, bytes]] = []
    handed = receive(jobs, workers=2, store=stored.extend)
    assert handed.segments == [] and len(stored) == len(kept.segments) > 0
    rows = assemble(replace(handed, segments=stored)).sheets
    for name, frame in assemble(kept).sheets.items():
        pd.testing.assert_frame_equal(rows[name], frame, obj=name)


def test_rows_encoded_with_their_typing_codes_decode_to_the_rows_typed(tmp_path: Path) -> None:
    """The encoder takes a text column's codes from normalisation (`segment.Coded`) instead
    of looking for its distinct values again: the same rows come back, blanks and rows with
    nothing in them (dropped after typing) included."""
    make_demo_inbox(tmp_path / "inbox", year=2026)
    paths = sorted(p for p in (tmp_path / "inbox").rglob("*.xlsx") if p.is_file())
    reads = [read_file(str(path), path.name) for path in paths]
    keys = [read.display for read in reads]
    number = {key: n for n, key in enumerate(keys)}
    for spec in (BASIC_INFO, ACTIVITIES):
        held = [
            (n, r.parsed.sheets[spec.name])
            for n, r in enumerate(reads)
            if spec.name in r.parsed.sheets
        ]
        frame, coded = typed_frame(spec, held)
        assert coded and len(frame) > 0
        fields = spec.field_names
        decoded = segment.decode(segment.encode(frame, keys, fields, coded), number)
        expected = frame[[segment.FILE, segment.ROW, *fields]].reset_index(drop=True)
        pd.testing.assert_frame_equal(decoded, expected, check_dtype=False, obj=spec.name)
        assert decoded.equals(segment.decode(segment.encode(frame, keys, fields), number))


def test_a_task_book_numbers_equal_cells_alike_and_keeps_true_apart_from_one() -> None:
    """A field's book (`codebook.Codebook`) gives equal cells one number across the columns
    of a task's files and gives each number back as its cell; TRUE and FALSE are never given
    back as 1 or 0 (nor they as TRUE), whichever comes first."""
    book = Codebook()
    day = dt.datetime(2026, 3, 5)
    columns = [
        ("活动", 1.0, day, "", None, 1.0),
        ("活动", 1.0, dt.datetime(2026, 3, 5)),
        (1.0, True, "活动", 0.0, False),  # a number before TRUE
        (True, 1.0, False, 0.0),  # TRUE first
        (0.0, 1.0),
    ]
    numbers = [book.number(column) for column in columns]
    assert list(numbers[1]) == list(numbers[0][:3]) and numbers[0][1] == numbers[0][5]
    cells = book.cells()
    for column, numbered in zip(columns, numbers, strict=True):
        assert [(type(v), v) for v in cells[numbered]] == [(type(v), v) for v in column]
    assert numbers[4][1] == numbers[0][1]  # plain numbers go on after TRUE was kept apart


def test_rows_typed_by_their_task_book_are_those_typed_cell_by_cell(tmp_path: Path) -> None:
    """Files read with one task's books are typed once per distinct value of a booked field
    (`normalise_coded`); files read with books of their own, cell by cell: the same frame. So
    is one file of the task typed alone (as `pack` types a task's files when typing them
    together fails), though its books hold the other files' cells too."""
    make_demo_inbox(tmp_path / "inbox", year=2026)
    paths = sorted(p for p in (tmp_path / "inbox").rglob("*.xlsx") if p.is_file())
    books = Codebooks()
    shared = [read_file(str(path), path.name, books=books) for path in paths]
    alone = [read_file(str(path), path.name) for path in paths]
    for spec in (ACTIVITIES, YOUTH_ROSTER, BASIC_INFO):
        frames = []
        for reads in (shared, alone):
            held = [(n, r.parsed.sheets[spec.name]) for n, r in enumerate(reads)
                    if spec.name in r.parsed.sheets]  # fmt: skip
            frames.append(typed_frame(spec, held)[0])
        assert len(frames[0]) > 0
        pd.testing.assert_frame_equal(frames[0], frames[1], obj=spec.name)
        last = len(shared) - 1
        one = [
            _same_as_labels(typed_frame(spec, [(last, r.parsed.sheets[spec.name])])[0])
            for r in (shared[last], alone[last])
        ]
        assert len(one[0]) > 0
        pd.testing.assert_frame_equal(one[0], one[1], obj=f"{spec.name}, one file")


def _same_as_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text keys' numbers (`segment.same_column`) as the first-seen order
    of the values they tell apart: any numbers equal for equal values are right."""
    same = [name for name in frame.columns if name.startswith(segment.SAME)]
    return frame.assign(**{name: pd.factorize(frame[name])[0] for name in same})


def test_a_file_book_numbers_each_column_alone_and_gives_every_cell_back_as_it_was() -> None:
    """A text field's book (`codebook.FileCodebook`) numbers each column's equal cells alike,
    a value in another column anew, and gives each number back as its cell: TRUE and FALSE are
    never given back as 1 or 0 (nor they as TRUE), whichever comes first."""
    book = FileCodebook()
    day = dt.date(2026, 3, 5)
    columns = [
        ("3", 3.0, 3.0, None, day, dt.date(2026, 3, 5), "", "3"),
        ("3", "甲"),
        (1.0, True, 1, False, 0.0),  # a number before TRUE
        ("", True, 1.0, True),  # TRUE after text
    ]
    numbers = [book.number(column) for column in columns]
    assert list(numbers[0]) == [0, 1, 1, 2, 3, 3, 4, 0]
    assert list(numbers[1]) == [5, 6]  # "3" again, numbered in its own column
    assert numbers[3][1] == numbers[3][3] != numbers[3][2]
    cells = book.cells()
    for column, numbered in zip(columns, numbers, strict=True):
        assert [(type(v), v) for v in cells[numbered]] == [(type(v), v) for v in column]


