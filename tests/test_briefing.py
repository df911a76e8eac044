"""通报.html: one printable page, self-contained, every user string escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from test_dashboard import with_chase
from test_write_support import UNIT_A, tiny_assessment

from pipeline.write.briefing import bar_chart, write_briefing

HOSTILE_UNIT = '<script>alert("x")</script>团委'


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    assessment = with_chase(tiny_assessment())
    units = assessment.units.assign(unit=assessment.units["unit"].replace(UNIT_A, HOSTILE_UNIT))
    path = tmp_path_factory.mktemp("briefing") / "通报.html"
    write_briefing(replace(assessment, units=units), path)
    return path.read_text(encoding="utf-8")


def test_one_a4_page_with_nothing_fetched(html: str) -> None:
    assert "size: A4" in html
    assert not re.search(
        r"<script|<link|<img|src=|url\(|@import|https?://(?!www\.w3\.org/2000/svg)", html
    )


def test_figures_best_and_weakest_units_interviews_and_method(html: str) -> None:
    for text in ("应报（人）", "按时报送率", "约谈（人）", "成绩较好的单位", "需加强的单位",
                 "baoji-2018", "向下取整", "统计截止日 2026-11-30"):  # fmt: skip
        assert text in html
    assert "<b>50%</b><span>按时报送率</span>" in html


def test_charts_are_inline_svg_bars(html: str) -> None:
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2
    assert all(s.count('fill="#5B9BD5"') >= 2 for s in svgs)


def test_user_text_is_escaped(html: str) -> None:
    assert HOSTILE_UNIT not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;团委" in html


def test_bars_scale_to_the_maximum() -> None:
    chart = bar_chart("按时报送率", [("甲", 1.0, "100%"), ("乙", 0.25, "25%")], 1.0)
    assert [bar.width for bar in chart.bars] == [220, 55]
    assert chart.bars[1].y > chart.bars[0].y


def test_written_atomically(tmp_path: Path) -> None:
    path = write_briefing(with_chase(tiny_assessment()), tmp_path / "通报.html")
    assert [p.name for p in tmp_path.iterdir()] == ["通报.html"]
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
