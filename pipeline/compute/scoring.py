"""Actual against required for every cadre and rule, and the weighted score."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.compute.metrics import Calendar, Measure, ended_periods
from pipeline.rules.model import Bounds, MetricKind, Period, Rule, Scope

if TYPE_CHECKING:
    from pipeline.compute.figures import Figures

# The cadre attributes a rule may select by, and the `cadres` columns that hold them.
ATTRIBUTE_COLUMNS = {"干部类别": "category", "职级": "level", "单位类别": "unit_type"}
RESULT_FIELDS = ["_file", "rule_id", "title", "unit_label", "actual", "required_min",
                 "required_max", "weight"]  # fmt: skip


def year_fraction(as_of: date, year: int) -> float:
    """Share of the year elapsed at the as-of date, for pro-rating accumulating quotas."""
    return window_fraction(as_of, date(year, 1, 1), date(year, 12, 31))


def window_fraction(as_of: date, start: date, end: date) -> float:
    """Share of a date window (both ends included) elapsed at the as-of date."""
    if as_of < start:
        return 0.0
    return ((min(as_of, end) - start).days + 1) / ((end - start).days + 1)


def rule_fraction(rule: Rule, period: Period, calendar: Calendar) -> float:
    """How much of an accumulating quota is due: the elapsed share of the rule's window
    (or of the year) at mid-year; all of it otherwise."""
    if period is not Period.MID_YEAR or not rule.prorate:
        return 1.0
    start = calendar.day(rule.metric.since) or pd.Timestamp(date(calendar.year, 1, 1))
    end = calendar.day(rule.metric.until) or pd.Timestamp(date(calendar.year, 12, 31))
    return window_fraction(calendar.as_of, start.date(), end.date())


def applicable_rules(
    rules: tuple[Rule, ...], period: Period, as_of: date, year: int, scope: Scope = Scope.CADRE
) -> tuple[Rule, ...]:
    """The period's rules of a scope, less those whose due day has not come (before year-end)."""

    def due_yet(rule: Rule) -> bool:
        return (
            period is Period.YEAR_END
            or rule.due is None
            or as_of >= date.fromisoformat(f"{year}-{rule.due}")
        )

    return tuple(r for r in rules if r.scope is scope and period in r.periods and due_yet(r))


def attributes(cadres: pd.DataFrame) -> tuple[list[dict[str, str]], np.ndarray]:
    """The cadres' distinct attributes by their Chinese names ("" where unknown), and each
    cadre's: an index into them. Ten thousand cadres have a few dozen combinations, and a rule
    asks each combination once."""
    columns = {name: column for name, column in ATTRIBUTE_COLUMNS.items() if column in cadres}
    frame = cadres[list(columns.values())].fillna("").astype(str)
    rows = frame.to_numpy(dtype=object).tolist()  # not itertuples: a call per string column value
    seen: dict[tuple[str, ...], int] = {}
    codes = [seen.setdefault(tuple(row), len(seen)) for row in rows]
    return [dict(zip(columns, key, strict=True)) for key in seen], np.array(codes, dtype=np.int64)


def with_attributes(cadres: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    """职级 and 单位类别 for every cadre: the roster's where it gives them, else the ledger's."""
    keys = pd.MultiIndex.from_frame(cadres[["unit", "name"]])
    listed = roster.set_index(["unit", "name"]) if roster is not None else None
    for column in ("level", "unit_type"):
        own = cadres[column].fillna("") if column in cadres else pd.Series("", index=cadres.index)
        if listed is not None and column in listed:
            clerk = pd.Series(listed[column].reindex(keys).fillna("").to_numpy(), index=own.index)
            own = clerk.where(clerk != "", own)
        cadres = cadres.assign(**{column: own.astype(str)})
    return cadres


def score_rules(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, figures: Figures, period: Period,
    calendar: Calendar,
) -> pd.DataFrame:  # fmt: skip
    """One row per cadre (indexed by `_file` in `cadres`) and rule that applies to them."""
    who, whose = attributes(cadres)
    parts = []
    for rule in rules:
        measured = Measure(
            figures.actual(rule).reindex(cadres.index), figures.high(rule).reindex(cadres.index),
            ended_periods(rule.metric, calendar),
        )
        low, high, applies = cadre_bounds(
            rule, who, measured, rule_fraction(rule, period, calendar)
        )
        low, high, applies = low[whose], high[whose], applies[whose]
        part = pd.DataFrame({"_file": cadres.index, "rule_id": rule.id, "title": rule.title,
                             "unit_label": rule.unit, "actual": measured.actual.to_numpy(),
                             "_high": measured.high.to_numpy(), "required_min": low,
                             "required_max": high, "weight": rule.weight})  # fmt: skip
        parts.append(part[applies])
    results = pd.concat(parts, ignore_index=True) if parts else _empty()
    return attain(results)


def cadre_bounds(
    rule: Rule, who: list[dict[str, str]], measured: Measure, fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (minimum, maximum, whether the rule applies) of each of ``who``: cadres' attributes."""
    applies = np.array([rule.applies(a) for a in who], dtype=bool)
    if rule.required is None:
        implied = implied_bounds(rule, measured)
        bounds: list[Bounds | None] = [implied] * len(who)
    else:
        bounds = [rule.required.for_cadre(a) for a in who]
    applies &= np.array([b is not None for b in bounds], dtype=bool)
    low = [scaled(b.minimum if b else None, fraction) for b in bounds]
    high = [b.maximum if b and b.maximum is not None else np.nan for b in bounds]
    return np.array(low, dtype=float), np.array(high, dtype=float), applies


def implied_bounds(rule: Rule, measured: Measure) -> Bounds:
    """Coverage: every period ended so far; a prohibition: no violation at all."""
    if rule.metric.kind is MetricKind.COVERAGE:
        return Bounds(minimum=float(measured.periods or 0))
    return Bounds(maximum=0.0)


def scaled(minimum: float | None, fraction: float) -> float:
    """A minimum pro-rated to the elapsed share, rounded up to a whole figure."""
    if minimum is None:
        return np.nan
    return math.ceil(minimum * fraction - 1e-9) if fraction < 1 else minimum


def attain(results: pd.DataFrame) -> pd.DataFrame:
    """met and attainment; a figure above its maximum shows the offending (largest) figure."""
    low, high = results["required_min"], results["required_max"]
    largest = results["_high"] if "_high" in results else results["actual"]
    below = low.notna() & (results["actual"] < low)
    above = high.notna() & (largest > high) & ~below
    actual = results["actual"].where(~above, largest)
    attainment = pd.Series(1.0, index=results.index)
    attainment[below] = (actual[below] / low[below]).clip(upper=1.0)
    attainment[above] = (high[above] / actual[above]).clip(upper=1.0)
    done = results.drop(columns=["_high"], errors="ignore")
    return done.assign(actual=actual, met=~(below | above), attainment=attainment.fillna(0.0))


def weighted_scores(results: pd.DataFrame) -> pd.Series:
    """Weighted mean attainment per `_file`; a cadre with no applicable rule scores 1."""
    weighted = (results["attainment"] * results["weight"]).groupby(results["_file"]).sum()
    weights = results["weight"].groupby(results["_file"]).sum()
    return (weighted / weights.where(weights > 0)).fillna(1.0).round(6)


def _empty() -> pd.DataFrame:
    numeric = ("actual", "_high", "required_min", "required_max", "weight")
    columns = [*RESULT_FIELDS, "_high"]
    return pd.DataFrame({c: pd.Series(dtype=float if c in numeric else object) for c in columns})
