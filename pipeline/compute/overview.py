"""Figures for the leadership dashboard: how many of each unit's cadres meet each quota."""

from __future__ import annotations

import pandas as pd

from pipeline.compute.assessment import Assessment

GREEN, AMBER = 0.8, 0.5  # a unit's share meeting a quota: ≥80% green, ≥50% amber, else red


def unit_attainment(assessment: Assessment) -> pd.DataFrame:
    """Share of each unit's assessed cadres meeting each applied rule: units × rule ids."""
    assessed = assessment.cadres.loc[assessment.cadres["assessed"], ["submission", "unit"]]
    results = assessment.results.merge(assessed, on="submission")
    shares = results.groupby(["unit", "rule_id"])["met"].mean().unstack("rule_id")
    columns = [rule.id for rule in assessment.rules]
    return shares.reindex(columns=columns).astype(float)


def rag(share: float) -> str:
    """ "green", "amber" or "red" for a share meeting a quota (no value: "")."""
    if pd.isna(share):
        return ""
    return "green" if share >= GREEN else "amber" if share >= AMBER else "red"
