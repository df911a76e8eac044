"""Grade caps: never exceeded, never a promotion, ties at the boundary flagged not settled."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.compute.grading import _note, cap_unit, cap_units, propose, rank, unit_ranks
from pipeline.rules.loader import load_rules

GRADING = load_rules("baoji-2018").grading
ORDER = list(GRADING.grades)


def _cap(scores: list[float]) -> pd.DataFrame:
    keys = pd.DataFrame({"score": scores})
    return cap_unit(keys, propose(keys["score"], GRADING), GRADING)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 0.7, 0.89, 0.9, 0.95, 1.0]), min_size=1, max_size=40))
def test_caps_hold_and_nobody_is_promoted(scores: list[float]) -> None:
    keys = pd.DataFrame({"score": scores})
    proposed = propose(keys["score"], GRADING)
    capped = cap_unit(keys, proposed, GRADING)
    n = len(scores)
    assert (capped["grade"] == "优").sum() <= math.floor(0.30 * n)
    assert (capped["grade"] == "良").sum() <= math.floor(0.50 * n)
    for before, after in zip(proposed, capped["grade"], strict=True):
        assert ORDER.index(after) >= ORDER.index(before)


def test_overflow_is_demoted_by_rank() -> None:
    capped = _cap([1.0, 0.99, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])  # 10 assessed: 3 优 allowed
    assert list(capped["grade"][:4]) == ["优", "良", "优", "优"]
    assert not capped["tie_flag"].any()


def test_a_tie_straddling_the_cap_is_flagged_and_held_lower() -> None:
    scores = [1.0, 1.0, 1.0, 1.0] + [0.5] * 6  # four tied for three 优 places
    capped = _cap(scores)
    assert (capped["grade"][:4] == "良").all()  # nobody picked by name or position
    assert capped["tie_flag"][:4].all()
    assert "人工确定" in capped["note"][0]


def test_tie_breakers_settle_a_tie_before_flagging() -> None:
    keys = pd.DataFrame({"score": [1.0] * 4 + [0.5] * 6, "youth": [150, 101, 130, 120] + [0] * 6})
    capped = cap_unit(keys, propose(keys["score"], GRADING), GRADING)
    assert list(capped["grade"][:4]) == ["优", "良", "优", "优"]  # fewest youth loses the tie
    assert not capped["tie_flag"].any()


def test_small_units_get_no_excellent() -> None:
    # 3 assessed: floor(0.9) = 0 优 and floor(1.5) = 1 良
    assert list(_cap([1.0, 0.99, 0.98])["grade"]) == ["良", "中", "中"]
    all_tied = _cap([1.0, 1.0, 1.0])
    assert list(all_tied["grade"]) == ["中", "中", "中"] and all_tied["tie_flag"].all()


def test_rank_is_competition_ranking() -> None:
    assert list(rank(pd.DataFrame({"s": [0.5, 0.9, 0.9, 0.1]}))) == [3, 1, 1, 4]


@given(st.lists(st.tuples(st.sampled_from("甲乙丙"), st.sampled_from([0.0, 0.5, 1.0, float("nan")]),
                          st.integers(0, 3)), max_size=40))  # fmt: skip
def test_unit_ranks_are_each_units_own_ranking(members: list[tuple[str, float, int]]) -> None:
    frame = pd.DataFrame(members, columns=["unit", "score", "count"], index=range(100, 100 + len(members)))
    keys = frame[["score", "count"]]
    expected = [rank(keys.loc[group.index]) for _, group in frame.groupby("unit")]
    together = unit_ranks(keys, frame["unit"])
    if expected:
        pd.testing.assert_series_equal(together, pd.concat(expected).reindex(keys.index), check_names=False)


def _capped_by_loop(keys: pd.DataFrame, proposed: pd.Series) -> pd.DataFrame:
    """The caps of one unit as the rule reads, holder by holder: the oracle for `cap_units`."""
    order = keys.sort_values(list(keys.columns), ascending=False, kind="stable").index.tolist()
    key_of = dict(zip(keys.index, keys.itertuples(index=False, name=None), strict=True))
    grade, tie_flag = proposed.to_dict(), dict.fromkeys(proposed.index, False)
    note = dict.fromkeys(proposed.index, "")
    for capped, share in GRADING.caps:
        allowed = math.floor(share * len(keys) + 1e-9)
        holders = [i for i in order if grade[i] == capped]
        if len(holders) <= allowed:
            continue
        lower = ORDER[min(ORDER.index(capped) + 1, len(ORDER) - 1)]
        kept, tied = allowed, set()
        if allowed and key_of[holders[allowed]] == key_of[holders[allowed - 1]]:
            tied = {i for i in holders if key_of[i] == key_of[holders[allowed - 1]]}
            kept = min(holders.index(i) for i in tied)
        for i in holders[kept:]:
            grade[i], note[i] = lower, _note(capped, lower, allowed, len(keys), i in tied)
            tie_flag[i] = tie_flag[i] or i in tied
    return pd.DataFrame({"grade": grade, "tie_flag": tie_flag, "note": note}).loc[proposed.index]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("甲乙丙丁"), st.sampled_from([0.5, 0.8, 0.9, 0.95, 1.0]),
                          st.sampled_from([0.0, 1.0, 2.0, float("nan")])), max_size=60))  # fmt: skip
def test_all_units_capped_at_once_as_each_unit_alone(members: list[tuple[str, float, float]]) -> None:
    """Scores at and around the bands, ties and blank tie-breakers (a NaN ties with nothing)."""
    frame = pd.DataFrame(members, columns=["unit", "score", "youth"], index=range(7, 7 + len(members)))
    keys, proposed = frame[["score", "youth"]], propose(frame["score"], GRADING)
    together = cap_units(keys, proposed, frame["unit"], GRADING)
    alone = [_capped_by_loop(keys.loc[g.index], proposed.loc[g.index]) for _, g in frame.groupby("unit")]
    expected = pd.concat(alone).reindex(keys.index) if alone else together
    pd.testing.assert_frame_equal(together, expected, check_dtype=False)
