"""催交 and 进度预警 through a real mid-year run: who is chased, the rates, the texts, the sheets.

Two units after the 30 June deadline (as of 5 July): an on-time cadre who is behind pace, a late
one, a returned one, and one who never sent anything.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest
from factories import compliant_content, make_workspace, roster_rows, submit, submit_roster
from openpyxl import load_workbook

from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, run
from pipeline.write.receipts import ENCODING
from pipeline.write.reminders import write_reminders

YEAR = 2026
AS_OF = date(YEAR, 7, 5)
EAST, WEST = "渭滨区团委", "金台区团委"
ON_TIME, LATE, RETURNED, MISSING = "甲", "乙", "丙", "丁"
VISITS = 2


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = make_workspace(tmp_path_factory.mktemp("reminders"))
    submit(workspace, compliant_content(ON_TIME, EAST, visits=VISITS, fill_date=date(YEAR, 6, 20)),
           "甲.xlsx")  # fmt: skip
    submit(workspace, compliant_content(LATE, EAST, fill_date=date(YEAR, 7, 3)), "乙.xlsx")
    broken = compliant_content(RETURNED, WEST, fill_date=date(YEAR, 6, 28))
    broken.activities[2]["日期"] = f"{YEAR}年2月30日"
    submit(workspace, broken, "丙.xlsx")
    people = [(ON_TIME, EAST), (LATE, EAST), (RETURNED, WEST), (MISSING, WEST)]
    submit_roster(workspace, roster_rows(people))
    options = RunOptions(workspace, period=Period.MID_YEAR, as_of=AS_OF, year=YEAR, workers=2)
    return run(options)


def phone(n: int) -> str:
    """The phone roster_rows gives its n-th cadre (1-based)."""
    return f"0917{n:07d}"


def test_lists_and_rates_per_unit(result: RunResult) -> None:
    chase = result.assessment.chase
    assert chase is not None and chase.days_left == -5
    pending = {(r.unit, r.name): (r.status, r.phone) for r in chase.pending.itertuples()}
    assert pending == {
        (EAST, LATE): ("逾期报送", phone(2)),
        (WEST, RETURNED): ("退回待改", phone(3)),
        (WEST, MISSING): ("未报送", phone(4)),
    }
    rates = chase.rates.set_index("unit")
    assert rates.loc[EAST, ["expected", "reported", "on_time"]].tolist() == [2, 2, 1]
    assert rates.loc[WEST, ["expected", "reported", "on_time"]].tolist() == [2, 0, 0]
    assert chase.total["on_time_rate"] == pytest.approx(1 / 4)


def test_each_unit_gets_a_reminder_to_paste(result: RunResult) -> None:
    raw = (result.out_dir / "催交" / f"{WEST}.txt").read_bytes().decode(ENCODING)
    assert "\r\n" in raw  # Notepad on Chinese Windows
    text = raw.replace("\r\n", "\n")
    assert text.startswith(f"【催交提醒】{WEST}")
    assert "2026年6月30日前" in text and "已逾期 5 天" in text
    assert f"1. {MISSING}，电话 {phone(4)}" in text
    assert f"1. {RETURNED}，电话 {phone(3)}" in text and "退回待改（1 人）" in text
    assert "\n\n\n" not in text
    east = (result.out_dir / "催交" / f"{EAST}.txt").read_text(encoding=ENCODING)
    assert "逾期报送（1 人）" in east and "逾期 3 天" in east and MISSING not in east


def test_chase_sheet_lists_everyone_to_chase(result: RunResult) -> None:
    ws = load_workbook(result.out_dir / "排名.xlsx")["催交"]
    values = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    assert ["单位", "应报", "实报", "按时", "实报率", "按时报送率"] in values
    assert ["合计", 4, 2, 1, 0.5, 0.25] in values
    assert [WEST, MISSING, "未报送", phone(4), "尚未报送台账"] in values


def test_pace_projects_to_the_year_end_deadline(result: RunResult) -> None:
    elapsed, year = (
        (AS_OF - date(YEAR, 1, 1)).days + 1,
        (date(YEAR, 11, 30) - date(YEAR, 1, 1)).days + 1,
    )
    projected = math.floor(VISITS * year / elapsed)
    line = (
        f"走访基层青年：按当前进度，年底（11月30日）预计 {projected}/10 次，差 {10 - projected} 次"
    )
    pace = result.assessment.pace
    assert line in pace["message"].tolist()
    assert set(pace["name"]) == {ON_TIME}  # the late cadre is on pace with every quota
    rows = [
        r
        for r in load_workbook(result.out_dir / "排名.xlsx")["进度预警"].iter_rows(values_only=True)
    ]
    assert any(line in r for r in rows)


def test_the_cadre_behind_pace_is_told_in_the_receipt(result: RunResult) -> None:
    receipt = result.out_dir / "回执" / "甲.回执.txt"
    text = receipt.read_text(encoding=ENCODING)
    assert "进度预警（" in text and "走访基层青年：按当前进度" in text
    assert "台账已采用" in text


def test_no_reminder_is_left_from_an_earlier_run(result: RunResult, tmp_path: Path) -> None:
    folder = tmp_path / "催交"
    folder.mkdir()
    (folder / "上次的单位.txt").write_text("旧的催交", encoding="utf-8")
    write_reminders(result.assessment, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{EAST}.txt", f"{WEST}.txt"])
