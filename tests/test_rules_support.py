"""Builders for the rule tests (no tests here): typed compute frames, and rows made from a rule.

`rows_for` reads a rule's metric and writes the rows that make it measure a given figure, so the
boundary tests follow the rule files: change a quota there and the generated rows follow.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from pipeline.compute import Assessment, assess
from pipeline.compute.coverage import calendar_periods, within
from pipeline.forms.spec import COUNTY_MONTHLY, Kind, Sheet
from pipeline.rules.metric import DAYS_COLUMN, POINT_COLUMN, SHEETS
from pipeline.rules.model import (
    Bounds,
    Condition,
    Metric,
    MetricKind,
    Period,
    Requirement,
    Rule,
    RuleSet,
)
from pipeline.rules.requirement import attribute_choices

K = MetricKind
YEAR = 2026
UNIT = "团省委组织部"
POINTS = ("第一联系点", "第二联系点")
UNIT_CADRES = 4  # cadres in the unit of a unit-level case
Row = dict[str, object]
_names = itertools.count()


@dataclass
class Frames:
    """What compute receives: the cadres (by file number) and the typed sheets' rows."""

    cadres: list[Row] = field(default_factory=list)
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def add_cadre(self, file_no: int, attributes: dict[str, str], unit: str = UNIT) -> None:
        self.cadres.append({
            "_file": file_no, "submission": f"s{file_no}", "file": f"inbox/{file_no}.xlsx",
            "name": f"干部{file_no}", "unit": unit, "category": attributes.get("干部类别", "专职"),
            "post": "干部", "phone": "", "level": attributes.get("职级", ""),
            "unit_type": attributes.get("单位类别", ""),
        })  # fmt: skip

    def add(self, sheet: str, file_no: int, row: Row) -> None:
        rows = self.rows.setdefault(sheet, [])
        rows.append({"_file": file_no, "_row": len(rows) + 2, **row})

    def assess(self, rule_set: RuleSet, period: Period, as_of: date) -> Assessment:
        cadres = pd.DataFrame(self.cadres).set_index("_file")
        sheets = {name: typed(spec, self.rows.get(name, [])) for name, spec in SHEETS.items()}
        units = [row.get(UNIT_FORM_KEY, "") for row in self.rows.get(COUNTY_SHEET, [])]
        sheets[COUNTY_SHEET] = sheets[COUNTY_SHEET].assign(**{UNIT_FORM_KEY: units})
        return assess(rule_set, period, YEAR, as_of, cadres, sheets, None)


COUNTY_SHEET = COUNTY_MONTHLY.sheets[1].name
UNIT_FORM_KEY = COUNTY_MONTHLY.sheets[0].field_names[0]  # 对接部门


def typed(spec: Sheet, rows: list[Row]) -> pd.DataFrame:
    """Rows as `submissions.current_sheets` types them: datetime64 dates, float64 numbers."""
    frame = pd.DataFrame(rows, columns=["_file", "_row", *spec.field_names]).astype(
        {"_file": "int64", "_row": "int64"}
    )
    for f in spec.fields:
        if f.kind is Kind.DATE:
            frame[f.name] = pd.to_datetime(frame[f.name])
        elif f.kind in (Kind.INTEGER, Kind.NUMBER):
            frame[f.name] = pd.to_numeric(frame[f.name]).astype("float64")
        else:
            frame[f.name] = frame[f.name].astype(object)
    return frame


# --- who a case is about ----------------------------------------------------------------------


def threshold_cases(rule: Rule) -> Iterator[tuple[str, dict[str, str], Bounds]]:
    """(label, cadre attributes, bounds) for every case of the rule's requirement."""
    base = dict(rule.applies_to[0]) if rule.applies_to else {}
    attributes = {name: values[0] for name, values in base.items()}
    if rule.required is None:
        yield "", attributes, Bounds()
        return
    for label, extra, bounds in _leaves(rule.required):
        if bounds is not None:
            yield label, {**attributes, **extra}, bounds


def _leaves(required: Requirement) -> Iterator[tuple[str, dict[str, str], Bounds | None]]:
    if required.by is None:
        assert not isinstance(required.default, Requirement)
        yield "", {}, required.default
        return
    listed = {v for values, _ in required.cases for v in values}
    others = [v for v in attribute_choices(required.by) if v not in listed]
    fallback = [((others[0],), required.default)] if others and required.default else []
    for values, threshold in [*required.cases, *fallback]:
        for value in values:
            here = {required.by: value}
            if isinstance(threshold, Requirement):
                for label, extra, bounds in _leaves(threshold):
                    yield f"{value}·{label}" if label else value, {**here, **extra}, bounds
            else:
                yield value, here, threshold


# --- rows that make a metric measure a figure ------------------------------------------------


def base_row(metric: Metric, day: date) -> Row:
    """A row meeting every `where` of the metric, dated ``day`` where the sheet has dates."""
    spec = SHEETS[metric.sheet]
    row: Row = {f.name: _filler(f.name, f.choices) for f in spec.fields if f.required}
    for condition in metric.where:
        row[condition.column] = _satisfying(condition)
    for f in spec.fields:
        if f.kind is Kind.DATE and (f.required or f.name == metric.date_column):
            row[f.name] = pd.Timestamp(day)
    if POINT_COLUMN in spec.field_names:
        row[POINT_COLUMN] = POINTS[0]
    return row


def figure_rows(metric: Metric, figure: float, day: date) -> list[tuple[int, Row]]:
    """(file offset, row) pairs making the metric's figure (`of` for coverage) ``figure``."""
    kind, n = metric.figure, int(figure)
    if figure <= 0:
        return []
    if kind in (K.COUNT, K.DISTINCT, K.CADRES):
        return [(i if kind is K.CADRES else 0, _distinct(base_row(metric, day), metric, i))
                for i in range(n)]  # fmt: skip
    if kind is K.STAYS:
        days = int(metric.min_days or 1)
        return [(0, {**base_row(metric, day + timedelta(days=i * (days + 2))), DAYS_COLUMN: days})
                for i in range(n)]  # fmt: skip
    column = DAYS_COLUMN if kind is K.DAYS else str(metric.column)
    return [(0, {**base_row(metric, day), **_zeros(metric), column: figure})]


def a_day(metric: Metric) -> date:
    """A day inside the metric's date window (and early in the year)."""
    return date.fromisoformat(f"{YEAR}-{metric.since}") if metric.since else date(YEAR, 1, 10)


def ended_periods(metric: Metric, as_of: date) -> list[date]:
    """The first day (inside the window) of each coverage period ended by ``as_of``."""
    assert metric.every is not None
    since = pd.Timestamp(f"{YEAR}-{metric.since}") if metric.since else None
    until = pd.Timestamp(f"{YEAR}-{metric.until}") if metric.until else None
    periods = within(calendar_periods(metric.every, YEAR), since, until)
    ended = periods[periods["end"] <= pd.Timestamp(as_of)]
    return [max(start.date(), date(YEAR, 1, 1)) for start in ended["start"]]


def _distinct(row: Row, metric: Metric, i: int) -> Row:
    spec = SHEETS[metric.sheet]
    row = dict(row)
    for name in ("姓名", "主要内容", "联系点名称", "内容摘要", "县（市、区）"):
        if name in spec.field_names and name not in {c.column for c in metric.where}:
            row[name] = f"{name}{next(_names)}"
    if metric.sheet == "联系青年名册":
        row["联系方式"] = f"139{next(_names):08d}"
    for column in metric.columns:
        if spec.field(column).choices and column not in {c.column for c in metric.where}:
            choices = spec.field(column).choices
            row[column] = choices[i % len(choices)]
    return row


def _zeros(metric: Metric) -> Row:
    return {column: 0 for column in metric.columns}


def _satisfying(condition: Condition) -> object:
    if condition.values:
        return condition.values[0]
    if condition.minimum is not None:
        return condition.minimum
    return "照片1.jpg"


def _filler(name: str, choices: tuple[str, ...]) -> object:
    return choices[0] if choices else f"{name}{next(_names)}"
