"""The data validation (dropdown, range, input hint) of every template field, described once.

The blank-template builder (xlsxwriter) and the returned-workbook annotator (openpyxl) both
turn these descriptions into their library's objects, so a returned workbook gets back exactly
the dropdowns and hints of the template it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.forms.spec import Field, Kind, Sheet

REQUIRED = "（必填）"
DATE_RANGE = (date(2000, 1, 1), date(2100, 12, 31))
YEAR_RANGE = (2000, 2100)

DEFAULT_HINTS = {
    Kind.TEXT: "",
    Kind.CHOICE: "请从下拉列表中选择",
    Kind.DATE: "请填写日期，如 2026-03-05",
    Kind.INTEGER: "请填写不小于 0 的整数",
    Kind.NUMBER: "请填写不小于 0 的数字",
    Kind.YEAR: "请填写四位年份，如 2026",
}
ERRORS = {
    Kind.CHOICE: "请从下拉列表中选择",
    Kind.DATE: "请填写 2000-01-01 至 2100-12-31 之间的日期，如 2026-03-05",
    Kind.INTEGER: DEFAULT_HINTS[Kind.INTEGER],
    Kind.NUMBER: DEFAULT_HINTS[Kind.NUMBER],
    Kind.YEAR: "请填写 2000 至 2100 之间的四位年份，如 2026",
}


@dataclass(frozen=True)
class Validation:
    """One field's validation in library-neutral terms.

    ``kind`` is "any" (an input hint only), "list", "date", "whole" or "decimal";
    ``minimum``/``maximum`` bound the value (a lone minimum means "at least").
    """

    field: str
    kind: str
    prompt: str
    choices: tuple[str, ...] = ()
    minimum: date | int | None = None
    maximum: date | int | None = None
    error: str = ""

    @property
    def between(self) -> bool:
        return self.maximum is not None


def input_message(field: Field) -> str:
    """The hint shown when a cell is selected, ending in （必填） for required fields."""
    message = field.hint or DEFAULT_HINTS[field.kind]
    return f"{message}{REQUIRED}" if field.required else message


def validation_for(field: Field) -> Validation | None:
    """The field's validation, or None when it needs neither a check nor a hint."""
    prompt = input_message(field)
    if field.kind is Kind.TEXT:
        return Validation(field.name, "any", prompt) if prompt else None
    error = ERRORS[field.kind]
    if field.kind is Kind.CHOICE:
        return Validation(field.name, "list", prompt, field.choices, error=error)
    if field.kind is Kind.DATE:
        return Validation(field.name, "date", prompt, (), *DATE_RANGE, error=error)
    if field.kind is Kind.YEAR:
        return Validation(field.name, "whole", prompt, (), *YEAR_RANGE, error=error)
    kind = "whole" if field.kind is Kind.INTEGER else "decimal"
    return Validation(field.name, kind, prompt, (), 0, error=error)


def validations_for(sheet: Sheet) -> list[tuple[int, Validation]]:
    """(field position in the sheet, validation) for every field of ``sheet`` that has one."""
    described = ((i, validation_for(f)) for i, f in enumerate(sheet.fields))
    return [(i, v) for i, v in described if v is not None]
