"""Turn the values people type into typed values, one whole column at a time.

Dates typed as 2026年3月5日 / 2026.3.5 / 2026/3/5 or Excel serials, full-width digits, "3人",
stray and full-width spaces. A value that cannot be understood is left as its cleaned text, so
validation reports exactly what the cadre typed. Text is cleaned once per distinct value (a
column of a million rows holds a few thousand), dates and numbers are converted array-wise.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from itertools import repeat

import numpy as np
import pandas as pd

from pipeline.forms.spec import Field, Kind
from pipeline.ingest import segment

DATE_PATTERN = r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$"
NUMBER_PATTERN = r"^([+-]?\d+(?:\.\d+)?)\s*(?:人|名|次|天|日|个|场|项|篇)?$"
YEAR_PATTERN = r"^(\d{4})\s*年?(?:度)?$"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# the days a ledger can keep (nanoseconds since 1970: 1677 to 2262); any other is kept as text
FIRST_DAY, LAST_DAY = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
LAST_SERIAL = (LAST_DAY.date() - EXCEL_EPOCH.date()).days
_DATE = re.compile(DATE_PATTERN)


class TypeTest(dict[type, bool]):
    """``isinstance(value, accept) and not isinstance(value, reject)``, decided once per type.

    `mask` maps it over a column: a dictionary lookup per value, done in C, three times
    faster than a comprehension calling isinstance (a column holds a handful of types).
    """

    def __init__(self, accept: tuple[type, ...], reject: tuple[type, ...] = ()) -> None:
        super().__init__()
        self.accept, self.reject = accept, reject

    def __missing__(self, kind: type) -> bool:
        verdict = self[kind] = issubclass(kind, self.accept) and not issubclass(kind, self.reject)
        return verdict

    def mask(self, array: np.ndarray) -> np.ndarray:
        return np.fromiter(map(self.__getitem__, map(type, array)), bool, len(array))


NUMERIC = TypeTest((int, float), reject=(bool,))  # a TRUE/FALSE cell is no number
DAY = TypeTest((dt.date,))  # datetimes too
BOOLEAN = TypeTest((bool, np.bool_))


def normalise_column(values: pd.Series, spec: Field) -> pd.Series:
    """The typed column for one field: Timestamps, floats or clean text; unreadable text kept."""
    typed, _, _ = normalise_typed(values.to_numpy(dtype=object), spec)
    return pd.Series(typed, index=values.index, dtype=object, name=values.name)


def normalise_coded(
    codes: np.ndarray, cells: np.ndarray, spec: Field
) -> tuple[np.ndarray, np.ndarray, segment.Coded | None]:
    """`normalise_typed` of the column ``cells[codes]``, each distinct cell its rows hold typed
    once (`pipeline.ingest.codebook`)."""
    held = np.zeros(len(cells), dtype=bool)
    held[codes] = True
    if held.all():  # a task's books hold its files' cells alone
        rows = codes
    else:
        rows = (np.cumsum(held) - 1)[codes]  # each row's place among the cells held
        cells = cells[held]
    typed, kinds, coded = normalise_typed(cells, spec)
    return typed[rows], kinds[rows], None if coded is None else coded[rows]


def normalise_typed(
    array: np.ndarray, spec: Field
) -> tuple[np.ndarray, np.ndarray, segment.Coded | None]:
    """`normalise_column` of an object array, with each typed value's kind
    (`segment.kinds_of`): a text column's are those of its distinct values, spread; and, for a
    column of text and blanks, each row's code into its distinct values typed (the encoder
    need not look for them again)."""
    if spec.kind is Kind.DATE:
        out = _per_distinct(array, _dates)
    elif spec.kind in (Kind.INTEGER, Kind.NUMBER, Kind.YEAR):
        pattern = NUMBER_PATTERN if spec.kind is not Kind.YEAR else YEAR_PATTERN
        out = _per_distinct(array, lambda distinct: _numbers(distinct, pattern))
    else:
        convert = _compact if spec.kind is Kind.CHOICE or spec.compact else _clean
        if _all_text(array):
            table, codes, distinct = _distinct_table(array, convert)
            return table[codes], segment.kinds_of(table)[codes], segment.Coded(codes, table, distinct)
        out = _texts(array, convert)
    return out, segment.kinds_of(out), None


def _per_distinct(array: np.ndarray, convert: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``convert``, which types each value on its own, applied to each distinct value once (a
    column of dates or counts holds a few hundred). Blanks are converted as they are; a TRUE
    or FALSE cell would share a key with 1 or 0, so a column holding one is converted whole."""
    if BOOLEAN.mask(array).any():
        return convert(array)
    codes, distinct = pd.factorize(array)
    out = _table(convert(np.asarray(distinct, dtype=object)))[codes]
    blank = codes == -1
    if blank.any():
        out[blank] = convert(array[blank])
    return out


def _clean(text: str) -> str | None:
    return " ".join(unicodedata.normalize("NFKC", text).split()) or None


def _compact(text: str) -> str | None:
    """An identity or a choice: every space removed before comparing."""
    return "".join(unicodedata.normalize("NFKC", text).split()) or None


def _to_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value)


def _strings(array: np.ndarray) -> np.ndarray:
    if pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty"):
        return ~np.asarray(pd.isna(array))
    return np.fromiter(map(operator.is_, map(type, array), repeat(str)), bool, len(array))


def _table(converted: Sequence[object] | np.ndarray) -> np.ndarray:
    """The converted distinct values, and None last: indexed by `pd.factorize` codes, a row
    takes its value and a blank (None, NaN: code -1) None."""
    table = np.empty(len(converted) + 1, dtype=object)
    table[:-1] = converted
    return table


def _by_distinct(texts: np.ndarray, convert: Callable[[str], object]) -> np.ndarray:
    """``convert`` applied once per distinct string; a blank stays None."""
    table, codes, _ = _distinct_table(texts, convert)
    return table[codes]


def _distinct_table(
    texts: np.ndarray, convert: Callable[[str], object]
) -> tuple[np.ndarray, np.ndarray, bool]:
    """``convert`` of each distinct string (`_table`), each row's code into it, and whether
    the table's texts are distinct still (cleaning left each as it was: none made equal)."""
    codes, found = pd.factorize(texts)
    compact = _CHECKED_TOGETHER.get(convert)
    table = None if compact is None else _cleaned(found, compact)
    if table is not None:
        return table, codes, True
    return _table([convert(text) for text in found]), codes, False


def _cleaned(distinct: np.ndarray, compact: bool) -> np.ndarray | None:
    """`_table` of the distinct texts cleaned, when cleaning leaves each as it is but a blank
    cell's "" (None); None when some text needs cleaning."""
    table = _table(distinct)
    blank = table[:-1] == ""
    if not _unchanged(distinct[~blank] if blank.any() else distinct, compact):
        return None
    table[:-1][blank] = None
    return table


def _unchanged(texts: np.ndarray, compact: bool) -> bool:
    """Whether `_clean` (`_compact` if ``compact``) would return each of ``texts`` as it is:
    what most cells hold. Decided over the texts joined, in a few passes in C, instead of a
    call a text (a task's names and phone numbers are ~100,000 distinct texts).

    Joined by newlines (NFKC leaves them, and nothing composes with them), the texts are all
    NFKC-normal when the whole is; none holds a newline when there are one fewer than texts;
    and, those newlines taken as spaces, the whole splits on whitespace into single spaces
    alone (`_clean`), or into the texts themselves (`_compact`), only if no text is empty,
    spaced at either end or holds any other whitespace (or, compact, any at all).
    """
    if not len(texts):
        return True
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1 or not unicodedata.is_normalized("NFKC", joined):
        return False
    if compact:
        return joined.split() == list(texts)
    spaced = joined.replace("\n", " ")
    return " ".join(spaced.split()) == spaced


# the cleaners whose texts `_cleaned` can check together: whether each is `_compact`
_CHECKED_TOGETHER: dict[Callable[[str], object], bool] = {_clean: False, _compact: True}


def _all_text(array: np.ndarray) -> bool:
    """Text and blanks only."""
    return pd.api.types.infer_dtype(array, skipna=True) in ("string", "empty")


def _texts(array: np.ndarray, convert: Callable[[str], object]) -> np.ndarray:
    if _all_text(array):
        return _by_distinct(array, convert)
    out = np.full(len(array), None, dtype=object)
    strings = _strings(array)
    out[strings] = _by_distinct(array[strings], convert)
    others = ~strings & ~np.asarray(pd.isna(array))
    out[others] = [convert(_to_text(v)) for v in array[others]]
    return out


def _dates(array: np.ndarray) -> np.ndarray:
    out = np.full(len(array), None, dtype=object)
    is_date = DAY.mask(array)
    stamps = pd.to_datetime(pd.Series(array[is_date], dtype=object), errors="coerce").dt.normalize()
    far = (stamps.notna() & ~stamps.between(FIRST_DAY, LAST_DAY)).to_numpy()
    codes, calendar = pd.factorize(stamps.mask(far))  # a year has 365 days, not a million
    shared = np.empty(len(calendar) + 1, dtype=object)
    shared[:-1], shared[-1] = list(calendar), pd.NaT  # code -1 (NaT) takes the last
    out[is_date] = shared[codes]
    far_days = np.flatnonzero(is_date)[far]
    out[far_days] = [_clean(_to_text(v)) for v in array[far_days]]
    serial = NUMERIC.mask(array)
    days = pd.to_numeric(pd.Series(array[serial], dtype=object), errors="coerce").to_numpy(float)
    plausible = (days >= 1) & (days <= LAST_SERIAL)
    where = np.flatnonzero(serial)
    out[where[plausible]] = (
        EXCEL_EPOCH + pd.to_timedelta(np.round(days[plausible]), unit="D")
    ).astype(object)
    unread = where[~plausible & ~np.isnan(days)]  # numbers that are no day: kept as text
    out[unread] = [_clean(_to_text(v)) for v in array[unread]]
    rest = ~is_date & ~serial & ~np.asarray(pd.isna(array))
    out[rest] = _typed_dates(
        np.array([v if type(v) is str else _to_text(v) for v in array[rest]], dtype=object)
    )
    return out


def _typed_dates(texts: np.ndarray) -> np.ndarray:
    """2026年3月5日, 2026.3.5 … as Timestamps; anything else (2026年2月30日 too) its cleaned text."""
    if not len(texts):
        return texts
    codes, distinct = pd.factorize(texts)
    cleaned = pd.Series([_clean(text) for text in distinct], dtype=object)
    parts = cleaned.str.extract(DATE_PATTERN)
    days = pd.to_datetime({"year": parts[0], "month": parts[1], "day": parts[2]}, errors="coerce")
    days = days.where(days.between(FIRST_DAY, LAST_DAY))
    return cleaned.where(days.isna(), days.astype(object)).to_numpy()[codes]


def _numbers(array: np.ndarray, pattern: str) -> np.ndarray:
    out = np.full(len(array), None, dtype=object)
    numeric = NUMERIC.mask(array)
    out[numeric] = [float(v) for v in array[numeric]]
    number = re.compile(pattern)

    def parse(text: str) -> object:
        cleaned = _clean(text)
        match = number.match(cleaned or "")
        return float(match[1]) if match else cleaned

    rest = ~numeric & ~np.asarray(pd.isna(array))
    out[rest] = _texts(array[rest], parse)
    return out


def is_date_text(values: pd.Series) -> pd.Series:
    """Text shaped like a date (left unconverted only because no such day exists)."""
    array = values.to_numpy(dtype=object)
    strings = _strings(array)
    shaped = np.zeros(len(array), dtype=bool)
    shaped[strings] = _by_distinct(array[strings], lambda t: _DATE.match(t) is not None).astype(
        bool
    )
    return pd.Series(shaped, index=values.index)


def as_datetimes(
    values: pd.Series, kinds: np.ndarray | None = None, days: np.ndarray | None = None
) -> pd.Series:
    """Normalised values as datetime64 (NaT for anything not a day), without parsing anything.

    ``kinds`` and ``days``, the values' `segment.kinds_of` and `day_nanoseconds` when the
    caller has them (a reader's typed frame keeps them), save a pass each.
    """
    if days is None:
        array = values.to_numpy(dtype=object)
        if kinds is None and pd.api.types.infer_dtype(array, skipna=True) in ("datetime", "empty"):
            stamps = pd.DatetimeIndex(array).as_unit("ns").to_numpy()  # days and blanks only
            return pd.Series(stamps, index=values.index, name=values.name)
        days = day_nanoseconds(array, segment.kinds_of(array, kinds))
    return pd.Series(days.view("datetime64[ns]"), index=values.index, name=values.name)


def day_nanoseconds(array: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Each normalised value's day as nanoseconds since 1970; a NaT's for any other value."""
    stamp = kinds == segment.STAMP
    days = np.full(len(array), np.iinfo(np.int64).min)  # NaT
    days[stamp] = segment.nanoseconds(array[stamp])
    return days


def as_floats(values: pd.Series, kinds: np.ndarray | None = None) -> pd.Series:
    """Normalised values as float64 (NaN for anything not a number); ``kinds`` as above."""
    array = values.to_numpy(dtype=object)
    if kinds is None and pd.api.types.infer_dtype(array, skipna=True) in ("floating", "empty"):
        return pd.Series(array.astype(np.float64), index=values.index, name=values.name)
    number = segment.kinds_of(array, kinds) == segment.FLOAT
    floats = np.full(len(array), np.nan)
    floats[number] = array[number].astype(np.float64)
    return pd.Series(floats, index=values.index, name=values.name)
