"""pandera schemas built from the template spec; every check is named by its problem code.

A schema validates one sheet kind over all files' rows at once. Checks that depend on the file
(its 年度) or on the run (the assessment year, the as-of date) read aligned Series passed in.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pandera.pandas as pa

from pipeline.forms.spec import Field, Kind, Sheet
from pipeline.ingest.normalise import is_date_text


def _is_timestamp(s: pd.Series) -> pd.Series:
    return pd.Series([isinstance(v, pd.Timestamp) for v in s.to_numpy(object)], s.index, bool)


def _is_number(s: pd.Series) -> pd.Series:
    return pd.Series([isinstance(v, float) for v in s.to_numpy(object)], s.index, bool)


def _as_float(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(_is_number(s)), errors="coerce")


def _as_datetime(s: pd.Series) -> pd.Series:
    """The Timestamps of ``s`` as a datetime column (NaT elsewhere), for array-wise comparisons."""
    return pd.to_datetime(s.where(_is_timestamp(s)), errors="coerce")


def _required(f: Field) -> list[pa.Check]:
    if f.required:
        return [pa.Check(lambda s: s.notna(), name="value-required", ignore_na=False)]
    if f.name == "填报日期":
        return [pa.Check(lambda s: s.notna(), name="fill-date-missing", ignore_na=False)]
    return []


def _date_checks(file_year: pd.Series, as_of: date) -> list[pa.Check]:
    cutoff = pd.Timestamp(as_of)

    def in_year(s: pd.Series) -> pd.Series:
        years = file_year.reindex(s.index)
        return ~(years.notna() & (_as_datetime(s).dt.year != years) & _is_timestamp(s))

    return [
        pa.Check(lambda s: _is_timestamp(s) | is_date_text(s), name="date-unreadable"),
        pa.Check(lambda s: ~is_date_text(s), name="date-impossible"),
        pa.Check(in_year, name="date-out-of-year"),
        pa.Check(lambda s: ~(_as_datetime(s) > cutoff), name="date-in-future"),
    ]


def _number_checks(f: Field) -> list[pa.Check]:
    checks = [
        pa.Check(_is_number, name="number-unreadable"),
        pa.Check(lambda s: ~(_as_float(s) < 0).astype(bool), name="number-negative"),
    ]
    if f.kind is Kind.INTEGER:
        checks.append(
            pa.Check(lambda s: ~(_as_float(s) % 1 > 0).astype(bool), name="number-not-integer")
        )
    if f.maximum is not None:
        limit = f.maximum
        checks.append(
            pa.Check(lambda s: ~(_as_float(s) > limit).astype(bool), name="number-too-large")
        )
    return checks


def _year_checks(run_year: int | None) -> list[pa.Check]:
    checks = [
        pa.Check(
            lambda s: _as_float(s).between(2000, 2100) & (_as_float(s) % 1 == 0),
            name="year-invalid",
        )
    ]
    if run_year is not None:
        checks.append(
            pa.Check(
                lambda s: ~_as_float(s).between(2000, 2100) | (_as_float(s) == run_year),
                name="year-mismatch",
            )
        )
    return checks


def _field_checks(
    f: Field, file_year: pd.Series, as_of: date, run_year: int | None
) -> list[pa.Check]:
    checks = _required(f)
    if f.kind is Kind.DATE:
        checks += _date_checks(file_year, as_of)
    elif f.kind in (Kind.INTEGER, Kind.NUMBER):
        checks += _number_checks(f)
    elif f.kind is Kind.YEAR:
        checks += _year_checks(run_year)
    elif f.kind is Kind.CHOICE:
        allowed = set(f.choices)
        checks.append(pa.Check(lambda s: s.isin(allowed), name="choice-invalid"))
    return checks


def sheet_schema(
    spec: Sheet, file_year: pd.Series, as_of: date, run_year: int | None
) -> pa.DataFrameSchema:
    """The schema of one sheet kind; `file_year` is each row's file 年度, aligned by index."""
    wide = []
    if spec.unique_by:
        keys = ["_file", *spec.unique_by]
        wide.append(pa.Check(lambda df: ~df.duplicated(keys, keep="first"), name="duplicate-row"))
    columns = {
        f.name: pa.Column(checks=_field_checks(f, file_year, as_of, run_year), nullable=True)
        for f in spec.fields
    }
    return pa.DataFrameSchema(columns, checks=wide, name=spec.name, strict=False)
