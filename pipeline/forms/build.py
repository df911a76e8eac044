"""Write the blank submission templates described in ``spec`` as xlsx workbooks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from pipeline.forms.spec import META_SHEET, TEMPLATES, Field, Kind, Sheet, Template
from pipeline.forms.validations import DEFAULT_HINTS, Validation, validations_for

INSTRUCTIONS_SHEET = "填写说明"
FOOTER = "&C第 &P 页，共 &N 页"
A4 = 9
LANDSCAPE_WIDTH = 90  # total column width (characters) beyond which A4 portrait is too narrow
CREATED = datetime(2026, 1, 1)  # fixed so that building twice gives identical bytes
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
PHONE_WORDS = ("电话", "联系方式")

XLSXWRITER_KINDS = {"whole": "integer"}  # the validations' kind names are Excel's


@dataclass(frozen=True)
class _Styles:
    """The cell formats of one workbook."""

    title: Format
    heading: Format
    header: Format
    required_header: Format
    wrap: Format
    date: Format
    text: Format

    @classmethod
    def add_to(cls, workbook: Workbook) -> _Styles:
        header = {
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "text_wrap": True,
            "valign": "vcenter",
        }
        return cls(
            title=workbook.add_format({"bold": True, "font_size": 16}),
            heading=workbook.add_format({"bold": True, "font_size": 12}),
            header=workbook.add_format(header),
            required_header=workbook.add_format({**header, "color": "red"}),
            wrap=workbook.add_format({"text_wrap": True, "valign": "top"}),
            date=workbook.add_format({"num_format": "yyyy-mm-dd"}),
            text=workbook.add_format({"num_format": "@"}),
        )

    def label(self, field: Field) -> Format:
        return self.required_header if field.required else self.header

    def value(self, field: Field) -> Format | None:
        if field.kind is Kind.DATE:
            return self.date
        if any(word in field.name for word in PHONE_WORDS):
            return self.text
        return None


def build_all(out_dir: Path) -> list[Path]:
    """Write every template into ``out_dir`` under its file name and return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / template.file_name for template in TEMPLATES.values()]
    for template, path in zip(TEMPLATES.values(), paths, strict=True):
        build_template(template, path)
    return paths


def build_template(template: Template, path: Path) -> None:
    """Write ``template`` to ``path`` atomically: a temporary file, then a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_workbook(template, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_workbook(template: Template, path: Path) -> None:
    """Write the instructions, the template's sheets and the hidden identity sheet."""
    workbook = Workbook(str(path), WORKBOOK_OPTIONS)
    workbook.set_properties({"title": template.title, "author": "lianxi", "created": CREATED})
    styles = _Styles.add_to(workbook)
    _write_instructions(workbook.add_worksheet(INSTRUCTIONS_SHEET), template, styles)
    for sheet in template.sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        if sheet.key_value:
            _write_key_value(worksheet, sheet, styles)
        else:
            _write_table(worksheet, sheet, styles)
    _write_meta(workbook.add_worksheet(META_SHEET), template)
    workbook.define_name("lianxi_template", f'="{template.id}:{template.version}"')
    workbook.close()


def _write_instructions(worksheet: Worksheet, template: Template, styles: _Styles) -> None:
    """The first sheet: title, numbered instructions and, per sheet, what each column wants."""
    worksheet.set_column(0, 0, 16)
    worksheet.set_column(1, 1, 72, styles.wrap)
    worksheet.set_column(2, 2, 10)
    worksheet.write_string(0, 0, template.title, styles.title)
    worksheet.write_string(2, 0, "填写要求", styles.heading)
    row = 3
    for number, line in enumerate(template.instructions, start=1):
        worksheet.write_string(row, 0, f"{number}.")
        worksheet.write_string(row, 1, line)
        row += 1
    for sheet in template.sheets:
        row = _write_field_list(worksheet, row + 1, sheet, styles)
    _set_print(worksheet, landscape=False)


def _write_field_list(worksheet: Worksheet, row: int, sheet: Sheet, styles: _Styles) -> int:
    """List a sheet's columns with their required marks and hints; return the next free row."""
    worksheet.write_string(row, 0, f"工作表「{sheet.name}」", styles.heading)
    headers = ("项目" if sheet.key_value else "列名", "填写说明", "是否必填")
    worksheet.write_row(row + 1, 0, headers, styles.header)
    for offset, field in enumerate(sheet.fields, start=row + 2):
        worksheet.write_string(offset, 0, field.name, styles.label(field))
        worksheet.write_string(offset, 1, _describe(field))
        worksheet.write_string(offset, 2, "必填" if field.required else "")
    return row + 2 + len(sheet.fields)


def _describe(field: Field) -> str:
    """A field's hint for the instructions sheet, naming the choices if the hint does not."""
    text = field.hint or DEFAULT_HINTS[field.kind]
    if field.choices and not all(choice in text for choice in field.choices):
        text = f"{text}。可选：{'、'.join(field.choices)}"
    return text


def _write_table(worksheet: Worksheet, sheet: Sheet, styles: _Styles) -> None:
    """A header row, then ``sheet.rows`` rows prepared with formats and validation."""
    last_column = len(sheet.fields) - 1
    for column, field in enumerate(sheet.fields):
        worksheet.write_string(0, column, field.name, styles.label(field))
        worksheet.set_column(column, column, field.width, styles.value(field))
    for column, validation in validations_for(sheet):
        worksheet.data_validation(1, column, sheet.rows, column, _options(validation))
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, sheet.rows, last_column)
    worksheet.repeat_rows(0)
    _set_print(worksheet, landscape=sum(f.width for f in sheet.fields) > LANDSCAPE_WIDTH)


def _write_key_value(worksheet: Worksheet, sheet: Sheet, styles: _Styles) -> None:
    """Labels in column A, one per field in spec order; the values go in column B."""
    worksheet.set_column(0, 0, 14)
    worksheet.set_column(1, 1, 40)
    for row, field in enumerate(sheet.fields):
        worksheet.write_string(row, 0, field.name, styles.label(field))
        worksheet.write_blank(row, 1, None, styles.value(field))
    for row, validation in validations_for(sheet):
        worksheet.data_validation(row, 1, row, 1, _options(validation))
    _set_print(worksheet, landscape=False)


def _options(validation: Validation) -> dict[str, Any]:
    """The xlsxwriter data-validation options of a validation description."""
    v = validation
    options: dict[str, Any] = {"validate": XLSXWRITER_KINDS.get(v.kind, v.kind)}
    if v.kind == "list":
        options["source"] = list(v.choices)
    elif v.between:
        options |= {"criteria": "between", "minimum": v.minimum, "maximum": v.maximum}
    elif v.minimum is not None:
        options |= {"criteria": ">=", "value": v.minimum}
    if v.error:
        options["error_message"] = v.error
    options |= {"input_title": v.field, "input_message": v.prompt}
    if v.kind != "any":
        options["error_title"] = v.field
    return options


def _write_meta(worksheet: Worksheet, template: Template) -> None:
    """The hidden sheet by which ingest recognises a form: id in B1, version in B2."""
    worksheet.write_string(0, 0, "template")
    worksheet.write_string(0, 1, template.id)
    worksheet.write_string(1, 0, "version")
    worksheet.write_number(1, 1, template.version)
    worksheet.write_string(2, 0, "generator")
    worksheet.write_string(2, 1, "lianxi")
    worksheet.hide()


def _set_print(worksheet: Worksheet, *, landscape: bool) -> None:
    """A4, one page wide, numbered pages."""
    worksheet.set_paper(A4)
    if landscape:
        worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)
    worksheet.set_footer(FOOTER)
