"""For every rule of every shipped rule file: a submission that just meets it, one that just misses.

The cases are generated from the rule definitions (`test_rules_support`): each requirement case
(干部类别, 职级, 单位类别), each side of a range, every coverage period, every contact point.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date

import pytest
from test_rules_support import (
    POINTS,
    UNIT,
    UNIT_CADRES,
    UNIT_FORM_KEY,
    YEAR,
    Frames,
    a_day,
    ended_periods,
    figure_rows,
    threshold_cases,
)

from pipeline.compute import Assessment
from pipeline.rules.loader import available_rule_sets, load_rules
from pipeline.rules.metric import UNIT_SHEETS
from pipeline.rules.model import Bounds, MetricKind, Period, Rule, RuleSet, Scope

K = MetricKind
RULE_SETS = {rule_id: load_rules(rule_id) for rule_id in sorted(available_rule_sets())}


@dataclass(frozen=True)
class Case:
    rule_set: RuleSet
    rule: Rule
    label: str  # the requirement case, e.g. "兼职·团员青年较多的单位"
    attributes: dict[str, str]
    bounds: Bounds
    side: str  # "meets", "below" (one short of the minimum) or "above" (one over the maximum)

    @property
    def id(self) -> str:
        return f"{self.rule_set.id}:{self.rule.id}:{self.label or '-'}:{self.side}"

    @property
    def met(self) -> bool:
        return self.side == "meets"

    @property
    def target(self) -> float:
        low, high = self.bounds.minimum, self.bounds.maximum
        if self.side == "below":
            return float(low or 0) - 1
        if self.side == "above":
            return float(high or 0) + 1
        return float(low if low is not None else high or 0)


def cases() -> list[Case]:
    found = []
    for rule_set in RULE_SETS.values():
        for rule in rule_set.rules:
            for label, attributes, bounds in threshold_cases(rule):
                sides = ["meets", "below" if rule.metric.kind is not K.PROHIBITION else "above"]
                if bounds.minimum is not None and bounds.maximum is not None:
                    sides.append("above")
                found += [Case(rule_set, rule, label, attributes, bounds, s) for s in sides]
    return found


CASES = cases()


def period_and_day(case: Case) -> tuple[Period, date]:
    period = Period.YEAR_END if Period.YEAR_END in case.rule.periods else case.rule.periods[0]
    month, day = case.rule_set.deadline(period).split("-")
    return period, date(YEAR, int(month), int(day))


def first_file(number: int) -> int:
    """Case ``number``'s first file: each case has its own cadres (and unit, and unit form)."""
    return 1 + number * (UNIT_CADRES + 1)


def build(case: Case, number: int, as_of: date, frames: Frames) -> None:
    first, unit = first_file(number), f"{UNIT}{number}"
    scoped = case.rule.scope is Scope.UNIT
    for n in range(UNIT_CADRES if scoped else 1):
        frames.add_cadre(first + n, case.attributes, unit)
    if case.rule.metric.kind is K.PER_POINT:
        for point in POINTS:
            frames.add("基层联系点", first, {"联系点名称": point, "联系点类型": "团支部"})
    sheet = case.rule.metric.sheet
    for offset, row in _rows(case, as_of):
        if sheet in UNIT_SHEETS:
            frames.add(sheet, first + UNIT_CADRES, {**row, UNIT_FORM_KEY: unit})
        else:
            frames.add(sheet, first + offset, row)


@functools.cache
def assessed(rule_set_id: str, period: Period) -> tuple[Assessment, date]:
    """One assessment for all the cases of a rule file and period, each with its own cadres."""
    frames, as_of = Frames(), date(YEAR, 12, 31)
    for number, case in enumerate(CASES):
        if case.rule_set.id == rule_set_id and period_and_day(case)[0] is period:
            as_of = period_and_day(case)[1]
            build(case, number, as_of, frames)
    return frames.assess(RULE_SETS[rule_set_id], period, as_of), as_of


def _rows(case: Case, as_of: date) -> list[tuple[int, dict[str, object]]]:
    metric = case.rule.metric
    if metric.kind is K.COVERAGE:
        needed = math.ceil(metric.share * UNIT_CADRES) if metric.share else metric.at_least
        starts = ended_periods(metric, as_of)
        skipped = len(starts) // 2 if not case.met else -1
        return [pair for i, start in enumerate(starts)
                for pair in figure_rows(metric, needed - (i == skipped), start)]  # fmt: skip
    if metric.kind is K.PER_POINT:
        rows = []
        for i, point in enumerate(POINTS):
            figure = case.target if i == 0 else case.bounds.minimum or case.bounds.maximum or 0
            rows += [
                (o, {**r, "联系点": point}) for o, r in figure_rows(metric, figure, a_day(metric))
            ]
        return rows
    if metric.kind is K.PROHIBITION:
        limit = metric.above if metric.above is not None else 0.0
        figure = limit + 1 if not case.met else limit
        return figure_rows(metric, figure, a_day(metric)) if metric.columns or not case.met else []
    return figure_rows(metric, case.target, a_day(metric))


@pytest.mark.parametrize("number", range(len(CASES)), ids=[c.id for c in CASES])
def test_just_meets_or_just_misses(number: int) -> None:
    case = CASES[number]
    assessment, as_of = assessed(case.rule_set.id, period_and_day(case)[0])
    if case.rule.scope is Scope.UNIT:
        results = assessment.unit_results[assessment.unit_results["unit"] == f"{UNIT}{number}"]
    else:
        results = assessment.results[assessment.results["submission"] == f"s{first_file(number)}"]
    mine = results[results["rule_id"] == case.rule.id]
    assert len(mine) == 1, f"the rule does not apply to {case.attributes}"
    result = mine.iloc[0]
    assert bool(result["met"]) is case.met, dict(result)
    metric = case.rule.metric
    if metric.kind is K.COVERAGE:
        periods = len(ended_periods(metric, as_of))
        assert periods > 0 and result["required_min"] == periods
        assert result["actual"] == periods - (not case.met)
    elif metric.kind is K.PROHIBITION:
        assert result["actual"] == (0 if case.met else 1) and result["required_max"] == 0
    else:
        assert result["actual"] == case.target
    if case.rule.scope is Scope.CADRE:
        unmet = assessment.cadres.set_index("submission").at[f"s{first_file(number)}", "unmet"]
        assert (case.rule.title in unmet.split("、")) is not case.met


def test_every_rule_of_every_file_has_both_sides() -> None:
    covered = {(c.rule_set.id, c.rule.id, c.side == "meets") for c in CASES}
    for rule_set in RULE_SETS.values():
        for rule in rule_set.rules:
            assert {(rule_set.id, rule.id, True), (rule_set.id, rule.id, False)} <= covered
    assert set(RULE_SETS) >= {"baoji-2018", "guangdong-2016", "yulin-2016", "guangdong-2019",
                              "cyl-2014"}  # fmt: skip
