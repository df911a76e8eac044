"""Validate: every sheet kind checked once over all files' rows, every failure located."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

import pandas as pd
import pandera.pandas as pa

from pipeline.checking import check_context
from pipeline.forms.spec import TEMPLATES
from pipeline.ingest import Batch
from pipeline.problems import Problem
from pipeline.validate.schemas import Typed, sheet_schema
from pipeline.validate.translate import format_value, translate

__all__ = ["check_context", "validate"]


def _load_backends() -> None:
    """pandera imports its pandas backends at a process's first validation (and, where
    hypothesis is installed, its strategies: a hundred modules, 50-80 ms). Validating nothing
    here does it on import, which the fork server does once for every reader it forks."""
    unique = pa.Check(lambda frame: ~frame.duplicated(["x"]))
    column = pa.Column(checks=[pa.Check(lambda s: s.notna(), ignore_na=False)], nullable=True)
    schema = pa.DataFrameSchema({"x": column}, checks=[unique])
    schema.validate(pd.DataFrame({"x": [1]}), lazy=True, inplace=True)


_load_backends()


def validate(
    batch: Batch, *, as_of: date, year: int | None = None,
    known: Mapping[str, list[Problem]] | None = None,
) -> dict[str, list[Problem]]:  # fmt: skip
    """All problems of the batch, by file display name (files without problems included).

    Files in ``known`` (display → problems found before, under the same as-of date and year)
    are not checked again: a file's problems depend on nothing but it and those two.
    """
    if known:
        unchecked = [int(str(n)) for n, d in batch.files["display"].items() if d not in known]
        found = _validate(batch.subset(unchecked), as_of, year) if unchecked else {}
        return {d: list(known[d]) if d in known else found[d] for d in batch.files["display"]}
    return _validate(batch, as_of, year)


def _validate(batch: Batch, as_of: date, year: int | None) -> dict[str, list[Problem]]:
    file_year = _file_years(batch)
    context = {f"year:{n}": format_value(y) for n, y in file_year.items()}
    context |= {"year-mismatch": str(year or ""), "date-in-future": as_of.isoformat()}
    problems = list(batch.problems)
    for template in TEMPLATES.values():
        for spec in template.sheets:
            frame = batch.sheets[spec.name]
            if frame.empty:
                continue
            row_year = frame["_file"].map(file_year)
            typed = Typed(frame)
            schema = sheet_schema(spec, typed, row_year, as_of, year)
            try:
                schema.validate(frame, lazy=True, inplace=True)  # no coercion: a copy is waste
            except pa.errors.SchemaErrors as errors:
                problems += translate(errors.failure_cases, spec, frame, batch, context)
            finally:
                typed.release()
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for display in batch.files["display"]:
        by_file[display] = []
    for problem in problems:
        by_file[problem.location.file].append(problem)
    return dict(by_file)


def _file_years(batch: Batch) -> pd.Series:
    """Each ledger file's declared 年度 (valid four-digit years only), by file number."""
    info = batch.sheets["基本信息"]
    years = pd.to_numeric(
        info["年度"].where(info["年度"].map(lambda v: isinstance(v, float))), errors="coerce"
    )
    valid = years.between(2000, 2100) & (years % 1 == 0)
    return pd.Series(
        years[valid].to_numpy(), index=info.loc[valid, "_file"].to_numpy(), dtype=float
    )
