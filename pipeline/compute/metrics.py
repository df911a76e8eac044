"""Each rule's metric measured for every cadre (or unit) at once: Series indexed by key.

The rows handed in carry `_key`: the cadre's file number, or the unit for unit-level rules.
Rows dated after the as-of date do not count yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pipeline.compute.coverage import cadre_threshold, calendar_periods, covered, period_of, within
from pipeline.rules.metric import POINT_COLUMN, SHEETS
from pipeline.rules.model import Condition, Metric, MetricKind

K = MetricKind
DAY_FIGURES = (K.DAYS, K.STAYS)
ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    year: int
    as_of: date

    def day(self, mmdd: str | None) -> pd.Timestamp | None:
        return pd.Timestamp(f"{self.year}-{mmdd}") if mmdd else None


@dataclass(frozen=True)
class Setting:
    """What a metric is measured against besides its rows."""

    calendar: Calendar
    points: pd.DataFrame = field(  # `_key`, `_point`: each cadre's registered contact points
        default_factory=lambda: pd.DataFrame(columns=["_key", "_point"])
    )
    sizes: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # unit -> cadres


@dataclass(frozen=True)
class Measure:
    actual: pd.Series  # by key
    high: pd.Series  # the figure held against a maximum (per point: the largest point)
    periods: int | None = None  # coverage: the periods ended by the as-of date


def measure(metric: Metric, rows: pd.DataFrame, keys: pd.Index, setting: Setting) -> Measure:
    """The metric's value for every key in `keys` (0 where a key has no matching rows)."""
    matching = matching_rows(metric, rows, setting.calendar)
    if metric.kind is K.COVERAGE:
        return _coverage(metric, matching, keys, setting)
    if metric.kind is K.PER_POINT:
        return _per_point(metric, matching, keys, setting)
    if metric.kind is K.PROHIBITION:
        values = violating_rows(metric, matching).groupby("_key").size()
    else:
        frame = _dated(metric, matching, setting.calendar)
        values = aggregate(metric.kind, metric, frame, ["_key"], setting)
    actual = _by_key(values, keys)
    return Measure(actual, actual)


def matching_rows(metric: Metric, rows: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Rows dated by the as-of date, meeting every `where` and (unless days) in the window."""
    mask = pd.Series(True, index=rows.index)
    dated_by = SHEETS[metric.sheet].dated_by
    if dated_by:
        mask &= pd.to_datetime(rows[dated_by]) <= pd.Timestamp(calendar.as_of)
    for condition in metric.where:
        mask &= _meets(condition, rows[condition.column])
    if metric.date_column and metric.figure not in DAY_FIGURES:
        dates = pd.to_datetime(rows[metric.date_column])
        since, until = calendar.day(metric.since), calendar.day(metric.until)
        if since is not None:
            mask &= dates >= since
        if until is not None:
            mask &= dates <= until
    return rows if mask.all() else rows[mask]


def aggregate(
    figure: MetricKind, metric: Metric, frame: pd.DataFrame, by: list[str], setting: Setting
) -> pd.Series:
    """One figure per group of ``by`` (`_date` placed by `_dated`)."""
    keys = [frame[b] for b in by]
    if figure is K.SUM:
        return row_figure(frame, metric.columns).groupby(keys).sum()
    if figure is K.DISTINCT:
        present = frame.dropna(subset=list(metric.columns), how="all")
        return present.drop_duplicates([*by, *metric.columns]).groupby(by).size()
    if figure is K.DAYS:
        return frame.drop_duplicates([*by, "_date"]).groupby(by).size()
    if figure is K.STAYS:
        return _stays(frame, by, float(metric.min_days or 1))
    if figure is K.LATEST:
        return _latest(frame, by, str(metric.column))
    if figure is K.CADRES:
        return frame.groupby(by)["_file"].nunique()
    return frame.groupby(by).size()


def row_figure(rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The columns added per row (blank cells count 0); 1 per row without columns."""
    if not columns:
        return pd.Series(1.0, index=rows.index)
    return rows[list(columns)].apply(pd.to_numeric, errors="coerce").fillna(0.0).sum(axis=1)


def violating_rows(metric: Metric, rows: pd.DataFrame) -> pd.DataFrame:
    """The matching rows that break a prohibition's limit, with their figure in `_figure`."""
    figure = row_figure(rows, metric.columns)
    broken = figure > metric.above if metric.above is not None else figure == figure
    return rows[broken].assign(_figure=figure[broken] if metric.columns else np.nan)


def _meets(condition: Condition, values: pd.Series) -> pd.Series:
    if condition.values:
        return values.isin(condition.values)
    mask = values.notna() & (values.astype(str).str.strip() != "")
    numbers = pd.to_numeric(values, errors="coerce")
    if condition.minimum is not None:
        mask &= numbers >= condition.minimum
    if condition.maximum is not None:
        mask &= numbers <= condition.maximum
    return mask


def _dated(metric: Metric, rows: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Rows with `_date`; for day figures, one row per whole day covered, inside the window."""
    column = metric.date_column or SHEETS[metric.sheet].dated_by
    dates = pd.to_datetime(rows[column]) if column else pd.Series(pd.NaT, index=rows.index)
    if metric.figure not in DAY_FIGURES:
        return rows.assign(_date=dates)
    length = pd.to_numeric(rows[str(metric.column)], errors="coerce").fillna(0.0).clip(lower=0)
    whole = np.floor(length.to_numpy(dtype=float) + 1e-9).astype(int)
    expanded = rows.loc[rows.index.repeat(whole)]
    offsets = pd.to_timedelta(expanded.groupby(level=0).cumcount().to_numpy(), unit="D")
    expanded = expanded.assign(_date=dates.loc[expanded.index].to_numpy() + offsets)
    since, until = calendar.day(metric.since), calendar.day(metric.until)
    end = (
        min(until, pd.Timestamp(calendar.as_of))
        if until is not None
        else pd.Timestamp(calendar.as_of)
    )
    keep = (expanded["_date"] <= end) & (expanded["_date"] >= since if since is not None else True)
    return expanded[keep].reset_index(drop=True)


def _stays(frame: pd.DataFrame, by: list[str], min_days: float) -> pd.Series:
    """Runs of consecutive days (per group) at least ``min_days`` long."""
    days = frame.drop_duplicates([*by, "_date"]).sort_values([*by, "_date"])
    groups = days[by]
    starts = (days["_date"].diff() != ONE_DAY) | groups.ne(groups.shift()).any(axis=1)
    runs = days.assign(_run=starts.cumsum()).groupby([*by, "_run"]).size()
    return runs[runs >= min_days].groupby(level=list(range(len(by)))).size()


def _latest(frame: pd.DataFrame, by: list[str], column: str) -> pd.Series:
    """The column's lowest value among each group's rows of its latest month."""
    month = frame["_date"].dt.to_period("M")
    last = month.groupby([frame[b] for b in by]).transform("max")
    rows = frame[month == last]
    return pd.to_numeric(rows[column], errors="coerce").groupby([rows[b] for b in by]).min()


def coverage_periods(metric: Metric, calendar: Calendar) -> pd.DataFrame:
    """The coverage metric's periods inside its window, with their start and end."""
    assert metric.every is not None  # the loader requires it for coverage
    return within(calendar_periods(metric.every, calendar.year), calendar.day(metric.since),
                  calendar.day(metric.until))  # fmt: skip


def ended_periods(metric: Metric, calendar: Calendar) -> int | None:
    """How many of a coverage metric's periods have ended by the as-of date (None: no coverage)."""
    if metric.kind is not K.COVERAGE:
        return None
    return _ended(coverage_periods(metric, calendar), calendar)


def _ended(periods: pd.DataFrame, calendar: Calendar) -> int:
    return int((periods["end"] <= pd.Timestamp(calendar.as_of)).sum())


def _coverage(metric: Metric, rows: pd.DataFrame, keys: pd.Index, setting: Setting) -> Measure:
    calendar = setting.calendar
    periods = coverage_periods(metric, calendar)
    ended = _ended(periods, calendar)
    frame = _dated(metric, rows, calendar)
    frame = frame.assign(_period=period_of(frame["_date"], periods))
    figure = aggregate(
        metric.of, metric, frame[frame["_period"] >= 0], ["_key", "_period"], setting
    )
    threshold = cadre_threshold(metric.share, setting.sizes) if metric.share else metric.at_least
    actual = covered(figure, threshold, ended, keys)
    return Measure(actual, actual, ended)


def _per_point(metric: Metric, rows: pd.DataFrame, keys: pd.Index, setting: Setting) -> Measure:
    frame = _dated(metric, rows, setting.calendar).rename(columns={POINT_COLUMN: "_point"})
    figure = aggregate(metric.of, metric, frame, ["_key", "_point"], setting)
    points = pd.MultiIndex.from_frame(setting.points[["_key", "_point"]].drop_duplicates())
    at_points = figure.reindex(points, fill_value=0).astype(float)
    low = at_points.groupby(level=0).min()
    high = at_points.groupby(level=0).max()
    return Measure(_by_key(low, keys), _by_key(high, keys))


def _by_key(values: pd.Series, keys: pd.Index) -> pd.Series:
    if isinstance(values.index, pd.MultiIndex):
        values.index = values.index.get_level_values(0)
    return values.astype(float).reindex(keys, fill_value=0.0).fillna(0.0)
