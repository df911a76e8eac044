"""Calendar periods (ISO weeks, months, quarters) and which of them a cadre's rows cover.

A period is required once it has ended on or before the as-of date; activity in the period
still under way is neither required nor counted yet, so every cadre faces the same number.
ISO weeks belong to the ISO year that holds their Thursday: week 1 of 2026 starts on Monday
2025-12-29, and 1–3 January 2027 lie in week 53 of 2026.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline.rules.model import Every

DAY = timedelta(days=1)


def calendar_periods(every: Every, year: int) -> pd.DataFrame:
    """The periods of ``year``: columns start and end (inclusive Timestamps), in order."""
    if every is Every.WEEK:
        weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
        starts = [date.fromisocalendar(year, w, 1) for w in range(1, weeks + 1)]
        ends = [s + 6 * DAY for s in starts]
    else:
        months = 1 if every is Every.MONTH else 3
        starts = [date(year, m, 1) for m in range(1, 13, months)]
        ends = [_next(s, months) - DAY for s in starts]
    return pd.DataFrame({"start": pd.to_datetime(starts), "end": pd.to_datetime(ends)})


def within(
    periods: pd.DataFrame, since: pd.Timestamp | None, until: pd.Timestamp | None
) -> pd.DataFrame:
    """The periods lying wholly inside a rule's date window (all of them without one)."""
    keep = pd.Series(True, index=periods.index)
    if since is not None:
        keep &= periods["start"] >= since
    if until is not None:
        keep &= periods["end"] <= until
    return periods[keep].reset_index(drop=True)


def period_of(dates: pd.Series, periods: pd.DataFrame) -> pd.Series:
    """Each date's period number (its row in ``periods``), or -1 outside every period."""
    starts = periods["start"].to_numpy(dtype="datetime64[ns]")
    ends = periods["end"].to_numpy(dtype="datetime64[ns]")
    stamps = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    found = np.searchsorted(starts, stamps, side="right") - 1
    inside = (found >= 0) & (stamps <= ends[np.clip(found, 0, None)]) if len(ends) else found >= 0
    return pd.Series(np.where(inside, found, -1), index=dates.index)


def covered(
    figure: pd.Series, threshold: float | pd.Series, ended: int, keys: pd.Index
) -> pd.Series:
    """Per key, how many of the first ``ended`` periods reach the threshold.

    ``figure`` is indexed by (_key, _period); a Series ``threshold`` is per key.
    """
    if figure.empty:
        return pd.Series(0.0, index=keys)
    frame = figure.rename("figure").reset_index()
    needed = frame["_key"].map(threshold) if isinstance(threshold, pd.Series) else threshold
    hit = frame[(frame["figure"] >= needed) & (frame["_period"] < ended)]
    return hit.groupby("_key").size().astype(float).reindex(keys, fill_value=0.0)


def cadre_threshold(share: float, sizes: pd.Series) -> pd.Series:
    """The cadres a unit needs in a period: its share of the unit's cadres, at least one."""
    return sizes.map(lambda n: max(math.ceil(share * n - 1e-9), 1)).astype(float)


def _next(start: date, months: int) -> date:
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)
