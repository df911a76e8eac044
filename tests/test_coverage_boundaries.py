"""Every calendar-coverage rule of every shipped rule file, at the as-of dates
where the calendar turns (month, quarter and year ends, the day after, mid-week, mid-month,
mid-quarter), not only on the year-end deadline that tests/test_rules_boundaries.py uses.

The periods a rule requires are worked out here from the calendar alone (ISO weeks from
`date.isocalendar`, months and quarters from the day's month), not with the pipeline's
`calendar_periods`/`within`, so the two are independent. For each rule and as-of date:
qualifying activity on the *last* day of every ended period meets it; on the *first* day of
every ended period meets it; a gap in the period that ended last misses it by one; activity in
the period still under way never counts.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from test_rules_support import (
    UNIT,
    UNIT_CADRES,
    UNIT_FORM_KEY,
    YEAR,
    Frames,
    figure_rows,
    threshold_cases,
)

from pipeline.compute import Assessment
from pipeline.rules.loader import available_rule_sets, load_rules
from pipeline.rules.metric import UNIT_SHEETS
from pipeline.rules.model import Every, Metric, MetricKind, Period, Rule, RuleSet, Scope

K = MetricKind
DAY = timedelta(days=1)
RULE_SETS = {rule_id: load_rules(rule_id) for rule_id in sorted(available_rule_sets())}
AS_OF_DATES = (
    date(YEAR, 1, 4),  # Sunday: ISO week 1 (from 2025-12-29) ends
    date(YEAR, 1, 31),  # a month ends
    date(YEAR, 2, 1),  # the day after
    date(YEAR, 2, 15),  # mid-month
    date(YEAR, 3, 11),  # a Wednesday: mid-week
    date(YEAR, 3, 31),  # a quarter ends
    date(YEAR, 4, 1),  # the day after
    date(YEAR, 5, 15),  # mid-quarter
    date(YEAR, 6, 30),  # half year
    date(YEAR, 9, 30),
    date(YEAR, 10, 31),  # the last mid-year month
    date(YEAR, 11, 30),  # 广东 2019's window closes
    date(YEAR, 12, 27),  # Sunday: week 52 ends, week 53 runs to 2027-01-03
    date(YEAR, 12, 31),  # the year ends
)
VARIANTS = ("last-day", "first-day", "gap", "under-way-only")


@dataclass(frozen=True)
class Case:
    rule_set: RuleSet
    rule: Rule
    attributes: dict[str, str]
    as_of: date
    variant: str

    @property
    def id(self) -> str:
        return f"{self.rule_set.id}:{self.rule.id}:{self.as_of}:{self.variant}"


def expected_periods(metric: Metric, as_of: date) -> list[tuple[date, date]]:
    """(first day, last day) of every period of YEAR inside the window, ended by ``as_of``."""
    found: dict[int, list[date]] = {}
    day = date(YEAR - 1, 12, 25)
    while day <= date(YEAR + 1, 1, 7):
        if metric.every is Every.WEEK:
            iso_year, week, _ = day.isocalendar()
            key = week if iso_year == YEAR else None
        elif day.year != YEAR:
            key = None
        else:
            key = day.month if metric.every is Every.MONTH else (day.month - 1) // 3
        if key is not None:
            found.setdefault(key, []).append(day)
        day += DAY
    since = date.fromisoformat(f"{YEAR}-{metric.since}") if metric.since else date.min
    until = date.fromisoformat(f"{YEAR}-{metric.until}") if metric.until else date.max
    periods = [(days[0], days[-1]) for _, days in sorted(found.items())]
    return [(s, e) for s, e in periods if s >= since and e <= until and e <= as_of]


def under_way(metric: Metric, as_of: date) -> date | None:
    """A day (≤ as_of) of the period still under way on ``as_of``, when it lies in the window."""
    later = expected_periods(metric, date(YEAR + 1, 12, 31))
    ended = expected_periods(metric, as_of)
    for start, end in later:
        if start <= as_of < end and (start, end) not in ended:
            return as_of
    return None


def needed(metric: Metric) -> float:
    return math.ceil(metric.share * UNIT_CADRES) if metric.share else float(metric.at_least or 1)


def placed(metric: Metric, start: date, end: date, first: bool) -> date:
    """The day a period's qualifying rows start: its first day (in YEAR) or as late as fits."""
    if first:
        return max(start, date(YEAR, 1, 1))
    if metric.figure is K.DAYS:  # a stay of n days must end on the period's last day
        return end - (int(needed(metric)) - 1) * DAY
    return end


def coverage_rules() -> list[tuple[RuleSet, Rule, dict[str, str]]]:
    found = []
    for rule_set in RULE_SETS.values():
        for rule in rule_set.rules:
            if rule.metric.kind is K.COVERAGE:
                _, attributes, _ = next(iter(threshold_cases(rule)))
                found.append((rule_set, rule, attributes))
    return found


CASES = [
    Case(rule_set, rule, attributes, as_of, variant)
    for rule_set, rule, attributes in coverage_rules()
    for as_of in AS_OF_DATES
    for variant in VARIANTS
]


def period_for(as_of: date) -> Period:
    return Period.YEAR_END if as_of.month >= 11 else Period.MID_YEAR


def first_file(number: int) -> int:
    return 1 + number * (UNIT_CADRES + 1)


def rows(case: Case) -> list[tuple[int, dict[str, object]]]:
    metric = case.rule.metric
    periods = expected_periods(metric, case.as_of)
    if case.variant == "gap" and periods:
        periods = periods[:-1]  # nothing in the period that ended last
    if case.variant == "under-way-only":
        periods = []
    found = []
    for start, end in periods:
        day = placed(metric, start, end, first=case.variant == "first-day")
        found += figure_rows(metric, needed(metric), day)
    if (day := under_way(metric, case.as_of)) is not None and metric.figure is not K.DAYS:
        found += figure_rows(metric, needed(metric), day)  # activity not yet counted
    return found


def build(case: Case, number: int, frames: Frames) -> None:
    first, unit = first_file(number), f"{UNIT}{number}"
    scoped = case.rule.scope is Scope.UNIT
    for n in range(UNIT_CADRES if scoped else 1):
        frames.add_cadre(first + n, case.attributes, unit)
    sheet = case.rule.metric.sheet
    for offset, row in rows(case):
        if sheet in UNIT_SHEETS:
            frames.add(sheet, first + UNIT_CADRES, {**row, UNIT_FORM_KEY: unit})
        else:
            frames.add(sheet, first + offset, row)


@functools.cache
def assessed(rule_set_id: str, as_of: date) -> Assessment:
    frames = Frames()
    for number, case in enumerate(CASES):
        if case.rule_set.id == rule_set_id and case.as_of == as_of:
            build(case, number, frames)
    return frames.assess(RULE_SETS[rule_set_id], period_for(as_of), as_of)


@pytest.mark.parametrize("number", range(len(CASES)), ids=[c.id for c in CASES])
def test_coverage_rule_at_calendar_edges(number: int) -> None:
    case = CASES[number]
    assessment = assessed(case.rule_set.id, case.as_of)
    if case.rule.scope is Scope.UNIT:
        results = assessment.unit_results[assessment.unit_results["unit"] == f"{UNIT}{number}"]
    else:
        results = assessment.results[assessment.results["submission"] == f"s{first_file(number)}"]
    mine = results[results["rule_id"] == case.rule.id]
    periods = len(expected_periods(case.rule.metric, case.as_of))
    if periods == 0:  # nothing required yet: the rule may be left out, but never missed
        assert mine.empty or bool(mine.iloc[0]["met"]), dict(mine.iloc[0])
        return
    assert len(mine) == 1, f"the rule does not apply on {case.as_of}"
    result = mine.iloc[0]
    assert result["required_min"] == periods, dict(result)
    covered = {"last-day": periods, "first-day": periods, "gap": periods - 1}.get(case.variant, 0)
    assert result["actual"] == covered, dict(result)
    assert bool(result["met"]) is (covered == periods), dict(result)


def test_the_rule_files_have_coverage_rules_of_every_period() -> None:
    kinds = {rule.metric.every for _, rule, _ in coverage_rules()}
    assert kinds == {Every.WEEK, Every.MONTH, Every.QUARTER}


@pytest.mark.parametrize(
    ("rule_id", "day", "as_of", "covered"),
    [
        ("online-voice", date(YEAR - 1, 12, 29), date(YEAR, 1, 4), True),  # ISO week 1 of YEAR
        ("online-voice", date(YEAR - 1, 12, 28), date(YEAR, 1, 4), False),  # week 52 of YEAR-1
        ("offline-quarterly", date(YEAR - 1, 12, 31), date(YEAR, 3, 31), False),  # Q4 of YEAR-1
        ("offline-quarterly", date(YEAR, 1, 1), date(YEAR, 3, 31), True),
    ],
)
def test_activity_across_the_year_boundary(
    rule_id: str, day: date, as_of: date, covered: bool
) -> None:
    rule_set = RULE_SETS["guangdong-2016"]
    rule = next(r for r in rule_set.rules if r.id == rule_id)
    frames = Frames()
    frames.add_cadre(1, {})
    for _, row in figure_rows(rule.metric, 1, day):
        frames.add(rule.metric.sheet, 1, row)
    results = frames.assess(rule_set, Period.MID_YEAR, as_of).results
    result = results[results["rule_id"] == rule_id].iloc[0]
    assert result["required_min"] == len(expected_periods(rule.metric, as_of)) == 1
    assert (result["actual"], bool(result["met"])) == (float(covered), covered)
