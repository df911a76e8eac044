"""Unit-level duties (`scope: unit`): measured per unit over its cadres' rows and unit forms.

Some duties belong to a 团委 or 部门, not to a person: the quarterly open day, the 8+4 batches,
a department's stationed days a month, the monthly county form (团粤办发〔2019〕16号 附件2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.compute.assessment import UNIT_RESULT_COLUMNS
from pipeline.compute.metrics import Calendar, Setting, measure
from pipeline.compute.scoring import attain, implied_bounds, rule_fraction, scaled
from pipeline.forms.spec import COUNTY_MONTHLY
from pipeline.rules.metric import SHEETS
from pipeline.rules.model import Bounds, Period, Rule

UNIT_FORM_KEY = COUNTY_MONTHLY.sheets[0].field_names[0]  # 对接部门: the unit a form belongs to
UNIT_FORM_SHEETS = {s.name for s in COUNTY_MONTHLY.sheets}


def score_units(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame],
    units: pd.Index, period: Period, calendar: Calendar,
) -> pd.DataFrame:  # fmt: skip
    """UNIT_RESULT_COLUMNS: one row per unit in ``units`` and unit rule."""
    sizes = cadres.groupby("unit").size().reindex(units, fill_value=0)
    setting = Setting(calendar, sizes=sizes)
    parts = []
    for rule in rules:
        measured = measure(rule.metric, unit_rows(rule, cadres, sheets), units, setting)
        bounds = implied_bounds(rule, measured) if rule.required is None else rule.required.default
        assert isinstance(bounds, Bounds)  # the loader refuses `by:` in unit rules
        low = scaled(bounds.minimum, rule_fraction(rule, period, calendar))
        parts.append(pd.DataFrame({
            "unit": units, "rule_id": rule.id, "title": rule.title, "unit_label": rule.unit,
            "actual": measured.actual.to_numpy(), "required_min": low,
            "required_max": np.nan if bounds.maximum is None else bounds.maximum,
        }))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=list(UNIT_RESULT_COLUMNS))
    return attain(pd.concat(parts, ignore_index=True))[list(UNIT_RESULT_COLUMNS)]


def unit_rows(rule: Rule, cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rule's sheet with `_key` = the unit: 对接部门 on unit forms, else the cadre's 单位."""
    rows = sheets.get(rule.metric.sheet)
    if rows is None:
        return pd.DataFrame(columns=["_key", "_file", *SHEETS[rule.metric.sheet].field_names])
    if rule.metric.sheet in UNIT_FORM_SHEETS:
        return rows.assign(_key=rows[UNIT_FORM_KEY])
    rows = rows[rows["_file"].isin(cadres.index)]
    return rows.assign(_key=rows["_file"].map(cadres["unit"]))


def all_units(
    cadres: pd.DataFrame, roster: pd.DataFrame | None, sheets: dict[str, pd.DataFrame]
) -> pd.Index:
    """Every unit seen: in the submissions, the roster and the unit forms, sorted."""
    found = set(cadres["unit"])
    if roster is not None:
        found |= set(roster["unit"])
    for name in UNIT_FORM_SHEETS & sheets.keys():
        found |= set(sheets[name][UNIT_FORM_KEY].dropna())
    return pd.Index(sorted(str(u) for u in found if u), name="unit")
