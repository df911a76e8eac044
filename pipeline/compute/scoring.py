"""Actual against required for every cadre and rule, and the weighted score."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from pipeline.compute.metrics import measure
from pipeline.rules.model import Period, Rule


def year_fraction(as_of: date, year: int) -> float:
    """Share of the year elapsed at the as-of date, for pro-rating accumulating quotas."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    clamped = min(max(as_of, start), end)
    return ((clamped - start).days + 1) / ((end - start).days + 1)


def applicable_rules(
    rules: tuple[Rule, ...], period: Period, as_of: date, year: int
) -> tuple[Rule, ...]:
    """The period's rules, less those whose due day has not come (mid-year and filing only)."""

    def due_yet(rule: Rule) -> bool:
        return (
            period is Period.YEAR_END
            or rule.due is None
            or as_of >= date.fromisoformat(f"{year}-{rule.due}")
        )

    return tuple(r for r in rules if period in r.periods and due_yet(r))


def score_rules(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame],
    period: Period, as_of: date, year: int,
) -> pd.DataFrame:  # fmt: skip
    """One row per cadre (indexed by `_file` in `cadres`) and rule that applies to them."""
    fraction = year_fraction(as_of, year) if period is Period.MID_YEAR else 1.0
    parts = []
    for rule in rules:
        actual = measure(rule.metric, sheets, cadres.index, year, as_of)
        bounds = cadres["category"].map(lambda c, r=rule: r.required.for_value(c))
        part = pd.DataFrame({"_file": cadres.index, "rule_id": rule.id, "title": rule.title,
                             "unit_label": rule.unit, "actual": actual.to_numpy()})  # fmt: skip
        part["required_min"] = [_scaled(b.minimum if b else None, rule, fraction) for b in bounds]
        part["required_max"] = [
            b.maximum if b and b.maximum is not None else np.nan for b in bounds
        ]
        part["weight"] = rule.weight
        parts.append(part[bounds.notna().to_numpy()])
    results = pd.concat(parts, ignore_index=True) if parts else _empty()
    return _attain(results)


def _scaled(minimum: float | None, rule: Rule, fraction: float) -> float:
    if minimum is None:
        return np.nan
    return math.ceil(minimum * fraction) if rule.prorate and fraction < 1 else minimum


def _attain(results: pd.DataFrame) -> pd.DataFrame:
    low, high, actual = results["required_min"], results["required_max"], results["actual"]
    below = low.notna() & (actual < low)
    above = high.notna() & (actual > high)
    attainment = pd.Series(1.0, index=results.index)
    attainment[below] = (actual[below] / low[below]).clip(upper=1.0)
    attainment[above] = (high[above] / actual[above]).clip(upper=1.0)
    return results.assign(met=~(below | above), attainment=attainment.fillna(0.0))


def weighted_scores(results: pd.DataFrame) -> pd.Series:
    """Weighted mean attainment per `_file`; a cadre with no applicable rule scores 1."""
    weighted = (results["attainment"] * results["weight"]).groupby(results["_file"]).sum()
    weights = results["weight"].groupby(results["_file"]).sum()
    return (weighted / weights).round(6)


def _empty() -> pd.DataFrame:
    columns = [
        "_file",
        "rule_id",
        "title",
        "unit_label",
        "actual",
        "required_min",
        "required_max",
        "weight",
    ]
    return pd.DataFrame(
        {
            c: pd.Series(dtype=float if c.startswith(("act", "req", "wei")) else object)
            for c in columns
        }
    )
