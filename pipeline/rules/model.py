"""Typed, frozen models of a rule file: metrics, thresholds, periods, grades and caps."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Period(Enum):
    """The three assessment moments of the year (宝市团发〔2018〕84号 四、考核评估)."""

    FILING = "年初报备"
    MID_YEAR = "中期评估"
    YEAR_END = "年底考核"

    @classmethod
    def parse(cls, text: str) -> Period:
        aliases = {"filing": cls.FILING, "mid-year": cls.MID_YEAR, "year-end": cls.YEAR_END}
        for period in cls:
            aliases[period.value] = period
        try:
            return aliases[text.strip().lower()]
        except KeyError:
            raise ValueError(text) from None


class MetricKind(Enum):
    COUNT = "count"  # rows matching the filter
    SUM = "sum"  # a numeric column summed over matching rows
    DISTINCT = "distinct"  # distinct values of a column among matching rows


@dataclass(frozen=True)
class Metric:
    """What is measured over one sheet of a cadre's accepted submission."""

    kind: MetricKind
    sheet: str
    column: str | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()  # column -> accepted values
    date_column: str | None = None
    until: str | None = None  # "MM-DD": only rows dated on or before this day of the year


@dataclass(frozen=True)
class Bounds:
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Requirement:
    """A threshold that may depend on a cadre attribute (干部类别 today)."""

    default: Bounds | None
    by: str | None = None
    cases: tuple[tuple[str, Bounds | None], ...] = ()

    def for_value(self, value: str) -> Bounds | None:
        return dict(self.cases).get(value, self.default)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    clause: str
    metric: Metric
    required: Requirement
    weight: float = 1.0
    periods: tuple[Period, ...] = (Period.MID_YEAR, Period.YEAR_END)
    prorate: bool = True  # mid-year: accumulating quotas are scaled to the elapsed year
    due: str | None = None  # "MM-DD": not assessed before this day
    unit: str = ""


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_score: float


@dataclass(frozen=True)
class Grading:
    bands: tuple[GradeBand, ...]  # best first
    caps: tuple[tuple[str, float], ...]  # grade -> share of those assessed, floored
    interview: str  # the grade that puts a cadre on the 约谈名单
    tie_breakers: tuple[str, ...]  # rule ids compared by attainment, then actual, best first
    clause: str = ""
    periods: tuple[Period, ...] = (Period.YEAR_END,)

    @property
    def grades(self) -> tuple[str, ...]:
        return tuple(b.grade for b in self.bands)


@dataclass(frozen=True)
class PeriodSpec:
    period: Period
    deadline: str  # "MM-DD"
    clause: str = ""


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    document: str
    version: int
    source: str
    participants: tuple[str, ...]  # 干部类别 assessed unless the roster says otherwise
    participants_clause: str
    periods: tuple[PeriodSpec, ...]
    grading: Grading
    rules: tuple[Rule, ...] = field(default=())

    def rules_for(self, period: Period) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if period in r.periods)

    def deadline(self, period: Period) -> str:
        return next(p.deadline for p in self.periods if p.period is period)
