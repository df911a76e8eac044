"""Each rule's metric measured for every submission at once: a Series indexed by `_file`."""

from __future__ import annotations

import pandas as pd

from pipeline.rules.model import Metric, MetricKind


def measure(
    metric: Metric, sheets: dict[str, pd.DataFrame], files: pd.Index, year: int
) -> pd.Series:
    """The metric's value for every file in `files` (0 where a file has no matching rows)."""
    rows = _matching_rows(metric, sheets[metric.sheet], year)
    grouped = rows.groupby("_file")
    if metric.kind is MetricKind.COUNT:
        values = grouped.size()
    elif metric.kind is MetricKind.SUM:
        values = grouped[str(metric.column)].sum()
    else:
        values = grouped[str(metric.column)].nunique()
    return values.astype(float).reindex(files, fill_value=0.0)


def _matching_rows(metric: Metric, frame: pd.DataFrame, year: int) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, values in metric.where:
        mask &= frame[column].isin(values)
    if metric.date_column and metric.until:
        until = pd.Timestamp(f"{year}-{metric.until}")
        mask &= pd.to_datetime(frame[metric.date_column]) <= until
    return frame[mask]
