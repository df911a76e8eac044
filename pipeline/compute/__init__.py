"""Compute: per cadre and rule, actual against required; scores, grades under the caps, lists.

Pure pandas: no paths, no workbooks, no printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pandas as pd

from pipeline.compute.assessment import CADRE_COLUMNS, MISSING_COLUMNS, Assessment
from pipeline.compute.digest import joined_by_file
from pipeline.compute.figures import DIGESTS, Figures, combine, figures_context, measure_files
from pipeline.compute.grading import cap_units, propose, rank, unit_ranks
from pipeline.compute.metrics import Calendar
from pipeline.compute.pace import pace
from pipeline.compute.reminders import chase, deadline
from pipeline.compute.scoring import applicable_rules, score_rules, weighted_scores, with_attributes
from pipeline.compute.units import all_units, score_units
from pipeline.compute.violations import Locate, violations
from pipeline.outcomes import FileOutcome
from pipeline.rules.model import Period, RuleSet, Scope

__all__ = [
    "Assessment", "Figures", "assess", "combine_figures", "figures_context", "follow_up",
    "measure", "unit_sheets",
]  # fmt: skip


def assess(
    rule_set: RuleSet, period: Period, year: int, as_of: date,
    cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame], roster: pd.DataFrame | None,
    *, locate: Locate | None = None, figures: Figures | None = None,
) -> Assessment:  # fmt: skip
    """Assess the current submissions.

    `cadres` is indexed by file number with columns submission, file, name, unit, category,
    post, phone; `sheets` are the ledger's table sheets (typed, with `_file`); `roster` has
    name, unit, category, post, phone and assessed (bool), or is None when no roster was given.
    Both may carry level (职级) and unit_type (单位类别). `sheets` may hold the unit forms' rows
    (推动情况, with 对接部门); `locate` maps a violating row back to its cell. ``figures``, when
    given, are the cadres' figures measured before (`measure`): `sheets` then need only hold
    what the unit rules read (`unit_sheets`).
    """
    rules = applicable_rules(rule_set.rules, period, as_of, year)
    calendar = Calendar(year, as_of)
    if figures is None:
        figures = measure_files(rules, cadres, sheets, calendar, locate)
    cadres = with_attributes(_with_roster(cadres, roster, rule_set), roster)
    results = score_rules(rules, cadres, figures, period, calendar)
    found = violations(rules, figures.breaches, results, cadres)
    unit_rules = applicable_rules(rule_set.rules, period, as_of, year, Scope.UNIT)
    units = all_units(cadres, roster, sheets)
    unit_results = score_units(unit_rules, cadres, sheets, units, period, calendar)
    cadres["score"] = weighted_scores(results).reindex(cadres.index).fillna(1.0)
    cadres["unmet"] = _unmet(results, cadres.index)
    graded = period in rule_set.grading.periods
    cadres = _grade(cadres, results, rule_set, graded)
    for column in DIGESTS:
        cadres[column] = figures.digests[column].reindex(cadres.index)
    cadres = cadres.sort_values(["rank", "unit", "name"], na_position="last", kind="stable")
    results = results.merge(cadres[["submission"]], left_on="_file", right_index=True)
    interview = rule_set.grading.interview
    return Assessment(
        rule_set=rule_set, period=period, year=year, as_of=as_of, rules=rules, graded=graded,
        cadres=cadres[list(CADRE_COLUMNS)].reset_index(drop=True),
        results=results.drop(columns=["_file", "weight"]).reset_index(drop=True),
        units=_units(cadres, roster, rule_set, graded),
        interviews=cadres[graded & (cadres["grade"] == interview)][list(CADRE_COLUMNS)].reset_index(drop=True),
        missing=_missing(cadres, roster),
        unit_rules=unit_rules, unit_results=unit_results, violations=found,
    )  # fmt: skip


def measure(
    rule_set: RuleSet, period: Period, year: int, as_of: date,
    cadres: pd.DataFrame, sheets: dict[str, pd.DataFrame], *, locate: Locate | None = None,
) -> Figures:  # fmt: skip
    """The figures of ``cadres`` (indexed by file number, with `file`) from their own rows."""
    rules = applicable_rules(rule_set.rules, period, as_of, year)
    return measure_files(rules, cadres, sheets, Calendar(year, as_of), locate)


def combine_figures(
    parts: list[Figures], rule_set: RuleSet, period: Period, year: int, as_of: date
) -> Figures:
    """Figures measured apart (some kept in the ledger, some new) as if measured together."""
    return combine(parts, applicable_rules(rule_set.rules, period, as_of, year))


def unit_sheets(rule_set: RuleSet, period: Period, year: int, as_of: date) -> set[str]:
    """The sheets whose rows, of every cadre, the period's unit rules read."""
    rules = applicable_rules(rule_set.rules, period, as_of, year, Scope.UNIT)
    return {rule.metric.sheet for rule in rules}


def follow_up(
    assessment: Assessment, outcomes: Sequence[FileOutcome], roster: pd.DataFrame | None
) -> Assessment:
    """The assessment with its 催交 lists, reporting rates and 进度预警 added."""
    due = deadline(assessment.rule_set, assessment.period, assessment.year)
    lists = chase(outcomes, roster, assessment.cadres, due, assessment.as_of)
    return replace(assessment, chase=lists, pace=pace(assessment))


def _with_roster(
    cadres: pd.DataFrame, roster: pd.DataFrame | None, rule_set: RuleSet
) -> pd.DataFrame:
    default = cadres["category"].isin(rule_set.participants)
    if roster is None:
        return cadres.assign(on_roster=False, assessed=default)
    listed = roster.set_index(["unit", "name"])["assessed"]
    keys = pd.MultiIndex.from_frame(cadres[["unit", "name"]])
    on_roster = keys.isin(listed.index)
    from_roster = pd.Series(listed.reindex(keys).to_numpy(), index=cadres.index)
    assessed = from_roster.where(on_roster, default).astype(bool)
    return cadres.assign(on_roster=on_roster, assessed=assessed)


def _unmet(results: pd.DataFrame, files: pd.Index) -> pd.Series:
    """Each file's unmet rules' titles, joined in their order."""
    unmet = results[~results["met"]]
    return joined_by_file(unmet, "title", "、".join).reindex(files, fill_value="")


def _ranking_keys(cadres: pd.DataFrame, results: pd.DataFrame, rule_set: RuleSet) -> pd.DataFrame:
    keys = pd.DataFrame({"score": cadres["score"]})
    for rule_id in rule_set.grading.tie_breakers:
        rows = results[results["rule_id"] == rule_id].set_index("_file")
        keys[f"{rule_id}:attainment"] = rows["attainment"].reindex(cadres.index, fill_value=0.0)
        keys[f"{rule_id}:actual"] = rows["actual"].reindex(cadres.index, fill_value=0.0)
    return keys


def _grade(
    cadres: pd.DataFrame, results: pd.DataFrame, rule_set: RuleSet, graded: bool
) -> pd.DataFrame:
    keys = _ranking_keys(cadres, results, rule_set)
    assessed = cadres["assessed"]
    cadres["rank"] = rank(keys[assessed]).reindex(cadres.index).astype("Int64")
    cadres["unit_rank"] = pd.Series(pd.NA, index=cadres.index, dtype="Int64")
    cadres["proposed"], cadres["grade"], cadres["tie_flag"], cadres["note"] = "", "", False, ""
    if not graded:
        return cadres
    cadres.loc[assessed, "proposed"] = propose(cadres.loc[assessed, "score"], rule_set.grading)
    members = cadres[assessed & cadres["unit"].notna()]
    if len(members):  # every unit at once: ten thousand cadres in a hundred units
        ranks = unit_ranks(keys[assessed], cadres.loc[assessed, "unit"])
        cadres["unit_rank"] = ranks.reindex(cadres.index).astype("Int64")
        capped = cap_units(
            keys.loc[members.index], members["proposed"], members["unit"], rule_set.grading
        )
        for column in ("grade", "tie_flag", "note"):
            cadres.loc[capped.index, column] = capped[column]
    cadres.loc[~assessed, "note"] = "不参加考核"
    return cadres


def _units(
    cadres: pd.DataFrame, roster: pd.DataFrame | None, rule_set: RuleSet, graded: bool
) -> pd.DataFrame:
    grades = rule_set.grading.grades
    by_unit = cadres.groupby("unit")
    units = pd.DataFrame({
        "submitted": by_unit.size(),
        "assessed": by_unit["assessed"].sum(),
        "mean_score": cadres[cadres["assessed"]].groupby("unit")["score"].mean(),
    })  # fmt: skip
    if roster is not None:
        expected = roster[roster["assessed"]].groupby("unit").size()
        units = units.reindex(units.index.union(expected.index))
        units["expected"] = expected
    else:
        units["expected"] = units["assessed"]
    units = units.fillna({"submitted": 0, "assessed": 0, "expected": 0})
    for grade in grades:
        counts = (
            cadres[cadres["assessed"] & (cadres["grade"] == grade)].groupby("unit").size()
            if graded
            else None
        )
        units[f"count_{grade}"] = (
            counts.reindex(units.index, fill_value=0) if counts is not None else 0
        )
    for grade, share in rule_set.grading.caps:
        units[f"cap_{grade}"] = (units["assessed"] * share + 1e-9).astype(int)  # floor
    units["rank"] = rank(units[["mean_score"]].fillna(-1.0))
    units = units.rename_axis("unit").reset_index().sort_values(["rank", "unit"], kind="stable")
    int_columns = ["expected", "submitted", "assessed"]
    return units.astype({c: "int64" for c in int_columns}).reset_index(drop=True)


def _missing(cadres: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    if roster is None:
        return pd.DataFrame(columns=list(MISSING_COLUMNS))
    submitted = pd.MultiIndex.from_frame(cadres[["unit", "name"]])
    keys = pd.MultiIndex.from_frame(roster[["unit", "name"]])
    missing = roster[roster["assessed"].to_numpy() & ~keys.isin(submitted)]
    return missing[list(MISSING_COLUMNS)].sort_values(["unit", "name"]).reset_index(drop=True)
