"""The metric kinds on tiny frames: calendar coverage at month, quarter and year boundaries and
with the as-of date mid-period; whole days, stays, contact points, latest figures, prohibitions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_rules_support import typed

from pipeline.compute.coverage import calendar_periods
from pipeline.compute.metrics import Calendar, Measure, Setting, measure
from pipeline.compute.scoring import rule_fraction, scaled
from pipeline.rules.context import Context
from pipeline.rules.loader import load_rules
from pipeline.rules.metric import SHEETS, parse_metric
from pipeline.rules.model import Every, Period, Scope

CADRE, OTHER = 1, 2


def metric_of(scope: Scope = Scope.CADRE, **raw: Any) -> Any:
    return parse_metric({"sheet": "活动记录", **raw}, scope, Context(Path("test.yaml")))


def measured(
    metric: Any, rows: list[dict[str, object]], as_of: date, *, setting: Setting | None = None
) -> Measure:
    frame = typed(SHEETS[metric.sheet], [{"_file": CADRE, "_row": n + 2, **r} for n, r in
                                         enumerate(rows)])  # fmt: skip
    if "_key" not in frame:
        frame = frame.assign(_key=[r.get("_key", CADRE) for r in rows] if rows else [])
    keys = (
        pd.Index([CADRE, OTHER]) if setting is None or setting.sizes.empty else setting.sizes.index
    )
    return measure(metric, frame, keys, setting or Setting(Calendar(as_of.year, as_of)))


def on(*days: str, kind: str = "社区报到", **values: object) -> list[dict[str, object]]:
    return [{"日期": pd.Timestamp(d), "活动类型": kind, **values} for d in days]


def coverage(
    every: str, rows: list[dict[str, object]], as_of: date, **raw: Any
) -> tuple[float, int]:
    found = measured(metric_of(kind="coverage", every=every, **raw), rows, as_of)
    return float(found.actual[CADRE]), int(found.periods or 0)


# --- the calendar -----------------------------------------------------------------------------


def test_iso_weeks_belong_to_the_year_of_their_thursday() -> None:
    weeks_2026 = calendar_periods(Every.WEEK, 2026)
    assert len(weeks_2026) == 53  # 2026 starts on a Thursday
    assert weeks_2026["start"].iloc[0] == pd.Timestamp("2025-12-29")
    assert weeks_2026["end"].iloc[-1] == pd.Timestamp("2027-01-03")
    weeks_2027 = calendar_periods(Every.WEEK, 2027)
    assert len(weeks_2027) == 52 and weeks_2027["start"].iloc[0] == pd.Timestamp("2027-01-04")


def test_months_and_quarters_tile_the_year() -> None:
    for every, n in ((Every.MONTH, 12), (Every.QUARTER, 4)):
        periods = calendar_periods(every, 2028)  # a leap year
        assert len(periods) == n
        assert periods["start"].iloc[0] == pd.Timestamp("2028-01-01")
        assert periods["end"].iloc[-1] == pd.Timestamp("2028-12-31")
        assert (periods["start"].iloc[1:].to_numpy() - periods["end"].iloc[:-1].to_numpy()
                == pd.Timedelta(days=1)).all()  # fmt: skip
    assert calendar_periods(Every.MONTH, 2028)["end"].iloc[1] == pd.Timestamp("2028-02-29")


# --- coverage -------------------------------------------------------------------------------

MONTH_EDGES = on("2026-01-31", "2026-02-01", "2026-03-31", "2026-04-01")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2026, 4, 29), (3.0, 3)),  # April under way: neither required nor counted
     (date(2026, 4, 30), (4.0, 4)),  # April ended on the as-of date: 04-01 covers it
     (date(2026, 3, 30), (2.0, 2))],  # the row on 03-31 is after the as-of date
)  # fmt: skip
def test_monthly_coverage_across_month_ends(as_of: date, expected: tuple[float, int]) -> None:
    assert coverage("month", MONTH_EDGES, as_of) == expected


def test_a_missing_month_is_one_short() -> None:
    rows = on("2026-01-31", "2026-03-01", "2026-04-30")  # February has nothing
    assert coverage("month", rows, date(2026, 4, 30)) == (3.0, 4)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2026, 6, 29), (1.0, 1)), (date(2026, 6, 30), (1.0, 2)), (date(2026, 9, 30), (2.0, 3))],
)
def test_quarterly_coverage_across_quarter_ends(as_of: date, expected: tuple[float, int]) -> None:
    rows = on("2026-03-31", "2026-07-01", kind="线下活动")  # Q1 and Q3, nothing in Q2
    assert coverage("quarter", rows, as_of, where={"活动类型": ["线下活动"]}) == expected


def test_weekly_coverage_across_the_year_boundary() -> None:
    # 2027-01-01 (a Friday) lies in ISO week 53 of 2026: it covers no week of 2027
    rows = on("2027-01-01", "2027-01-11")
    assert coverage("week", rows, date(2027, 1, 17)) == (1.0, 2)
    # 2026-01-01 (a Thursday) lies in week 1 of 2026, which began on 2025-12-29
    assert coverage("week", on("2026-01-01"), date(2026, 1, 4)) == (1.0, 1)
    # by 2026-12-31 week 53 (to 2027-01-03) is still under way
    assert coverage("week", on("2026-12-29"), date(2026, 12, 31)) == (0.0, 52)


def test_as_of_mid_week_counts_only_the_weeks_ended() -> None:
    monday, wednesday = "2026-03-09", date(2026, 3, 11)  # week 11
    rows = on(*(str(date.fromisocalendar(2026, w, 5)) for w in range(1, 11)), monday)
    assert coverage("week", rows, wednesday) == (10.0, 10)


def test_a_window_limits_the_periods() -> None:
    rows = on("2026-03-15", "2026-04-15", "2026-05-15", kind="驻点")
    window = {"since": "04-01", "until": "11-30", "where": {"活动类型": ["驻点"]}}
    assert coverage("month", rows, date(2026, 6, 15), **window) == (2.0, 2)
    assert coverage("month", rows, date(2026, 12, 31), **window) == (2.0, 8)


def test_a_period_needs_the_figure_to_reach_at_least() -> None:
    halves = on("2026-01-05", "2026-01-07", **{"时长（天）": 0.5})  # two half days in week 2
    half = on("2026-01-13", **{"时长（天）": 0.5})  # one half day in week 3
    raw = {"of": "sum", "column": "时长（天）", "at_least": 1}
    assert coverage("week", halves + half, date(2026, 1, 18), **raw) == (1.0, 3)


def test_unit_coverage_of_cadres_needs_a_share_of_the_unit() -> None:
    metric = metric_of(Scope.UNIT, kind="coverage", every="quarter", of="cadres", share=0.25,
                       where={"活动类型": ["驻点"]})  # fmt: skip
    rows = [{**r, "_key": "甲", "_file": f} for f, r in ((1, on("2026-02-01", kind="驻点")[0]),
                                                         (2, on("2026-02-09", kind="驻点")[0]),
                                                         (3, on("2026-05-01", kind="驻点")[0]))]  # fmt: skip
    setting = Setting(Calendar(2026, date(2026, 6, 30)), sizes=pd.Series({"甲": 6}))
    frame = typed(SHEETS["活动记录"], [{"_row": 2, **r} for r in rows]).assign(_key="甲")
    found = measure(metric, frame, pd.Index(["甲"]), setting)
    assert (found.actual["甲"], found.periods) == (1.0, 2)  # two of six in Q1, one in Q2


# --- days, stays, points, latest, prohibitions --------------------------------------------------


def days_rows(*stays: tuple[str, float]) -> list[dict[str, object]]:
    return [{"日期": pd.Timestamp(d), "活动类型": "驻点", "时长（天）": n} for d, n in stays]


def test_whole_days_overlap_once_and_halves_do_not_count() -> None:
    rows = days_rows(("2026-04-01", 3), ("2026-04-02", 3), ("2026-04-20", 0.5), ("2026-04-21", 1.5))
    assert measured(metric_of(kind="days"), rows, date(2026, 11, 30)).actual[CADRE] == 5


def test_whole_days_are_clipped_to_the_window_and_the_as_of_date() -> None:
    rows = days_rows(("2026-03-30", 4), ("2026-11-28", 5))  # 04-01, 04-02; 11-28 to 11-30
    metric = metric_of(kind="days", since="04-01", until="11-30")
    assert measured(metric, rows, date(2026, 12, 31)).actual[CADRE] == 5
    assert measured(metric, rows, date(2026, 11, 29)).actual[CADRE] == 4


def test_stays_join_rows_on_consecutive_days() -> None:
    rows = days_rows(("2026-03-01", 5), ("2026-03-06", 5), ("2026-05-01", 9), ("2026-07-01", 10))
    metric = metric_of(kind="stays", min_days=10)
    assert measured(metric, rows, date(2026, 11, 30)).actual[CADRE] == 2  # 03-01..10, 07-01..10


def test_per_point_reports_the_point_that_fares_worst() -> None:
    metric = metric_of(kind="per_point", of="sum", column="青年人数")
    rows = [{**r, "联系点": p} for r, p in zip(on("2026-03-01", "2026-04-01", 青年人数=25),
                                                ("甲", "乙"), strict=True)]  # fmt: skip
    points = pd.DataFrame({"_key": [CADRE, CADRE, CADRE], "_point": ["甲", "乙", "丙"]})
    setting = Setting(Calendar(2026, date(2026, 11, 30)), points=points)
    found = measured(metric, rows, date(2026, 11, 30), setting=setting)
    assert (found.actual[CADRE], found.high[CADRE]) == (0.0, 25.0)  # 丙 has nobody yet
    assert (found.actual[OTHER], found.high[OTHER]) == (0.0, 0.0)  # no contact point at all


def test_latest_is_the_lowest_figure_of_the_latest_month() -> None:
    metric = parse_metric({"kind": "latest", "sheet": "推动情况", "column": "团员注册志愿者比例（%）"},
                          Scope.UNIT, Context(Path("test.yaml")))  # fmt: skip
    rows = [{"月份": pd.Timestamp(m), "县（市、区）": c, "团员注册志愿者比例（%）": v, "_key": CADRE}
            for m, c, v in (("2026-05-31", "甲", 70), ("2026-06-30", "甲", 91),
                            ("2026-06-30", "乙", 93), ("2026-07-31", "乙", 99))]  # fmt: skip
    assert measured(metric, rows, date(2026, 7, 1)).actual[CADRE] == 91
    assert measured(metric, rows, date(2026, 7, 31)).actual[CADRE] == 99


def test_prohibition_counts_rows_over_the_limit() -> None:
    metric = metric_of(kind="prohibition", where={"活动类型": ["集体座谈"]},
                       column=["青年人数", "团干部人数"], above=10)  # fmt: skip
    rows = on("2026-05-01", "2026-05-02", kind="集体座谈", 青年人数=8, 团干部人数=2)
    rows += on("2026-05-03", kind="集体座谈", 青年人数=9, 团干部人数=2)
    rows += on("2026-05-04", kind="个别谈心", 青年人数=30)
    assert measured(metric, rows, date(2026, 11, 30)).actual[CADRE] == 1


def test_mid_year_prorates_a_windowed_quota_over_its_window() -> None:
    rules = {r.id: r for r in load_rules("guangdong-2019").rules}
    calendar = Calendar(2026, date(2026, 6, 30))  # April to June of April to November
    fraction = rule_fraction(rules["stationed-days"], Period.MID_YEAR, calendar)
    assert fraction == pytest.approx(91 / 244)
    assert scaled(10, fraction) == 4
    assert rule_fraction(rules["stationed-days"], Period.YEAR_END, calendar) == 1.0
    before = rule_fraction(
        rules["stationed-days"], Period.MID_YEAR, Calendar(2026, date(2026, 3, 1))
    )
    assert scaled(10, before) == 0
