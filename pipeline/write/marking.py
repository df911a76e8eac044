"""Marking one workbook with openpyxl, the only openpyxl writer: what the annotating processes
fall back on (`pipeline.write.patching.annotate_safely`) when editing its XML cannot.

The cadre's values are never re-assigned (so never turned into formulas); the template's
validations are re-created from the spec (openpyxl drops some on re-save; a cadre's inserted
rows leave them behind); a first sheet 错误清单 lists every problem with a link to its cell.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.forms.spec import TEMPLATES, Sheet
from pipeline.forms.validations import Validation
from pipeline.problems import Problem
from pipeline.write.annotate import Job
from pipeline.write.files import atomic_path
from pipeline.write.patching import (
    AUTHOR,
    FILL_RGB,
    HEADER_RGB,
    LINK_RGB,
    LIST_HEADERS,
    LIST_NOTE,
    LIST_SHEET,
    LIST_WIDTHS,
    comment_lines,
    errors_first,
    formula,
    link_location,
    list_row_height,
    list_values,
    problems_by_cell,
    validation_ranges,
    worst,
)

FILLS = {severity: PatternFill("solid", fgColor=rgb) for severity, rgb in FILL_RGB.items()}
HEADER_FILL = PatternFill("solid", fgColor=HEADER_RGB)


def annotate_workbook(job: Job) -> Path | None:
    """Write the annotated copy of ``job.source`` to ``job.target``; None if not possible."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # extensions openpyxl cannot keep: re-created below
        workbook = load_workbook(job.source.open(), rich_text=True)
    template = TEMPLATES[job.source.template_id]
    if not any(sheet.name in workbook.sheetnames for sheet in template.sheets):
        return None  # e.g. Strict Open XML, which openpyxl reads as empty
    for name, cells in problems_by_cell(job.problems, workbook.sheetnames).items():
        for cell, found in cells.items():
            _mark(workbook[name], cell, found)
    for sheet in template.sheets:
        if sheet.name in workbook.sheetnames and job.source.anchors.get(sheet.name):
            _restore_validations(workbook[sheet.name], sheet, job.source.anchors[sheet.name])
    _write_list(workbook, job)
    with atomic_path(job.target, durable=False) as temporary:  # `annotate_all` syncs them all
        workbook.save(temporary)
    return job.target


def _mark(ws: Worksheet, cell: str, problems: list[Problem]) -> None:
    """Fill the cell (red for an error, amber for a warning) and comment on it.

    A cell inside a merged range is filled; its comment goes on the range's top-left cell,
    the only one a spreadsheet shows.
    """
    ws[cell].fill = FILLS[worst(problems)]
    anchor = next((str(r.start_cell.coordinate) for r in ws.merged_cells.ranges if cell in r), cell)
    text = "\n".join(comment_lines(cell, problems))
    old = ws[anchor].comment
    if old is not None and old.author != AUTHOR:
        text = f"{text}\n——原批注：{old.text}"
    elif old is not None:
        text = f"{old.text}\n{text}"
    ws[anchor].comment = Comment(text, AUTHOR, height=40 + 40 * text.count("\n"), width=320)


def _restore_validations(ws: Worksheet, sheet: Sheet, anchors: Mapping[str, str]) -> None:
    """Replace the sheet's validations by the template's, at the fields' real positions."""
    ws.data_validations.dataValidation = []
    for validation, where in validation_ranges(sheet, anchors, lambda ref: ws[ref].value):
        ws.add_data_validation(_openpyxl_validation(validation, where))


def _openpyxl_validation(v: Validation, ref: str) -> DataValidation:
    dv = DataValidation(
        type=None if v.kind == "any" else v.kind, allow_blank=True, sqref=ref,
        showInputMessage=True, promptTitle=v.field, prompt=v.prompt,
        showErrorMessage=v.kind != "any", errorTitle=v.field if v.error else None,
        error=v.error or None,
    )  # fmt: skip
    if v.kind == "list":
        dv.formula1 = '"' + ",".join(v.choices) + '"'
    elif v.minimum is not None:
        dv.operator = "between" if v.between else "greaterThanOrEqual"
        dv.formula1 = formula(v.minimum)
        dv.formula2 = formula(v.maximum) if v.between else None
    return dv


def _write_list(workbook: Workbook, job: Job) -> None:
    """The first sheet: every problem, errors first, each with a link to its cell."""
    ws = workbook.create_sheet(_free_name(workbook), 0)
    _text(ws.cell(1, 1), f"批注回执：{job.heading}").font = Font(bold=True, size=14)
    _text(ws.cell(2, 1), LIST_NOTE)
    for col, (header, width) in enumerate(zip(LIST_HEADERS, LIST_WIDTHS, strict=True), start=1):
        cell = _text(ws.cell(3, col), header)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = width
    for row, problem in enumerate(errors_first(job.problems), start=4):
        _list_row(ws, row, problem, workbook)
    _print_setup(ws, job.heading)
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    workbook.active = 0


def _list_row(ws: Worksheet, row: int, problem: Problem, workbook: Workbook) -> None:
    where = problem.location
    values = list_values(row - 3, problem)
    ws.cell(row, 1).value = values[0]
    for col, value in enumerate(values[1:], start=2):
        _text(ws.cell(row, col), str(value))
    for col in range(1, len(values) + 1):
        ws.cell(row, col).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = list_row_height(values)
    ws.cell(row, 2).fill = FILLS[problem.severity]
    if where.sheet in workbook.sheetnames and workbook[where.sheet].sheet_state == "visible":
        link = ws.cell(row, 3)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=link_location(problem),
                                   display=link.value)  # fmt: skip
        link.font = Font(color=LINK_RGB, underline="single")


def _text(cell, value: str):  # type: ignore[no-untyped-def]
    """Assign user text as text: openpyxl would make a string starting with "=" a formula."""
    cell.value = value
    cell.data_type = "s"
    return cell


def _free_name(workbook: Workbook) -> str:
    name, n = LIST_SHEET, 1
    while name in workbook.sheetnames:
        n += 1
        name = f"{LIST_SHEET}{n}"
    return name


def _print_setup(ws: Worksheet, heading: str) -> None:
    """A4 landscape, one page wide, the header row repeated, numbered pages."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "3:3"
    ws.freeze_panes = "A4"
    ws.oddHeader.center.text = f"批注回执：{heading}".replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
