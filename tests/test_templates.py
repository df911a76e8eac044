"""The committed blank templates match their generator and honour the spec's contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from pipeline.cli.templates import templates as templates_command
from pipeline.forms.build import build_all
from pipeline.forms.spec import ACTIVITY_TYPES, META_SHEET, TEMPLATES, Kind, Sheet, Template

COMMITTED = Path(__file__).resolve().parents[1] / "templates" / "xlsx"
ALL = pytest.mark.parametrize("template", TEMPLATES.values(), ids=TEMPLATES.keys())


def open_committed(template: Template) -> OpenpyxlWorkbook:
    return load_workbook(COMMITTED / template.file_name)


def validations(worksheet: Worksheet) -> list[DataValidation]:
    return list(worksheet.data_validations.dataValidation)


def value_cell(sheet: Sheet, field_name: str) -> str:
    """Where the first value of a field goes: B{n} on a key-value sheet, row 2 on a table."""
    index = sheet.field_names.index(field_name)
    return f"B{index + 1}" if sheet.key_value else f"{get_column_letter(index + 1)}2"


def test_committed_templates_match_the_generator(tmp_path: Path) -> None:
    for fresh in build_all(tmp_path):
        committed = COMMITTED / fresh.name
        assert committed.exists(), (
            f"{committed} is missing: run `lianxi templates --out templates/xlsx`"
        )
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{committed} is stale: run `lianxi templates --out templates/xlsx` to refresh it"
        )


def test_build_leaves_only_the_templates_behind(tmp_path: Path) -> None:
    build_all(tmp_path / "out")
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == sorted(template.file_name for template in TEMPLATES.values())


@ALL
def test_sheets_in_order_with_hidden_identity(template: Template) -> None:
    workbook = open_committed(template)
    names = [sheet.name for sheet in template.sheets]
    assert workbook.sheetnames == ["填写说明", *names, META_SHEET]
    meta = workbook[META_SHEET]
    assert meta.sheet_state == "hidden"
    assert (meta["B1"].value, meta["B2"].value) == (template.id, template.version)
    assert (
        workbook.defined_names["lianxi_template"].attr_text == f'"{template.id}:{template.version}"'
    )


@ALL
def test_headers_and_labels_are_the_spec_field_names(template: Template) -> None:
    workbook = open_committed(template)
    for sheet in template.sheets:
        worksheet = workbook[sheet.name]
        if sheet.key_value:
            labels = [row[0] for row in worksheet.iter_rows(min_col=1, max_col=1, values_only=True)]
            assert tuple(labels) == sheet.field_names
        else:
            header = next(worksheet.iter_rows(max_row=1, values_only=True))
            assert header == sheet.field_names


@ALL
def test_table_sheets_freeze_the_header_and_print_on_a4(template: Template) -> None:
    workbook = open_committed(template)
    for worksheet in workbook.worksheets[:-1]:
        assert worksheet.page_setup.paperSize == 9, worksheet.title
    for sheet in template.sheets:
        if not sheet.key_value:
            assert workbook[sheet.name].freeze_panes == "A2", sheet.name


def test_activity_type_dropdown_offers_every_type() -> None:
    worksheet = open_committed(TEMPLATES["ledger"])["活动记录"]
    lists = [dv for dv in validations(worksheet) if dv.type == "list" and "B2" in dv.sqref]
    assert len(lists) == 1
    assert all(activity in lists[0].formula1 for activity in ACTIVITY_TYPES)


@ALL
def test_date_fields_are_validated_as_dates(template: Template) -> None:
    workbook = open_committed(template)
    for sheet in template.sheets:
        dates = [dv for dv in validations(workbook[sheet.name]) if dv.type == "date"]
        for field in sheet.fields:
            if field.kind is Kind.DATE:
                cell = value_cell(sheet, field.name)
                assert any(cell in dv.sqref for dv in dates), f"{sheet.name}!{cell}"


@ALL
def test_calamine_reads_the_same_headers(template: Template) -> None:
    workbook = CalamineWorkbook.from_path(str(COMMITTED / template.file_name))
    assert workbook.sheet_names == ["填写说明", *(s.name for s in template.sheets), META_SHEET]
    for sheet in template.sheets:
        rows = workbook.get_sheet_by_name(sheet.name).to_python()
        found = [row[0] for row in rows] if sheet.key_value else rows[0]
        assert tuple(found) == sheet.field_names


def test_templates_command_writes_and_lists_every_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(templates_command, ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for template in TEMPLATES.values():
        assert (tmp_path / template.file_name).exists()
        assert template.file_name in result.output
