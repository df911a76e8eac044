"""通报.html: a one-page printable briefing for leadership, with inline SVG bar charts.

Rendered from templates/通报.html.j2 (every value escaped); no scripts, fonts or images are
fetched, so it prints the same offline, from a phone or from a chat attachment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.compute.reminders import RETURNED
from pipeline.write.files import write_text_atomic
from pipeline.write.method import CAP_DENOMINATOR, TIE_RULE
from pipeline.write.reminders import chase_of, countdown
from pipeline.write.texts import render
from pipeline.write.workbook import records

TEMPLATE = "通报.html.j2"
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_WIDTH = 20, 8, 110, 220
SHOWN_UNITS = 3  # best and weakest


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as printed beside the bar
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH


def bar_chart(title: str, items: list[tuple[str, float, str]], maximum: float) -> Chart:
    """Horizontal bars for (label, value, text), scaled so that ``maximum`` fills the width."""
    step = BAR_HEIGHT + BAR_GAP
    bars = tuple(
        Bar(label, text, n * step, BAR_WIDTH * max(value, 0) / maximum if maximum else 0)
        for n, (label, value, text) in enumerate(items)
    )
    return Chart(title, bars, max(len(bars) * step, step))


def write_briefing(assessment: Assessment, path: Path) -> Path:
    """Write 通报.html atomically and return its path."""
    return write_text_atomic(path, render(TEMPLATE, **briefing_context(assessment)))


def briefing_context(a: Assessment) -> dict[str, object]:
    chase = chase_of(a)
    units = records(a.units)
    ranked = [u for u in units if not pd.isna(u["rank"])]  # type: ignore[call-overload]
    cadres = a.cadres
    grades = cadres.loc[cadres["assessed"], "grade"].value_counts()
    caps = dict(a.rule_set.grading.caps)
    return {
        "title": f"团干部密切联系青年工作通报（{a.year}年{a.period.value}）",
        "as_of": a.as_of.isoformat(), "deadline": chase.deadline.isoformat(),
        "countdown": countdown(chase), "total": chase.total, "graded": a.graded,
        "assessed": int(cadres["assessed"].sum()), "interviews": len(a.interviews),
        "returned": int((chase.pending["status"] == RETURNED).sum()),
        "grades": [(g, int(grades.get(g, 0)), _cap(units, f"cap_{g}") if g in caps else None)
                   for g in a.rule_set.grading.grades],
        "best": ranked[:_shown(ranked)], "weakest": ranked[_shown(ranked):][::-1][:SHOWN_UNITS],
        "charts": _charts(a, units),
        "method": _method(a),
    }  # fmt: skip


def _charts(a: Assessment, units: list[dict[str, object]]) -> list[Chart]:
    rates = records(chase_of(a).rates)
    on_time = [(str(r["unit"]), float(r["on_time_rate"]), f"{float(r['on_time_rate']):.0%}")  # type: ignore[arg-type]
               for r in rates]  # fmt: skip
    scores = [(str(u["unit"]), float(u["mean_score"]), f"{float(u['mean_score']):.2f}")  # type: ignore[arg-type]
              for u in units if not pd.isna(u["mean_score"])]  # type: ignore[call-overload]  # fmt: skip
    return [bar_chart("各单位按时报送率", on_time, 1.0), bar_chart("各单位平均得分", scores, 1.0)]


def _shown(ranked: list[dict[str, object]]) -> int:
    """How many units count as best: up to three, never more than half (rounded up)."""
    return min(SHOWN_UNITS, (len(ranked) + 1) // 2)


def _cap(units: list[dict[str, object]], column: str) -> int:
    return int(sum(int(u[column]) for u in units))  # type: ignore[call-overload]


def _method(a: Assessment) -> list[str]:
    rules = a.rule_set
    caps = "，".join(f"{g} ≤ {s:.0%}" for g, s in rules.grading.caps)
    return [
        f"规则：{rules.title}（{rules.document}），规则编号 {rules.id}，第 {rules.version} 版。",
        f"等次上限：{caps}，上限人数 = {CAP_DENOMINATOR}。{TIE_RULE}。",
        f"数据截至统计截止日 {a.as_of.isoformat()}；按时报送 = 已采用且填报日期不晚于 "
        f"{chase_of(a).deadline.isoformat()}；比率的分母为应报人数。",
    ]
