"""Prohibitions: the rows that break a rule's limit, each one located in its file and cell."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from pipeline.compute.assessment import VIOLATION_COLUMNS
from pipeline.compute.metrics import Calendar, matching_rows, violating_rows
from pipeline.problems import Location
from pipeline.rules.metric import SHEETS
from pipeline.rules.model import MetricKind, Rule

Locate = Callable[[str, int, str | None, int], Location]


def find_violations(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame],
    results: pd.DataFrame, as_of: date, year: int, locate: Locate | None = None,
) -> pd.DataFrame:  # fmt: skip
    """VIOLATION_COLUMNS: every prohibited row of the cadres each prohibition applies to.

    ``results`` (one row per `_file` and `rule_id` that applies) says who a rule applies to.
    """
    calendar = Calendar(year, as_of)
    parts = []
    for rule in (r for r in rules if r.metric.kind is MetricKind.PROHIBITION):
        applies = results.loc[results["rule_id"] == rule.id, "_file"]
        rows = sheets[rule.metric.sheet]
        rows = matching_rows(rule.metric, rows[rows["_file"].isin(applies)], calendar)
        broken = violating_rows(rule.metric, rows).sort_values(["_file", "_row"])
        if len(broken):
            parts.append(_located(rule, broken, cadres, locate))
    if not parts:
        return pd.DataFrame(columns=list(VIOLATION_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def _located(
    rule: Rule, rows: pd.DataFrame, cadres: pd.DataFrame, locate: Locate | None
) -> pd.DataFrame:
    metric = rule.metric
    dated_by = metric.date_column or SHEETS[metric.sheet].dated_by
    column = metric.column or ("活动类型" if "活动类型" in rows else dated_by)
    who = cadres.loc[rows["_file"]]

    def where(file_no: int, row: int) -> str:
        if locate is not None:
            return str(locate(metric.sheet, file_no, column, row))
        return str(Location(str(cadres.at[file_no, "file"]), metric.sheet, f"第{row}行"))

    return pd.DataFrame({
        "submission": who["submission"].to_numpy(), "name": who["name"].to_numpy(),
        "unit": who["unit"].to_numpy(), "rule_id": rule.id, "title": rule.title,
        "location": [where(int(f), int(r)) for f, r in zip(rows["_file"], rows["_row"], strict=True)],
        "date": pd.to_datetime(rows[dated_by]).to_numpy() if dated_by else pd.NaT,
        "activity": rows["活动类型"].fillna("").to_numpy() if "活动类型" in rows else "",
        "found": rows["_figure"].to_numpy(dtype=float), "clause": rule.clause,
    })  # fmt: skip
