"""进度预警: each accumulating quota's pace so far, projected to the year-end deadline.

A cadre with 3 visits by 30 June (181 of the 334 days to 30 November) is on course for
floor(3 × 334 / 181) = 5 of the 10 required: "按当前进度，年底预计 5/10 次，差 5 次". Only rules
with ``prorate: true`` (quotas that accumulate over the year) are projected.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from pipeline.compute.assessment import PACE_COLUMNS, Assessment
from pipeline.compute.reminders import deadline
from pipeline.forms.spec import LEDGER, Kind
from pipeline.rules.model import MetricKind, Period, Rule


def pace(assessment: Assessment) -> pd.DataFrame:
    """The quotas each cadre is projected to miss at the current pace (PACE_COLUMNS)."""
    end = deadline(assessment.rule_set, Period.YEAR_END, assessment.year)
    factor = projection_factor(assessment.as_of, end)
    rules = {rule.id: rule for rule in assessment.rules if rule.prorate}
    results = assessment.results[assessment.results["rule_id"].isin(rules)]
    cadres = assessment.cadres.set_index("submission")[["file", "unit", "name", "category"]]
    frame = results.join(cadres, on="submission")
    # lists, not the columns: stepping through a pandas string column costs a call a value
    keys = list(zip(frame["rule_id"].tolist(), frame["category"].astype(str).tolist(), strict=True))
    minima = {(rule_id, category): _minimum(rules[rule_id], category) for rule_id, category in set(keys)}
    minimum = [minima[key] for key in keys]
    step = frame["rule_id"].map({rule_id: _step(rule) for rule_id, rule in rules.items()})
    projected = np.floor(frame["actual"].astype(float) * factor / step + 1e-9) * step
    frame = frame.assign(required=minimum, projected=projected)
    behind = frame[frame["projected"] < frame["required"]]
    fields = ["file", "unit", "name", "rule_id", "actual", "required", "projected"]
    columns = [behind[f].tolist() for f in fields]  # Python values, as to_dict gives, at a third
    rows = [_row(rules[str(r["rule_id"])], r, end)
            for r in (dict(zip(fields, values, strict=True)) for values in zip(*columns, strict=True))]  # fmt: skip
    found = pd.DataFrame(rows, columns=list(PACE_COLUMNS))
    order = {rule_id: n for n, rule_id in enumerate(rules)}
    found["_order"] = found["rule_id"].map(order)
    found = found.sort_values(["unit", "name", "_order"], kind="stable")
    return found.drop(columns="_order").reset_index(drop=True)


def projection_factor(as_of: date, end: date) -> float:
    """Days from 1 January to ``end`` over the days elapsed by ``as_of`` (1 once it has come)."""
    start = date(end.year, 1, 1)
    elapsed = (min(as_of, end) - start).days + 1
    return ((end - start).days + 1) / max(elapsed, 1)


def _minimum(rule: Rule, category: str) -> float:
    """The yearly minimum for a cadre of ``category`` (NaN: none to project against)."""
    bounds = rule.required.for_value(category) if rule.required is not None else None
    return math.nan if bounds is None or bounds.minimum is None else bounds.minimum


def _row(rule: Rule, result: dict, end: date) -> list[object]:
    projected, required = float(result["projected"]), float(result["required"])
    short = required - projected
    message = (f"{rule.title}：按当前进度，年底（{end.month}月{end.day}日）预计 "
               f"{_n(projected)}/{_n(required)} {rule.unit}，差 {_n(short)} {rule.unit}")  # fmt: skip
    return [result["file"], result["unit"], result["name"], rule.id, rule.title, rule.unit,
            float(result["actual"]), required, projected, short, message]  # fmt: skip


def _step(rule: Rule) -> float:
    """Whole units, except sums of a fractional column (days may be halves)."""
    metric = rule.metric
    if metric.kind is not MetricKind.SUM or metric.column is None:
        return 1.0
    kind = LEDGER.sheet(metric.sheet).field(metric.column).kind
    return 1.0 if kind is Kind.INTEGER else 0.5


def _n(value: float) -> str:
    return f"{value:g}"
