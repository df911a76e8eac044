"""Grades: proposed by score band, then capped within each assessment unit.

Caps (宝市团发〔2018〕84号 四、3): at most floor(share × assessed) cadres of a capped grade; the
overflow is demoted one grade by rank. A tie that straddles a cap boundary is never settled by
name order: the whole tied group is held at the lower grade and flagged for a person to decide,
so the caps always hold and nobody is promoted.
"""

from __future__ import annotations

import numpy as np
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
    """Grades after the caps for one unit's assessed cadres (`cap_units` for one unit)."""
    return cap_units(keys, proposed, pd.Series("", index=keys.index), grading)


def cap_units(
    keys: pd.DataFrame, proposed: pd.Series, units: pd.Series, grading: Grading
) -> pd.DataFrame:
    """Grades after the caps for the assessed cadres of every unit (``units``), at once.

    `keys` holds the ranking key columns (higher is better, compared left to right), indexed
    like `proposed` and `units`. Returns columns grade, tie_flag, note. Within a unit, the
    holders of a capped grade beyond its allowance are moved one grade down by rank; a tie
    across the boundary moves its whole group down, flagged.
    """
    columns = list(keys.columns)
    ordered = _by_unit_and_rank(keys, units)
    unit = pd.factorize(ordered["_unit"])[0]
    key = _key_ids(ordered[columns])
    assessed = np.bincount(unit)
    grade = proposed.reindex(ordered.index).to_numpy(dtype=object, copy=True)
    tie_flag = np.zeros(len(grade), dtype=bool)
    note = np.full(len(grade), "", dtype=object)
    grades = list(grading.grades)
    for capped, share in grading.caps:
        lower = grades[min(grades.index(capped) + 1, len(grades) - 1)]
        holder = grade == capped
        position = pd.Series(holder).groupby(unit).cumsum().to_numpy()  # 1, 2 … among holders
        allowed = np.floor(share * assessed + 1e-9).astype(np.int64)
        over = np.bincount(unit, weights=holder, minlength=len(assessed)) > allowed
        kept, tied = _kept_and_tied(unit, key, holder, position, allowed, over)
        demoted = holder & over[unit] & (position > kept[unit])
        grade[demoted] = lower
        tie_flag |= demoted & tied
        rows = np.flatnonzero(demoted).tolist()
        note[rows] = [_note(capped, lower, int(allowed[unit[r]]), int(assessed[unit[r]]),
                            bool(tied[r])) for r in rows]  # fmt: skip
    capped_grades = pd.DataFrame(
        {"grade": grade, "tie_flag": tie_flag, "note": note}, index=ordered.index
    )
    return capped_grades.reindex(proposed.index)


def _key_ids(keys: pd.DataFrame) -> np.ndarray:
    """A number per row, equal for rows with equal keys; a key holding NaN equals no other."""
    ids = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy(copy=True)
    blank = keys.isna().any(axis=1).to_numpy()
    ids[blank] = -2 - np.flatnonzero(blank)
    return ids


def _kept_and_tied(
    unit: np.ndarray, key: np.ndarray, holder: np.ndarray, position: np.ndarray,
    allowed: np.ndarray, over: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """How many holders of each unit keep the grade, and which rows are in the tied group
    straddling their unit's boundary (the last allowed holder's key is the next one's)."""
    units = len(allowed)
    boundary, following = np.full(units, -1), np.full(units, -2)
    last_kept = holder & (position == allowed[unit]) & (allowed[unit] > 0)
    boundary[unit[last_kept]] = key[last_kept]
    first_out = holder & (position == allowed[unit] + 1)
    following[unit[first_out]] = key[first_out]
    straddled = over & (allowed > 0) & (boundary == following)
    tied = holder & straddled[unit] & (key == boundary[unit])
    first_tied = np.full(units, np.iinfo(np.int64).max)
    np.minimum.at(first_tied, unit[tied], position[tied])
    return np.where(straddled, first_tied - 1, allowed), tied


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
    ordered = _by_unit_and_rank(keys, units)
    unit = ordered["_unit"]
    same = unit.eq(unit.shift()) & ordered[columns].eq(ordered[columns].shift()).all(axis=1)
    position = ordered.groupby("_unit", sort=False).cumcount() + 1
    ranks = position.where(~same).ffill()  # a unit's first row never ties with the one above
    return ranks.astype("Int64").reindex(keys.index)


def _by_unit_and_rank(keys: pd.DataFrame, units: pd.Series) -> pd.DataFrame:
    """``keys`` with their unit in `_unit`, unit by unit, each unit's best first (a stable sort:
    equal keys keep their order)."""
    columns = list(keys.columns)
    return keys.assign(_unit=units).sort_values(
        ["_unit", *columns], ascending=[True] + [False] * len(columns), kind="stable"
    )
