"""The one place pandera failures become located problems: check name = problem code."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipeline.forms.spec import Sheet
from pipeline.ingest import Batch
from pipeline.problems import CATALOGUE, Problem


def translate(
    failures: pd.DataFrame, spec: Sheet, frame: pd.DataFrame, batch: Batch, context: dict[str, str]
) -> list[Problem]:
    """Problems from pandera's failure cases; one per cell, the first check listed wins; in
    file, row and column order."""
    known = failures[failures["check"].isin(list(CATALOGUE)) & failures["index"].notna()]
    if known.empty:
        return []
    duplicates = known["check"] == "duplicate-row"
    known = pd.concat([known[~duplicates], _one_per_row(known[duplicates], spec)])
    known = known.drop_duplicates(["index", "column"], keep="first")
    rows = frame.loc[known["index"].astype("int64"), ["_file", "_row"]].to_numpy()
    # pandera's order depends on which other files' rows were checked alongside: read order
    place = known["column"].map({name: n for n, name in enumerate(spec.field_names)})
    order = np.lexsort((place.fillna(-1).to_numpy(), rows[:, 1], rows[:, 0]))
    known, rows = known.iloc[order], rows[order]
    problems = []
    for (code, column, value), (file_no, row) in zip(
        known[["check", "column", "failure_case"]].itertuples(index=False), rows, strict=True
    ):
        found = str(row) if code == "duplicate-row" else format_value(value)
        params = {
            "column": column,
            "expected": _expected(code, spec, column, int(file_no), context),
        }
        problems.append(
            Problem(code, batch.locate(spec.name, int(file_no), column, int(row)), found, params)
        )
    return problems


def _one_per_row(failures: pd.DataFrame, spec: Sheet) -> pd.DataFrame:
    """A duplicated row fails once, at its first identifying column."""
    return failures[failures["column"] == spec.unique_by[0]] if len(failures) else failures


def _expected(code: str, spec: Sheet, column: str, file_no: int, context: dict[str, str]) -> str:
    if code == "choice-invalid":
        return "、".join(spec.field(column).choices)
    if code == "number-too-large":
        return format_value(spec.field(column).maximum)
    if code == "date-out-of-year":
        return context.get(f"year:{file_no}", "")
    return context.get(code, "")


def format_value(value: object) -> str:
    """A value as a cadre would recognise it: 2026-03-05, 12, 0.5, the text they typed."""
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return "" if value is None else str(value)
