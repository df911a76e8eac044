"""Typed, frozen models of a rule file: metrics, thresholds, periods, grades and caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

# The cadre attributes a requirement or `applies_to` may select by, and the Chinese labels
# (基本信息 / 干部名册) they come from.
CADRE_ATTRIBUTES = ("干部类别", "职级", "单位类别")


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
    """The closed vocabulary of what a rule measures (README "Metric kinds")."""

    COUNT = "count"  # rows matching the filter
    SUM = "sum"  # a numeric column (or several, added per row) summed over matching rows
    DISTINCT = "distinct"  # distinct values of a column (or column tuple) among matching rows
    DAYS = "days"  # distinct calendar days covered, each row covering its whole 时长（天）
    STAYS = "stays"  # runs of consecutive covered days at least `min_days` long
    LATEST = "latest"  # a column's value in the latest month reported (the lowest of its rows)
    CADRES = "cadres"  # distinct cadres with matching rows (unit scope)
    COVERAGE = "coverage"  # calendar periods elapsed in which the `of` figure reaches `at_least`
    PER_POINT = "per_point"  # the `of` figure at each contact point: the point that fares worst
    PROHIBITION = "prohibition"  # rows that break a limit: each one a located violation


class Every(Enum):
    """The calendar periods of a coverage metric."""

    WEEK = "week"  # ISO weeks (Monday to Sunday) of the ISO year
    MONTH = "month"
    QUARTER = "quarter"

    @property
    def label(self) -> str:
        return {"week": "周", "month": "月", "quarter": "季度"}[self.value]


class Scope(Enum):
    CADRE = "cadre"  # measured for each cadre over their own submission
    UNIT = "unit"  # measured for each unit (单位) over its cadres' rows and its unit forms


@dataclass(frozen=True)
class Condition:
    """One `where` entry: accepted values, or a filled cell, or a numeric range."""

    column: str
    values: tuple[str, ...] = ()
    filled: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Metric:
    """What is measured over one sheet of a cadre's (or a unit's) accepted submissions."""

    kind: MetricKind
    sheet: str
    columns: tuple[str, ...] = ()  # summed per row when several
    where: tuple[Condition, ...] = ()
    date_column: str | None = None
    since: str | None = None  # "MM-DD": only rows (days, periods) on or after this day
    until: str | None = None  # "MM-DD": only rows (days, periods) on or before this day
    every: Every | None = None  # coverage
    of: MetricKind = MetricKind.COUNT  # coverage, per_point: the figure per period / point
    at_least: float = 1.0  # coverage: the figure a period needs to count as covered
    share: float | None = None  # coverage of cadres: this share of the unit's cadres instead
    min_days: float | None = None  # stays
    above: float | None = None  # prohibition: a row whose figure exceeds this is a violation

    @property
    def column(self) -> str | None:
        return self.columns[0] if self.columns else None

    @property
    def figure(self) -> MetricKind:
        """The aggregate actually taken: `of` for coverage and per_point, else the kind."""
        return self.of if self.kind in (MetricKind.COVERAGE, MetricKind.PER_POINT) else self.kind


@dataclass(frozen=True)
class Bounds:
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Requirement:
    """A threshold that may depend on who the cadre is (干部类别, 职级, 单位类别), nested."""

    default: Bounds | Requirement | None
    by: str | None = None
    cases: tuple[tuple[tuple[str, ...], Bounds | Requirement | None], ...] = ()

    def __post_init__(self) -> None:
        # a case may be keyed by one value ("专职") or several (("局处级", "科级"))
        cases = tuple(((v,) if isinstance(v, str) else tuple(v), t) for v, t in self.cases)
        object.__setattr__(self, "cases", cases)

    def for_cadre(self, attributes: Mapping[str, str]) -> Bounds | None:
        """The bounds for a cadre with these attributes (None: the rule does not apply)."""
        chosen = self.default
        if self.by is not None:
            value = attributes.get(self.by, "")
            chosen = next((t for values, t in self.cases if value in values), self.default)
        return chosen.for_cadre(attributes) if isinstance(chosen, Requirement) else chosen

    def for_value(self, category: str) -> Bounds | None:
        """The bounds for a cadre of whom only the 干部类别 is known."""
        return self.for_cadre({"干部类别": category})

    def leaves(self) -> list[tuple[str, Bounds | None]]:
        """Every case as ("兼职·团的领导机关", bounds), each level's fall-back (其他) last.

        A fall-back of None (the rule does not apply to anyone else) is left out.
        """
        if self.by is None:
            return [("", self.default if not isinstance(self.default, Requirement) else None)]
        found: list[tuple[str, Bounds | None]] = []
        fallback = [(("其他",), self.default)] if self.default is not None else []
        for values, threshold in [*self.cases, *fallback]:
            label = "、".join(values)
            if isinstance(threshold, Requirement):
                found += [
                    (f"{label}·{inner}" if inner else label, b) for inner, b in threshold.leaves()
                ]
            else:
                found.append((label, threshold))
        return found


Who = tuple[tuple[str, tuple[str, ...]], ...]  # attribute -> accepted values, all must match


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    clause: str
    metric: Metric
    required: Requirement | None  # None: implied by the metric (coverage, prohibition)
    weight: float = 1.0
    periods: tuple[Period, ...] = (Period.MID_YEAR, Period.YEAR_END)
    prorate: bool = True  # mid-year: accumulating quotas are scaled to the elapsed year
    due: str | None = None  # "MM-DD": not assessed before this day
    unit: str = ""
    scope: Scope = Scope.CADRE
    applies_to: tuple[Who, ...] = ()  # any of these matches; empty: every cadre assessed

    def applies(self, attributes: Mapping[str, str]) -> bool:
        return not self.applies_to or any(
            all(attributes.get(name, "") in values for name, values in who)
            for who in self.applies_to
        )


@dataclass(frozen=True)
class Parameter:
    """A number or period the document leaves open, named so rules can refer to it."""

    name: str
    value: float | str
    meaning: str = ""
    clause: str = ""


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_score: float


@dataclass(frozen=True)
class Grading:
    bands: tuple[GradeBand, ...]  # best first
    caps: tuple[tuple[str, float], ...]  # grade -> share of those assessed, floored
    interview: str | None  # the grade that puts a cadre on the 约谈名单 (None: no interviews)
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
    parameters: tuple[Parameter, ...] = field(default=())

    def rules_for(self, period: Period) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if period in r.periods)

    def deadline(self, period: Period) -> str:
        return next(p.deadline for p in self.periods if p.period is period)
