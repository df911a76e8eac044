"""Turn the values people type into typed values, one whole column at a time.

Dates typed as 2026年3月5日 / 2026.3.5 / 2026/3/5 or Excel serials, full-width digits, "3人",
stray and full-width spaces. A value that cannot be understood is left as its cleaned text, so
validation reports exactly what the cadre typed.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from pipeline.forms.spec import Field, Kind

DATE_PATTERN = r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$"
NUMBER_PATTERN = r"^([+-]?\d+(?:\.\d+)?)\s*(?:人|名|次|天|日|个|场|项|篇)?$"
YEAR_PATTERN = r"^(\d{4})\s*年?(?:度)?$"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SPACES = re.compile(r"\s+")


def normalise_column(values: pd.Series, spec: Field) -> pd.Series:
    """The typed column for one field: Timestamps, floats or clean text; unreadable text kept."""
    text = clean_text(values)
    if spec.kind is Kind.DATE:
        return _dates(values, text)
    if spec.kind in (Kind.INTEGER, Kind.NUMBER):
        return _numbers(values, text, NUMBER_PATTERN)
    if spec.kind is Kind.YEAR:
        return _numbers(values, text, YEAR_PATTERN)
    if spec.kind is Kind.CHOICE or spec.compact:
        return text.str.replace(_SPACES, "", regex=True).astype(object).where(text.notna(), None)
    return text


def clean_text(values: pd.Series) -> pd.Series:
    """Width-folded, trimmed text (inner runs of spaces collapsed); None for empty cells."""
    as_text = values.map(_to_text, na_action="ignore").astype(object)
    folded = as_text.str.normalize("NFKC").str.replace(_SPACES, " ", regex=True).str.strip()
    return folded.astype(object).where(folded.notna() & (folded != ""), None)


def _to_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value)


def _dates(values: pd.Series, text: pd.Series) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    is_date = values.map(lambda v: isinstance(v, dt.date))
    out[is_date] = values[is_date].map(lambda v: pd.Timestamp(v).normalize())
    serial = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    days = pd.to_numeric(values[serial], errors="coerce")
    plausible = days.between(1, 2958465)  # 1900-01-01 .. 9999-12-31
    out[days[plausible].index] = (
        EXCEL_EPOCH + pd.to_timedelta(days[plausible].round(), unit="D")
    ).astype(object)
    typed = text[~is_date & ~serial & text.notna()]
    parts = typed.str.extract(DATE_PATTERN)
    parsed = pd.to_datetime(
        {"year": parts[0], "month": parts[1], "day": parts[2]}, errors="coerce"
    ) if len(parts) else pd.Series(dtype="datetime64[ns]")  # fmt: skip
    out[typed.index] = parsed.astype(object).where(parsed.notna(), typed)
    leftover = serial & out.isna() & values.notna()
    out[leftover] = text[leftover]
    return out


def _numbers(values: pd.Series, text: pd.Series, pattern: str) -> pd.Series:
    out = pd.Series(None, index=values.index, dtype=object)
    numeric = values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    out[numeric] = values[numeric].astype(float)
    typed = text[~numeric & text.notna()]
    digits = pd.to_numeric(typed.str.extract(pattern)[0], errors="coerce").astype("float64")
    out[typed.index] = digits.astype(object).where(digits.notna(), typed)
    return out


def is_date_text(values: pd.Series) -> pd.Series:
    """Text shaped like a date (left unconverted only because no such day exists)."""
    return values.map(lambda v: isinstance(v, str)).astype(bool) & values.astype(str).str.match(
        DATE_PATTERN
    )
