"""Each rule's metric measured for every submission at once: a Series indexed by `_file`."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.forms.spec import LEDGER
from pipeline.rules.model import Metric, MetricKind


def measure(
    metric: Metric, sheets: dict[str, pd.DataFrame], files: pd.Index, year: int, as_of: date
) -> pd.Series:
    """The metric's value for every file in `files` (0 where a file has no matching rows).

    Rows dated after the as-of date do not count yet.
    """
    rows = _matching_rows(metric, sheets[metric.sheet], year, as_of)
    grouped = rows.groupby("_file")
    if metric.kind is MetricKind.COUNT:
        values = grouped.size()
    elif metric.kind is MetricKind.SUM:
        values = grouped[str(metric.column)].sum()
    else:
        values = grouped[str(metric.column)].nunique()
    return values.astype(float).reindex(files, fill_value=0.0)


def _matching_rows(metric: Metric, frame: pd.DataFrame, year: int, as_of: date) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    dated_by = LEDGER.sheet(metric.sheet).dated_by
    if dated_by:
        mask &= frame[dated_by] <= pd.Timestamp(as_of)
    for column, values in metric.where:
        mask &= frame[column].isin(values)
    if metric.date_column and metric.until:
        until = pd.Timestamp(f"{year}-{metric.until}")
        mask &= pd.to_datetime(frame[metric.date_column]) <= until
    return frame[mask]
