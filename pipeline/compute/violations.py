"""Prohibitions: the rows that break a rule's limit, each one located in its file and cell."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipeline.compute.assessment import VIOLATION_COLUMNS
from pipeline.compute.metrics import Calendar, matching_rows, violating_rows
from pipeline.problems import Location
from pipeline.rules.metric import SHEETS
from pipeline.rules.model import MetricKind, Rule

Locate = Callable[[str, int, str | None, int], Location]
BREACH_COLUMNS = ("_file", "_row", "rule_id", "location", "date", "activity", "found")


def find_breaches(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame],
    calendar: Calendar, locate: Locate | None = None,
) -> pd.DataFrame:  # fmt: skip
    """BREACH_COLUMNS: every prohibited row of ``cadres``' files, rule by rule, in file order.

    Whether a prohibition applies to a cadre is settled later (`violations`).
    """
    parts = []
    for rule in (r for r in rules if r.metric.kind is MetricKind.PROHIBITION):
        rows = sheets[rule.metric.sheet]
        rows = matching_rows(rule.metric, rows[rows["_file"].isin(cadres.index)], calendar)
        broken = violating_rows(rule.metric, rows).sort_values(["_file", "_row"])
        if len(broken):
            parts.append(_located(rule, broken, cadres, locate))
    if not parts:
        return pd.DataFrame(columns=list(BREACH_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def violations(
    rules: tuple[Rule, ...], breaches: pd.DataFrame, results: pd.DataFrame, cadres: pd.DataFrame
) -> pd.DataFrame:
    """VIOLATION_COLUMNS: the breaches of the cadres each prohibition applies to.

    ``results`` (one row per `_file` and `rule_id` that applies) says who a rule applies to.
    """
    applies = pd.MultiIndex.from_frame(results[["_file", "rule_id"]])
    kept = breaches[pd.MultiIndex.from_frame(breaches[["_file", "rule_id"]]).isin(applies)]
    if kept.empty:
        return pd.DataFrame(columns=list(VIOLATION_COLUMNS))
    by_id = {rule.id: rule for rule in rules}
    who = cadres.loc[kept["_file"]]
    return pd.DataFrame({
        "submission": who["submission"].to_numpy(), "name": who["name"].to_numpy(),
        "unit": who["unit"].to_numpy(), "rule_id": kept["rule_id"].to_numpy(),
        "title": [by_id[r].title for r in kept["rule_id"]], "location": kept["location"].to_numpy(),
        "date": kept["date"].to_numpy(), "activity": kept["activity"].to_numpy(),
        "found": kept["found"].to_numpy(dtype=float),
        "clause": [by_id[r].clause for r in kept["rule_id"]],
    })  # fmt: skip


def _located(
    rule: Rule, rows: pd.DataFrame, cadres: pd.DataFrame, locate: Locate | None
) -> pd.DataFrame:
    metric = rule.metric
    dated_by = metric.date_column or SHEETS[metric.sheet].dated_by
    column = metric.column or ("活动类型" if "活动类型" in rows else dated_by)

    def where(file_no: int, row: int) -> str:
        if locate is not None:
            return str(locate(metric.sheet, file_no, column, row))
        return str(Location(str(cadres.at[file_no, "file"]), metric.sheet, f"第{row}行"))

    return pd.DataFrame({
        "_file": rows["_file"].to_numpy(), "_row": rows["_row"].to_numpy(), "rule_id": rule.id,
        "location": [where(int(f), int(r)) for f, r in zip(rows["_file"], rows["_row"], strict=True)],
        "date": pd.to_datetime(rows[dated_by]).to_numpy() if dated_by else pd.NaT,
        "activity": rows["活动类型"].fillna("").to_numpy() if "活动类型" in rows else "",
        "found": rows["_figure"].to_numpy(dtype=float),
    })  # fmt: skip
