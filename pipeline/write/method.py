"""The words of the ranking: requirements as text and the 方法说明 that explains every figure."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.rules.model import Bounds, Period, Rule

SCORE_DEFINITION = "得分 = 各项 min(实际/要求, 1) 的加权平均"
CAP_DENOMINATOR = "各单位参加考核人数 × 比例，向下取整"
TIE_RULE = "并列且跨越上限时不按姓名排序，标记待人工确定，暂按较低等次"


def number(value: float) -> str:
    """4.0 → "4", 2.5 → "2.5", 1.234 → "1.23"."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bounds_text(minimum: float | None, maximum: float | None, unit: str = "") -> str:
    """Bounds as text: "≥4次", "3–4个", "≤10名", "1篇" or "不作要求"."""
    low = None if minimum is None or math.isnan(minimum) else minimum
    high = None if maximum is None or math.isnan(maximum) else maximum
    if low is not None and high is not None:
        span = number(low) if low == high else f"{number(low)}–{number(high)}"
        return f"{span}{unit}"
    if low is not None:
        return f"≥{number(low)}{unit}"
    if high is not None:
        return f"≤{number(high)}{unit}"
    return "不作要求"


def requirement_text(rule: Rule) -> str:
    """The rule's yearly requirement, case by case when it depends on who the cadre is."""
    required, every = rule.required, rule.metric.every
    if required is None:  # implied by the metric: coverage or a prohibition
        return f"每{every.label}都做到" if every is not None else "不得出现"
    leaves = required.leaves()
    if required.by is None:
        return _bounds(leaves[0][1], rule.unit)
    return "；".join(f"{label}{_bounds(bounds, rule.unit)}" for label, bounds in leaves)


def applied_requirements(rules: Sequence[Rule], results: pd.DataFrame) -> dict[str, str]:
    """Each rule's requirement applied in this period, by rule id: from the results when every
    cadre shares it, else the rule's own text (one pass over the results for all rules)."""
    distinct = results[["rule_id", "required_min", "required_max"]].drop_duplicates()
    pairs: defaultdict[object, set[tuple[float | None, float | None]]] = defaultdict(set)
    for rule_id, low, high in zip(*(distinct[c].tolist() for c in distinct.columns), strict=True):
        pairs[rule_id].add((_key(low), _key(high)))
    return {
        rule.id: bounds_text(*next(iter(pairs[rule.id])), rule.unit)
        if len(pairs[rule.id]) == 1 else requirement_text(rule)
        for rule in rules
    }  # fmt: skip


def header_with_requirement(rule: Rule, applied: Mapping[str, str]) -> str:
    """A rule's column header: its title and its applied requirement (`applied_requirements`)."""
    return f"{rule.title}\n（{applied[rule.id]}）"


def method_lines(assessment: Assessment) -> list[str]:
    """Plain lines for the 方法说明 sheet: what was counted, how it was scored and graded."""
    rules, grading = assessment.rule_set, assessment.rule_set.grading
    titles = {rule.id: rule.title for rule in rules.rules}
    bands = "，".join(f"{b.grade} ≥ {b.min_score:.2f}" for b in grading.bands)
    caps = "，".join(f"{grade} 不超过 {share:.0%}" for grade, share in grading.caps) or "不设"
    breakers = "、".join(titles.get(r, r) for r in grading.tie_breakers) or "无"
    graded = "是" if assessment.graded else "否（本阶段只统计，不评定等次）"
    return [
        f"规则：{rules.title}（{rules.document}，第 {rules.version} 版，规则编号 {rules.id}）",
        f"依据：{rules.source}",
        f"阶段：{assessment.period.value}；年度：{assessment.year}；"
        f"统计截止日：{assessment.as_of.isoformat()}",
        f"参加考核：{'、'.join(rules.participants)}（{rules.participants_clause}）",
        f"评定等次：{graded}",
        SCORE_DEFINITION,
        f"等次分数线：{bands}",
        f"等次上限：{caps}；上限人数 = {CAP_DENOMINATOR}",
        f"并列：依次比较 {breakers} 的完成率和实际数；{TIE_RULE}",
        f"约谈：考核等级为“{grading.interview}”的干部列入约谈名单"
        if grading.interview
        else "约谈：本规则未规定约谈",
        f"等次依据：{grading.clause}",
        _prorate_line(assessment.period),
    ]


def rule_rows(assessment: Assessment) -> list[list[object]]:
    """One row per applied rule: 指标, 要求（全年）, 本阶段要求, 权重, 期限, 依据条款."""
    applied = applied_requirements(assessment.rules, assessment.results)
    return [
        [
            rule.title,
            requirement_text(rule),
            applied[rule.id],
            rule.weight,
            _due(rule.due),
            rule.clause,
        ]
        for rule in assessment.rules
    ]


RULE_HEADERS = ("指标", "要求（全年）", "本阶段要求", "权重", "期限", "依据条款")


def _prorate_line(period: Period) -> str:
    if period is Period.MID_YEAR:
        return "中期评估：按年度累计的指标，要求按统计截止日已过的时间折算（见“本阶段要求”）"
    return "各项要求以“本阶段要求”为准"


def _due(due: str | None) -> str:
    if not due:
        return ""
    month, day = (int(part) for part in due.split("-"))
    return f"{month}月{day}日前完成"


def _bounds(bounds: Bounds | None, unit: str) -> str:
    if bounds is None:
        return "不作要求"
    return bounds_text(bounds.minimum, bounds.maximum, unit)


def _key(value: object) -> float | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]
