"""Figures: what each cadre's own rows give under the period's rules, file by file.

Measuring is the costly part of compute, and it depends on nothing but a submission's rows, the
rules and the calendar; who a rule applies to, scores and grades depend on the roster and on
everyone else. Kept apart, a rerun that brings a few new files measures those files only and
takes the others' figures from the ledger (`pipeline.ledger.figures`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipeline import __version__
from pipeline.compute import digest
from pipeline.compute.metrics import Calendar, Setting, measure
from pipeline.compute.violations import BREACH_COLUMNS, Locate, find_breaches
from pipeline.rules.model import Period, Rule, RuleSet

# Bump when what a figure means changes, so that a ledger's kept figures are measured again.
FIGURES_VERSION = 1
POINTS_SHEET, POINT_NAME = "基层联系点", "联系点名称"
DIGESTS = ("contact_points", "four_tasks", "research")


@dataclass(frozen=True)
class Figures:
    """Indexed by `_file`: the cadre's figure per rule, the 附件2 texts, the prohibited rows."""

    measures: pd.DataFrame  # `actual:<rule id>` and `high:<rule id>` (float) per rule measured
    digests: pd.DataFrame  # DIGESTS (str)
    breaches: pd.DataFrame  # BREACH_COLUMNS: every prohibited row, whoever the rule applies to

    @property
    def files(self) -> pd.Index:
        return self.measures.index

    def actual(self, rule: Rule) -> pd.Series:
        return self.measures[f"actual:{rule.id}"]

    def high(self, rule: Rule) -> pd.Series:
        return self.measures[f"high:{rule.id}"]


@dataclass(frozen=True)
class Measured:
    """Figures measured away from the ledger (in a reader process), to be kept under ``context``;
    ``shas`` names each of their file numbers by content."""

    context: str
    figures: Figures
    shas: dict[int, str]


def measure_files(
    rules: tuple[Rule, ...], cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame],
    calendar: Calendar, locate: Locate | None = None,
) -> Figures:  # fmt: skip
    """The figures of ``cadres`` (indexed by `_file`, with `file`) from their rows in ``sheets``."""
    files = cadres.index
    setting = Setting(calendar, points=_points(sheets, files))
    measures: dict[str, pd.Series] = {}
    keyed = {  # each sheet's rows keyed once, not once a rule
        sheet: sheets[sheet].assign(_key=lambda f: f["_file"])
        for sheet in {rule.metric.sheet for rule in rules}
    }
    for rule in rules:
        measured = measure(rule.metric, keyed[rule.metric.sheet], files, setting)
        measures[f"actual:{rule.id}"] = measured.actual
        measures[f"high:{rule.id}"] = measured.high
    digests = {
        "contact_points": digest.contact_points(sheets[POINTS_SHEET], files),
        "four_tasks": digest.four_tasks(sheets["活动记录"], files),
        "research": digest.research(sheets["任务清单"], sheets["活动记录"], files),
    }
    return conform(
        pd.DataFrame(measures, index=files),
        pd.DataFrame(digests, index=files),
        find_breaches(rules, cadres, sheets, calendar, locate),
        rules,
    )


def combine(parts: list[Figures], rules: tuple[Rule, ...]) -> Figures:
    """Several files' figures as one, in file order (as if measured together)."""
    measures = pd.concat([p.measures for p in parts]).sort_index(kind="stable")
    digests = pd.concat([p.digests for p in parts]).sort_index(kind="stable")
    breaches = pd.concat([p.breaches for p in parts], ignore_index=True)
    order = {rule.id: n for n, rule in enumerate(rules)}
    breaches = breaches.assign(_order=breaches["rule_id"].map(order))
    breaches = breaches.sort_values(["_order", "_file", "_row"], kind="stable").drop(columns="_order")
    return conform(measures, digests, breaches.reset_index(drop=True), rules)


def conform(
    measures: pd.DataFrame, digests: pd.DataFrame, breaches: pd.DataFrame,
    rules: tuple[Rule, ...] | None = None,
) -> Figures:  # fmt: skip
    """Figures with the same columns and dtypes however they were made (measured or stored).

    Without ``rules`` the measures keep the columns they have (stored under one context).
    """
    if rules is not None:
        measures = measures.reindex(columns=[f"{p}:{r.id}" for r in rules for p in ("actual", "high")])
    index = measures.index.astype("int64").rename("_file")
    measures = measures.astype("float64").set_axis(index)
    digests = digests.reindex(index=measures.index, columns=list(DIGESTS)).fillna("")
    return Figures(measures, digests.astype(object), _typed_breaches(breaches))


def _typed_breaches(breaches: pd.DataFrame) -> pd.DataFrame:
    frame = breaches.reindex(columns=list(BREACH_COLUMNS))
    return frame.astype({"_file": "int64", "_row": "int64", "found": "float64"}).assign(
        date=pd.to_datetime(frame["date"]), activity=frame["activity"].fillna("")
    )


def figures_context(rule_set: RuleSet, period: Period, year: int, as_of: date) -> str:
    """What figures depend on besides each file: for keeping them in the ledger."""
    rules = hashlib.sha256(repr(rule_set).encode("utf-8")).hexdigest()[:16]
    return (
        f"lianxi {__version__}; figures {FIGURES_VERSION}; rules {rule_set.id} {rules};"
        f" {period.value}; year {year}; as of {as_of.isoformat()}"
    )


def _points(sheets: dict[str, pd.DataFrame], files: pd.Index) -> pd.DataFrame:
    points = sheets.get(POINTS_SHEET)
    if points is None:
        return pd.DataFrame(columns=["_key", "_point"])
    points = points[points["_file"].isin(files)]
    return pd.DataFrame({"_key": points["_file"], "_point": points[POINT_NAME]})
