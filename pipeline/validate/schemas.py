"""pandera schemas built from the template spec; every check is named by its problem code.

A schema validates one sheet kind over all files' rows at once. Checks that depend on the file
(its 年度) or on the run (the assessment year, the as-of date) read aligned Series passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.forms.spec import Field, Kind, Sheet
from pipeline.ingest import segment
from pipeline.ingest.normalise import as_datetimes, as_floats, is_date_text


class Typed:
    """Each column's values seen by type once, shared by every check of a sheet kind.

    The checks of one column ask the same questions (is it a number, a day, date-shaped text?);
    answering them once per column, array-wise, is what makes millions of rows cheap.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._columns: dict[str, _Column] = {}

    def release(self) -> None:
        """Forget the frame: the schema, attached to the frame by pandera, must not hold it."""
        self.frame, self._columns = pd.DataFrame(), {}

    def __getitem__(self, name: str) -> _Column:
        if name not in self._columns:
            self._columns[name] = _Column(
                self.frame[name], segment.kinds_in(self.frame, name),
                segment.days_in(self.frame, name),
            )  # fmt: skip
        return self._columns[name]


class _Column:
    """A column's type masks and typed values; `series` says "passes" for every blank cell."""

    def __init__(
        self, values: pd.Series, kinds: np.ndarray | None = None, days: np.ndarray | None = None
    ) -> None:
        array = values.to_numpy(dtype=object)
        kinds = segment.kinds_of(array, kinds)
        self.values, self.index = values, values.index
        self.is_number = kinds == segment.FLOAT
        self.is_stamp = kinds == segment.STAMP
        self.is_text = kinds == segment.TEXT
        self.floats = as_floats(values, kinds).to_numpy()
        self.stamps = pd.DatetimeIndex(as_datetimes(values, kinds, days))
        self.blank = (kinds == segment.NONE) | (kinds == segment.NAT) | np.isnan(self.floats) & self.is_number

    @cached_property
    def date_text(self) -> np.ndarray:
        """Text shaped like a date, looked for among the text cells alone: a date column's
        cells are days, but for a few."""
        shaped = np.zeros(len(self.is_text), dtype=bool)
        shaped[self.is_text] = is_date_text(self.values[self.is_text]).to_numpy()
        return shaped

    def series(self, mask: np.ndarray, like: pd.Series) -> pd.Series:
        out = pd.Series(mask | self.blank, index=self.index, dtype=bool)
        return out if len(like) == len(out) else out.reindex(like.index)


def _typed_check(typed: Typed, test: Callable[[_Column], np.ndarray], name: str) -> pa.Check:
    """A check on a column's typed view, blank cells passing (pandera need not look for them)."""
    return pa.Check(
        lambda s: typed[str(s.name)].series(test(typed[str(s.name)]), s), name=name, ignore_na=False
    )


def _required(f: Field) -> list[pa.Check]:
    if f.required:
        return [pa.Check(lambda s: s.notna(), name="value-required", ignore_na=False)]
    if f.name == "填报日期":
        return [pa.Check(lambda s: s.notna(), name="fill-date-missing", ignore_na=False)]
    return []


def _date_checks(typed: Typed, file_year: pd.Series, as_of: date) -> list[pa.Check]:
    cutoff = pd.Timestamp(as_of).as_unit("ns").to_datetime64()

    def in_year(c: _Column) -> np.ndarray:
        years = file_year.reindex(c.index).to_numpy()
        return ~(~np.isnan(years) & (c.stamps.year.to_numpy() != years) & c.is_stamp)

    return [
        _typed_check(typed, lambda c: c.is_stamp | c.date_text, "date-unreadable"),
        _typed_check(typed, lambda c: ~c.date_text, "date-impossible"),
        _typed_check(typed, in_year, "date-out-of-year"),
        _typed_check(typed, lambda c: ~(c.stamps.to_numpy() > cutoff), "date-in-future"),
    ]


def _number_checks(typed: Typed, f: Field) -> list[pa.Check]:
    checks = [
        _typed_check(typed, lambda c: c.is_number, "number-unreadable"),
        _typed_check(typed, lambda c: ~(c.floats < 0), "number-negative"),
    ]
    if f.kind is Kind.INTEGER:
        checks.append(_typed_check(typed, lambda c: ~(c.floats % 1 > 0), "number-not-integer"))
    if f.maximum is not None:
        limit = f.maximum
        checks.append(_typed_check(typed, lambda c: ~(c.floats > limit), "number-too-large"))
    return checks


def _year_checks(typed: Typed, run_year: int | None) -> list[pa.Check]:
    def plausible(c: _Column) -> np.ndarray:
        return (c.floats >= 2000) & (c.floats <= 2100)

    checks = [_typed_check(typed, lambda c: plausible(c) & (c.floats % 1 == 0), "year-invalid")]
    if run_year is not None:
        checks.append(
            _typed_check(typed, lambda c: ~plausible(c) | (c.floats == run_year), "year-mismatch")
        )
    return checks


def _field_checks(
    typed: Typed, f: Field, file_year: pd.Series, as_of: date, run_year: int | None
) -> list[pa.Check]:
    checks = _required(f)
    if f.kind is Kind.DATE:
        checks += _date_checks(typed, file_year, as_of)
    elif f.kind in (Kind.INTEGER, Kind.NUMBER):
        checks += _number_checks(typed, f)
    elif f.kind is Kind.YEAR:
        checks += _year_checks(typed, run_year)
    elif f.kind is Kind.CHOICE:
        allowed = set(f.choices)
        checks.append(
            _typed_check(typed, lambda c: c.values.isin(allowed).to_numpy(), "choice-invalid")
        )
    return checks


def sheet_schema(
    spec: Sheet, typed: Typed, file_year: pd.Series, as_of: date, run_year: int | None
) -> pa.DataFrameSchema:
    """The schema of one sheet kind over ``typed``'s frame; `file_year` is each row's 年度."""
    wide = []
    if spec.unique_by:
        keys = ["_file", *spec.unique_by]

        def first(frame: pd.DataFrame) -> pd.Series:
            return ~_duplicated(frame, keys)

        # ignore_na=False: no row is blank in every column (_file, _row), so pandera's looking
        # for such rows to pass (isna of the whole frame) would find none
        wide.append(pa.Check(first, name="duplicate-row", ignore_na=False))
    columns = {
        f.name: pa.Column(checks=_field_checks(typed, f, file_year, as_of, run_year), nullable=True)
        for f in spec.fields
    }
    return pa.DataFrameSchema(columns, checks=wide, name=spec.name, strict=False)


def _duplicated(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """``frame.duplicated(keys)``, the first of equal rows kept, compared first on what is cheap
    to compare: the integer keys (the file), each date key's days (`segment.days_column`) and
    each text key's numbers (`segment.same_column`), where the frame keeps them. A row alone
    there is alone on every key; only the others are compared whole (hashing every row's
    texts and Timestamps was half of validating a task)."""
    kept = (found(frame, key) for key in keys for found in (segment.days_in, segment.same_in))
    aside = [values for values in kept if values is not None]
    if not aside:
        return frame.duplicated(keys, keep="first")
    integers = [frame[key].to_numpy() for key in keys if pd.api.types.is_integer_dtype(frame[key])]
    cheap = pd.DataFrame(dict(enumerate([*integers, *aside])))
    candidates = cheap.duplicated(keep=False).to_numpy()
    found = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        found[candidates] = frame.loc[candidates, keys].duplicated(keep="first").to_numpy()
    return pd.Series(found, index=frame.index)
