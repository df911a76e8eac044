"""批注回执: the returned workbook carries a fill and a comment at each problem's real cell.

One run over four copies of the same broken ledger — as filled, with blank and extra header rows
inserted above the activity table, with a hidden column inserted before it, and with a merged
title row — plus a file that is not a workbook. Every annotated copy is read back with openpyxl.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from factories import compliant_content, make_workspace, roster_rows, submit_roster
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

import pipeline.write.annotate as annotate_module
from pipeline.demo.fill import fill_ledger
from pipeline.forms.spec import ACTIVITIES, CONTACT_POINTS
from pipeline.ledger import Ledger
from pipeline.problems import Location, Problem
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, run, workbook_sources
from pipeline.write import marking, patching
from pipeline.write.annotate import Annotators, Job, Source, annotate_all
from pipeline.write.patching import LIST_SHEET

YEAR, UNIT = 2026, "渭滨区团委"
SHEET, CONTACTS = ACTIVITIES.name, CONTACT_POINTS.name
RED, AMBER = "00FFC7CE", "00FFEB9C"
INJECTED = '=HYPERLINK("http://x","点我")'
# (activity row index, column, value, code): errors, and one warning (too many youth)
SEEDED = (
    (3, "日期", f"{YEAR}年2月30日", "date-impossible"),
    (5, "活动类型", "慰问走访", "choice-invalid"),
    (6, "青年人数", -12, "number-negative"),
    (8, "青年人数", 2500, "number-too-large"),
)


def _plain(ws: Worksheet) -> tuple[int, int]:
    return 0, 0


def _blank_and_header_rows(ws: Worksheet) -> tuple[int, int]:
    ws.insert_rows(1, 3)  # a title, an extra header line and a blank row above the table
    ws["A1"] = "2026年度活动记录"
    ws["A2"] = "（本表由干部本人填写，逐次登记）"
    return 3, 0


def _hidden_column(ws: Worksheet) -> tuple[int, int]:
    ws.insert_cols(1)
    ws.column_dimensions["A"].hidden = True
    ws["A2"] = "备注"
    return 0, 1


def _merged_title(ws: Worksheet) -> tuple[int, int]:
    ws.insert_rows(1, 1)
    ws["A1"] = "活动记录（合并的标题行）"
    ws.merge_cells("A1:I1")
    return 1, 0


VARIANTS: dict[str, Callable[[Worksheet], tuple[int, int]]] = {
    "原样": _plain,
    "插入空行和表头": _blank_and_header_rows,
    "隐藏列": _hidden_column,
    "合并标题": _merged_title,
}
SHIFTS: dict[str, tuple[int, int]] = {}


def expected_cells(variant: str) -> dict[str, str]:
    """Where each seeded value really is in the variant: cell → problem code."""
    rows, cols = SHIFTS[variant]
    cells = {}
    for index, column, _, code in SEEDED:
        col = ACTIVITIES.field_names.index(column) + 1 + cols
        cells[f"{get_column_letter(col)}{index + 2 + rows}"] = code
    return cells


def broken_ledger(path: Path, variant: str) -> Path:
    content = compliant_content(f"干部{variant}", UNIT)
    for index, column, value, _ in SEEDED:
        content.activities[index][column] = value
    content.activities[1]["内容摘要"] = INJECTED
    fill_ledger(content, path)
    workbook = load_workbook(path)
    SHIFTS[variant] = VARIANTS[variant](workbook[SHEET])
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = make_workspace(tmp_path_factory.mktemp("annotate"))
    for variant in VARIANTS:
        broken_ledger(workspace / "inbox" / f"{variant}.xlsx", variant)
    (workspace / "inbox" / "不是工作簿.xlsx").write_bytes(b"name,unit\n")
    submit_roster(workspace, roster_rows([(f"干部{v}", UNIT) for v in VARIANTS]))
    options = RunOptions(workspace, period=Period.YEAR_END, as_of=date(YEAR, 11, 30), year=YEAR,
                         workers=2)  # fmt: skip
    return run(options)


def annotated(result: RunResult, stem: str) -> Path:
    return result.out_dir / "回执" / f"{stem}（批注回执）.xlsx"


@pytest.mark.parametrize("variant", VARIANTS)
def test_problems_are_located_at_the_real_cells(result: RunResult, variant: str) -> None:
    outcome = next(o for o in result.outcomes if o.file.endswith(f"{variant}.xlsx"))
    found = {p.location.cell: p.code for p in outcome.problems if p.location.sheet == SHEET}
    assert found == expected_cells(variant)


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_problem_cell_is_filled_and_commented(result: RunResult, variant: str) -> None:
    ws = load_workbook(annotated(result, variant))[SHEET]
    for cell, code in expected_cells(variant).items():
        colour = AMBER if code == "number-too-large" else RED
        assert ws[cell].fill.fgColor.rgb == colour, (cell, code)
        assert ws[cell].comment is not None and cell in ws[cell].comment.text
    neighbour = next(iter(expected_cells(variant)))
    below = f"{neighbour[0]}{int(neighbour[1:]) + 1}"
    assert ws[below].fill.fill_type is None and ws[below].comment is None


@pytest.mark.parametrize("variant", VARIANTS)
def test_values_are_kept_and_text_stays_text(
    result: RunResult, variant: str, tmp_path: Path
) -> None:
    original = load_workbook(broken_ledger(tmp_path / "again.xlsx", variant))[SHEET]
    returned = load_workbook(annotated(result, variant))[SHEET]
    values = [[c.value for c in row] for row in original.iter_rows()]
    assert [[c.value for c in row] for row in returned.iter_rows()] == values
    assert not [c.coordinate for row in returned.iter_rows() for c in row if c.data_type == "f"]
    assert any(c.value == INJECTED for row in returned.iter_rows() for c in row)


@pytest.mark.parametrize("variant", VARIANTS)
def test_error_list_comes_first_and_links_to_each_cell(result: RunResult, variant: str) -> None:
    workbook = load_workbook(annotated(result, variant))
    assert workbook.sheetnames[0] == LIST_SHEET and workbook.active.title == LIST_SHEET
    links = {
        c.hyperlink.location
        for row in workbook[LIST_SHEET].iter_rows(min_row=4)
        for c in row
        if c.hyperlink is not None
    }
    assert {f"'{SHEET}'!{cell}" for cell in expected_cells(variant)} <= links
    assert workbook["_lianxi"].sheet_state == "hidden"


@pytest.mark.parametrize("variant", VARIANTS)
def test_dropdowns_are_recreated_below_the_real_header(result: RunResult, variant: str) -> None:
    rows, cols = SHIFTS[variant]
    ws = load_workbook(annotated(result, variant))[SHEET]
    by_column = {}
    for validation in ws.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            by_column[cell_range.min_col] = (cell_range.min_row, validation)
    kind_column = ACTIVITIES.field_names.index("活动类型") + 1 + cols
    first_row, validation = by_column[kind_column]
    assert first_row == 2 + rows
    assert validation.type == "list" and "走访基层" in validation.formula1
    date_row, dates = by_column[column_index_from_string("A") + cols]
    assert (date_row, dates.type) == (2 + rows, "date")


def test_a_file_that_is_not_a_workbook_gets_only_the_text_receipt(result: RunResult) -> None:
    folder = result.out_dir / "回执"
    assert (folder / "不是工作簿.回执.txt").is_file()
    assert not annotated(result, "不是工作簿").exists()


def test_annotators_broken_before_their_jobs_leave_each_job_to_a_process_of_its_own(
    result: RunResult, tmp_path: Path
) -> None:
    """A process of the early `Annotators` that died before the outcomes were known breaks
    their pool: every job is then annotated alone, none is lost and the run goes on."""
    jobs = list(_jobs(result, tmp_path).values())[:2]
    annotators = Annotators()
    annotators.start(workers=1)
    try:
        assert annotators.pool is not None
        with pytest.raises(BrokenProcessPool):
            annotators.pool.submit(os._exit, 1).result()
        assert annotate_all(jobs, annotators=annotators) == [job.target for job in jobs]
    finally:
        annotators.close()
    assert all(load_workbook(job.target) for job in jobs)


def test_workbooks_are_made_durable_together_not_one_by_one(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each annotating process writes its workbooks without syncing them (two fsyncs a
    workbook: seconds for hundreds on a disk); `annotate_all` makes all it made durable in one
    call, before the manifest vouches for them."""
    jobs = list(_jobs(result, tmp_path).values())
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    for module in (patching, marking):  # in this process, as an annotating process runs them
        assert module.annotate_workbook(replace(jobs[0], target=tmp_path / f"{module.__name__}.xlsx"))
    assert synced == []
    durable: list[tuple[list[Path], set[Path]]] = []
    monkeypatch.setattr(annotate_module, "make_durable",
                        lambda files, folders: durable.append((list(files), set(folders))))  # fmt: skip
    made = annotate_all(jobs, workers=1)
    assert durable == [(sorted(made), {tmp_path})] and len(made) == len(jobs)
    assert annotate_all(jobs, workers=1) == made  # kept: nothing new to make durable
    assert durable[1] == ([], set())


def test_a_sheet_holding_the_templates_validations_is_kept_byte_for_byte(
    result: RunResult, tmp_path: Path
) -> None:
    """A sheet with no problem whose validations mean the template's comes back byte for
    byte; the same sheet whose validations the cadre lost comes back with the template's."""
    job = _jobs(result, tmp_path)["原样"]
    lost = tmp_path / "lost.xlsx"
    workbook = load_workbook(job.source.open())
    workbook[CONTACTS].data_validations.dataValidation = []
    workbook.save(lost)
    without = replace(job, source=replace(job.source, path=str(lost)), target=tmp_path / "out.xlsx")

    def contacts(data: bytes) -> bytes:
        """The bytes of the workbook's 基层联系点 sheet."""
        part = patching._Book(patching._Package(io.BytesIO(data))).parts[CONTACTS]
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return package.read(part)

    def validations(path: Path) -> list[str]:
        found = load_workbook(path)[CONTACTS].data_validations.dataValidation
        return sorted(f"{v.type} {v.sqref} {v.formula1} {v.prompt}" for v in found)

    assert patching.annotate_workbook(job) and patching.annotate_workbook(without)
    assert contacts(job.target.read_bytes()) == contacts(job.source.open().getvalue())
    assert validations(without.target) == validations(job.target) != []
    assert contacts(without.target.read_bytes()) != contacts(lost.read_bytes())


DATES = ('<dataValidation type="date" allowBlank="1" sqref="A2:A9 B2"><formula1>1</formula1>'
         "<formula2>9</formula2></dataValidation>")  # fmt: skip
ANY_VALUE = '<dataValidation sqref="C1"/>'


@pytest.mark.parametrize(
    ("held", "template", "same"),
    [
        (DATES.replace("allowBlank", 'operator="between" allowBlank'), DATES, True),  # a default
        (DATES.replace('"1"', '"true"').replace("A2:A9 B2", "B2 A2:A9"), DATES, True),
        (DATES.replace("<formula2>9</formula2>", ""), DATES, False),
        (DATES.replace("A2:A9 B2", "A2:A9"), DATES, False),  # fewer cells
        ('<dataValidation sqref="C1" showErrorMessage="1" errorTitle="x"/>', ANY_VALUE, True),
        ('<dataValidation sqref="C1" showInputMessage="1"/>', ANY_VALUE, False),
    ],
)
def test_validations_are_compared_as_excel_reads_them(held: str, template: str, same: bool) -> None:
    """A validation means what Excel reads: absent attributes take their defaults, booleans
    are words or digits, ranges come in any order, an any-value validation's error settings
    do nothing; any other difference makes the sheet's validations be written again."""
    meaning = patching._meaning
    assert (meaning(patching.etree.fromstring(held)) == meaning(patching.etree.fromstring(template))) is same


def test_a_recognised_file_that_is_no_ooxml_workbook_is_passed_over(
    result: RunResult, tmp_path: Path
) -> None:
    """A job whose original is no OOXML workbook (an .ods or .xlsb of the template) gets no
    批注回执, on the first call and on the next (the manifest never holds it), beside one
    that does."""
    good = _jobs(result, tmp_path)["原样"]
    other = tmp_path / "其他格式.ods"
    other.write_bytes(b"PK\x03\x04 not really a spreadsheet")
    odd = replace(good, source=replace(good.source, path=str(other), sha256="odd"),
                  target=tmp_path / "其他格式（批注回执）.xlsx")  # fmt: skip
    for _ in range(2):
        assert annotate_all([odd, good], workers=1) == [good.target]
        assert not odd.target.exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="soffice not installed")
def test_annotated_workbook_prints_in_libreoffice(result: RunResult, tmp_path: Path) -> None:
    source = annotated(result, "插入空行和表头")
    command = ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
               "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    pdf = tmp_path / f"{source.stem}.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")


def _jobs(result: RunResult, target: Path) -> dict[str, Job]:
    """The annotation job of each variant, as the run made them, aimed at ``target``."""
    with Ledger(result.out_dir.parents[1]) as ledger:
        batch = ledger.batch()
    flagged = [o for o in result.outcomes if o.needs_receipt]
    sources = workbook_sources(batch, {o.file for o in flagged})
    return {
        Path(o.file).stem: Job(sources[o.file], target / f"{Path(o.file).stem}.xlsx", o.problems, "张三，退回")
        for o in flagged
        if o.file in sources
    }


def _view(path: Path) -> dict[str, object]:
    """What a reader sees of a marked workbook: per sheet its values, fills, comments, links,
    validations, print titles and frozen panes (an empty string read as a blank)."""
    workbook = load_workbook(path)
    view: dict[str, object] = {"sheets": workbook.sheetnames, "active": workbook.active.title}
    for ws in workbook.worksheets:
        cells = [c for row in ws.iter_rows() for c in row]
        view[ws.title] = (
            [(c.coordinate, None if c.value == "" else c.value) for c in cells],
            [(c.coordinate, c.fill.fgColor.rgb) for c in cells if c.fill.fill_type],
            [(c.coordinate, c.comment.text) for c in cells if c.comment],
            [(c.coordinate, c.hyperlink.location) for c in cells if c.hyperlink],
            [(c.coordinate, c.font.b, c.alignment.wrap_text) for c in cells],
            sorted(f"{v.type} {v.sqref} {v.formula1} {v.formula2}" for v in ws.data_validations.dataValidation),
            ws.print_title_rows, ws.freeze_panes, ws.sheet_state,
        )  # fmt: skip
    return view


def test_the_xml_path_marks_each_variant_as_openpyxl_does(result: RunResult, tmp_path: Path) -> None:
    jobs = _jobs(result, tmp_path / "xml")
    assert set(VARIANTS) <= set(jobs)
    for variant in VARIANTS:
        job = jobs[variant]
        fast = patching.annotate_workbook(job)  # no Unsupported: the XML path takes them all
        slow = marking.annotate_workbook(replace(job, target=tmp_path / "openpyxl" / job.target.name))
        assert fast is not None and slow is not None
        assert _view(fast) == _view(slow), variant


def test_the_xml_path_gives_the_same_bytes_whenever_it_runs(
    result: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _jobs(result, tmp_path / "first")[next(iter(VARIANTS))]
    first = patching.annotate_workbook(job)
    monkeypatch.setattr(zipfile.time, "time", lambda: 2_000_000_000.0)  # a later day, 2033
    again = patching.annotate_workbook(replace(job, target=tmp_path / "again.xlsx"))
    assert first is not None and again is not None
    assert first.read_bytes() == again.read_bytes()


def test_a_sheet_with_comments_of_its_own_is_marked_by_openpyxl(
    result: RunResult, tmp_path: Path
) -> None:
    job = _jobs(result, tmp_path)["原样"]
    workbook = load_workbook(job.source.open())
    cell = next(iter(expected_cells("原样")))
    workbook[SHEET][cell].comment = Comment("干部自己的批注", "张三")
    workbook.save(commented := tmp_path / "带批注.xlsx")
    job = replace(job, source=replace(job.source, path=str(commented)))

    with pytest.raises(patching.Unsupported):
        patching.annotate_workbook(job)
    marked = annotate_all([job])  # in a child process, as a run does: it limits its CPU time

    assert marked == [job.target]
    text = load_workbook(job.target)[SHEET][cell].comment.text
    assert "干部自己的批注" in text and cell in text


def test_annotators_started_before_their_jobs_make_the_same_workbooks(
    result: RunResult, tmp_path: Path
) -> None:
    """Processes started before the outcomes are known (`Annotators`, as a large run starts
    them) make byte for byte what processes started for the jobs make, and are reused."""
    alone = list(_jobs(result, tmp_path / "alone").values())
    early = list(_jobs(result, tmp_path / "early").values())
    annotators = Annotators()
    annotators.start(workers=2)
    try:
        assert annotate_all(early, annotators=annotators) == [job.target for job in early]
        assert annotators.pool is not None and annotators.pool.submit(int).result() == 0  # open
    finally:
        annotators.close()
    assert annotate_all(alone) == [job.target for job in alone]
    for before, after in zip(alone, early, strict=True):
        assert before.target.read_bytes() == after.target.read_bytes(), before.target.name


@pytest.mark.skipif(shutil.which("soffice") is None, reason="soffice not installed")
def test_libreoffice_keeps_the_fills_and_comments_of_the_xml_path(
    result: RunResult, tmp_path: Path
) -> None:
    source = annotated(result, "合并标题")
    command = ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
               "--convert-to", "xlsx", "--outdir", str(tmp_path / "calc"), str(source)]  # fmt: skip
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    ws = load_workbook(tmp_path / "calc" / source.name)[SHEET]
    for cell, code in expected_cells("合并标题").items():
        colour = RED if code != "number-too-large" else AMBER
        assert ws[cell].fill.fgColor.rgb.endswith(colour[2:]), (cell, ws[cell].fill.fgColor.rgb)
        assert ws[cell].comment is not None and cell in ws[cell].comment.text


def test_the_xml_path_makes_the_cells_and_rows_it_marks(tmp_path: Path) -> None:
    """A problem at a cell the file never stored (a blank required value), in a row it never
    stored either: both are made, in order, and the cells around them keep their values."""
    source = tmp_path / "稀疏.xlsx"
    workbook = Workbook()
    ws = workbook.active
    ws.title = SHEET
    ws["A1"], ws["C1"], ws["A5"] = "日期", "联系点", "第五行"
    workbook.save(source)
    problems = tuple(Problem("value-required", Location("稀疏.xlsx", SHEET, cell),
                             params={"column": "活动类型"}) for cell in ("B1", "B3"))  # fmt: skip
    job = Job(Source(str(source), "ledger"), tmp_path / "回执.xlsx", problems, "张三，退回")

    assert patching.annotate_workbook(job) == job.target

    marked = load_workbook(job.target)[SHEET]
    assert [marked[c].value for c in ("A1", "C1", "A5")] == ["日期", "联系点", "第五行"]
    for cell in ("B1", "B3"):
        assert marked[cell].fill.fgColor.rgb == RED and cell in marked[cell].comment.text
    with zipfile.ZipFile(job.target) as archive:  # Excel wants rows and cells in order
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert re.findall(r'<c r="([A-Z]+\d+)"', xml) == ["A1", "B1", "C1", "B3", "A5"]


def _png() -> bytes:
    """A one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))  # fmt: skip


def test_the_xml_path_keeps_a_picture_pasted_into_the_marked_sheet(tmp_path: Path) -> None:
    source = tmp_path / "有图片.xlsx"
    workbook = xlsxwriter.Workbook(str(source))
    ws = workbook.add_worksheet(SHEET)
    ws.write("A1", "日期")
    ws.insert_image("D2", "照片.png", {"image_data": io.BytesIO(_png())})
    workbook.close()
    problem = Problem("value-required", Location("有图片.xlsx", SHEET, "B2"), params={"column": "活动类型"})
    job = Job(Source(str(source), "ledger"), tmp_path / "回执.xlsx", (problem,), "张三，退回")

    assert patching.annotate_workbook(job) == job.target

    with zipfile.ZipFile(job.target) as archive:
        assert archive.read("xl/media/image1.png") == _png()
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert xml.index("<drawing ") < xml.index("<legacyDrawing ")  # the schema's order
    assert "B2" in load_workbook(job.target)[SHEET]["B2"].comment.text
