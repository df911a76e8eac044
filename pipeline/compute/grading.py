"""Grades: proposed by score band, then capped within each assessment unit.

Caps (宝市团发〔2018〕84号 四、3): at most floor(share × assessed) cadres of a capped grade; the
overflow is demoted one grade by rank. A tie that straddles a cap boundary is never settled by
name order: the whole tied group is held at the lower grade and flagged for a person to decide,
so the caps always hold and nobody is promoted.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.rules.model import Grading


def propose(scores: pd.Series, grading: Grading) -> pd.Series:
    """The first band (best first) whose minimum the score reaches."""

    def band(score: float) -> str:
        return next(
            (b.grade for b in grading.bands if score >= b.min_score), grading.bands[-1].grade
        )

    return scores.map(band)


def cap_unit(keys: pd.DataFrame, proposed: pd.Series, grading: Grading) -> pd.DataFrame:
    """Grades after the caps for one unit's assessed cadres.

    `keys` holds the ranking key columns (higher is better, compared left to right), indexed
    like `proposed`. Returns columns grade, tie_flag, note.
    """
    order = keys.sort_values(list(keys.columns), ascending=False, kind="stable").index.tolist()
    key_of = dict(zip(keys.index, keys.itertuples(index=False, name=None), strict=True))
    grade = proposed.to_dict()
    tie_flag = dict.fromkeys(proposed.index, False)
    note = dict.fromkeys(proposed.index, "")
    grades = list(grading.grades)
    for capped, share in grading.caps:
        allowed = math.floor(share * len(keys) + 1e-9)
        holders = [i for i in order if grade[i] == capped]
        if len(holders) <= allowed:
            continue
        lower = grades[min(grades.index(capped) + 1, len(grades) - 1)]
        kept, tied = _kept_and_tied(holders, allowed, key_of)
        for i in holders[kept:]:
            grade[i] = lower
            note[i] = _note(capped, lower, allowed, len(keys), i in tied)
            tie_flag[i] = tie_flag[i] or i in tied
    index = proposed.index
    return pd.DataFrame(
        {"grade": [grade[i] for i in index], "tie_flag": [tie_flag[i] for i in index],
         "note": [note[i] for i in index]},
        index=index,
    )  # fmt: skip


def _kept_and_tied(holders: list, allowed: int, key_of: dict) -> tuple[int, set]:
    """How many holders keep the grade, and the tied group straddling the boundary (if any);
    ``key_of`` maps each holder to its ranking key."""
    if allowed == 0:
        return 0, set()
    boundary = key_of[holders[allowed - 1]]
    if key_of[holders[allowed]] != boundary:
        return allowed, set()
    tied = {i for i in holders if key_of[i] == boundary}
    kept = min(holders.index(i) for i in tied)
    return kept, tied


def _note(capped: str, lower: str, allowed: int, assessed: int, tied: bool) -> str:
    cap = f"“{capped}”等次上限 {allowed} 人（参加考核 {assessed} 人）"
    if tied:
        return f"与他人并列跨越{cap}，暂定为“{lower}”，须人工确定"
    return f"受{cap}限制，由“{capped}”调整为“{lower}”"


def rank(keys: pd.DataFrame) -> pd.Series:
    """Competition ranking (1, 2, 2, 4) by the key columns, higher is better."""
    return unit_ranks(keys, pd.Series("", index=keys.index))


def unit_ranks(keys: pd.DataFrame, units: pd.Series) -> pd.Series:
    """Competition ranking (1, 2, 2, 4) within each unit (``units``, indexed like ``keys``) by
    the key columns, higher is better: every unit in one sort."""
    columns = list(keys.columns)
    ordered = keys.assign(_unit=units).sort_values(
        ["_unit", *columns], ascending=[True] + [False] * len(columns), kind="stable"
    )
    unit = ordered["_unit"]
    same = unit.eq(unit.shift()) & ordered[columns].eq(ordered[columns].shift()).all(axis=1)
    position = ordered.groupby("_unit", sort=False).cumcount() + 1
    ranks = position.where(~same).ffill()  # a unit's first row never ties with the one above
    return ranks.astype("Int64").reindex(keys.index)
