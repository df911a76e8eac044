"""Real workbooks through the whole pipeline: inbox → run → 排名 / 回执清单 / 回执 / run.json.

Each theme gets one workspace and one run (module-scoped), so the suite stays fast; every
assertion reads the written workbooks back with openpyxl, by header name.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import (
    by_name,
    compliant_content,
    make_workspace,
    roster_rows,
    rule_titles,
    sheet_cells,
    sheet_values,
    submit,
    submit_roster,
    template_column,
)
from openpyxl import load_workbook

from pipeline.demo.fill import LedgerContent
from pipeline.resources import templates_dir
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, run

YEAR = 2026
AS_OF = date(YEAR, 11, 30)
STAGE_DIR = Path("outbox") / f"{YEAR}-年底考核"
TITLES = rule_titles()
UNMET, PROPOSED, GRADE, NOTE = "未达标项", "建议等级", "考核等级", "备注"
SCORE, RANK = "得分", "名次"
RULE_COLUMNS = [title for rule_id, title in TITLES.items() if rule_id != "task-list-areas"]
# task-list-areas is counted at 年初报备 only; the other rules all apply at 年底考核


def run_workspace(workspace: Path) -> RunResult:
    options = RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, year=YEAR, workers=2)
    return run(options)


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(YEAR, month, day, hour)


def name_cell() -> str:
    """Where the 姓名 value is typed: right of its label in 基本信息."""
    workbook = load_workbook(templates_dir() / "联系青年工作台账.xlsx", read_only=True)
    try:
        labels = [label for label, *_ in workbook["基本信息"].iter_rows(values_only=True)]
    finally:
        workbook.close()
    row = labels.index("姓名") + 1
    return f"B{row}"


def blank(value: object) -> bool:
    return value is None or value == ""


# --- quota boundaries -----------------------------------------------------------------------


@dataclass(frozen=True)
class Boundary:
    key: str  # short label, also the cadre names' stem
    rule_id: str
    meets: dict[str, Any]
    misses: dict[str, Any]
    figures: tuple[float, float]  # what 排名 must show for (meets, misses)

    @property
    def meet_name(self) -> str:
        return f"{self.key}达标"

    @property
    def miss_name(self) -> str:
        return f"{self.key}未达"


BOUNDARIES = [
    Boundary("宣讲", "lectures", {"lectures": 4}, {"lectures": 3}, (4, 3)),
    Boundary("青年", "youth-face-to-face", {"youth": 100}, {"youth": 99}, (100, 99)),
    Boundary("走访", "grassroots-visits", {"visits": 10}, {"visits": 9}, (10, 9)),
    Boundary("团干", "cadre-talks", {"cadres_talked": 20}, {"cadres_talked": 19}, (20, 19)),
    Boundary("天数", "grassroots-days", {"days": 60}, {"days": 59.5}, (60, 59.5)),
    Boundary("报告", "research-report", {"report_date": date(YEAR, 10, 31)},
             {"report_date": date(YEAR, 11, 1)}, (1, 0)),
    Boundary("联系点少", "contact-points", {"points": 3}, {"points": 2}, (3, 2)),
    Boundary("联系点多", "contact-points", {"points": 4}, {"points": 5}, (4, 5)),
    Boundary("重点青年", "key-contacts", {"key_contacts": 7}, {"key_contacts": 6}, (7, 6)),
]  # fmt: skip
BOUNDARY_UNIT = "渭滨区团委"


@pytest.fixture(scope="module")
def boundaries(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = make_workspace(tmp_path_factory.mktemp("boundaries"))
    cadres = []
    for case in BOUNDARIES:
        for name, figures in ((case.meet_name, case.meets), (case.miss_name, case.misses)):
            submit(workspace, compliant_content(name, BOUNDARY_UNIT, **figures), f"{name}.xlsx")
            cadres.append((name, BOUNDARY_UNIT))
    submit_roster(workspace, roster_rows(cadres))
    return run_workspace(workspace)


@pytest.fixture(scope="module")
def boundary_rows(boundaries: RunResult) -> dict[str, dict[str, Any]]:
    return by_name(sheet_cells(boundaries.out_dir / "排名.xlsx", "干部排名"))


def test_boundary_files_are_all_accepted(boundaries: RunResult) -> None:
    fates = {o.file: (o.status.value, [str(p) for p in o.problems]) for o in boundaries.outcomes}
    names = [name for c in BOUNDARIES for name in (c.meet_name, c.miss_name)]
    expected = {f"inbox/{name}.xlsx" for name in names}
    assert {f for f, (status, _) in fates.items() if status == "已采用"} == expected, fates


@pytest.mark.parametrize("case", BOUNDARIES, ids=[c.key for c in BOUNDARIES])
def test_boundary_names_exactly_the_missed_rule(
    case: Boundary, boundary_rows: dict[str, dict[str, Any]]
) -> None:
    meet, miss = boundary_rows[case.meet_name], boundary_rows[case.miss_name]
    assert blank(meet[UNMET].value), meet[UNMET].value
    assert miss[UNMET].value == TITLES[case.rule_id]


@pytest.mark.parametrize("case", BOUNDARIES, ids=[c.key for c in BOUNDARIES])
def test_boundary_miss_is_red_and_meet_is_not(
    case: Boundary, boundary_rows: dict[str, dict[str, Any]]
) -> None:
    title = TITLES[case.rule_id]
    meet, miss = boundary_rows[case.meet_name][title], boundary_rows[case.miss_name][title]
    assert miss.fill.fill_type == "solid" and miss.fill.fgColor.rgb not in (None, "00000000")
    assert meet.fill.fgColor.rgb != miss.fill.fgColor.rgb
    assert meet.fill.fill_type is None
    # the other rules' cells of the cadre who missed one are not red
    others = [boundary_rows[case.miss_name][t] for t in RULE_COLUMNS if t != title]
    assert all(cell.fill.fill_type is None for cell in others)


@pytest.mark.parametrize("case", BOUNDARIES, ids=[c.key for c in BOUNDARIES])
def test_boundary_figures_are_the_figures_typed(
    case: Boundary, boundary_rows: dict[str, dict[str, Any]]
) -> None:
    title = TITLES[case.rule_id]
    figures = (
        boundary_rows[case.meet_name][title].value,
        boundary_rows[case.miss_name][title].value,
    )
    assert figures == case.figures


def test_boundary_meets_score_full_marks(boundary_rows: dict[str, dict[str, Any]]) -> None:
    for case in BOUNDARIES:
        assert boundary_rows[case.meet_name][SCORE].value == 1
        assert boundary_rows[case.miss_name][SCORE].value < 1
        assert boundary_rows[case.meet_name][PROPOSED].value == "优"


# --- a unit's year: versions, roster, the interview list, a returned file, run.json --------

UNIT = "金台区团委"


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = make_workspace(tmp_path_factory.mktemp("lifecycle"))
    half_year = {"lectures": 2, "visits": 5, "youth": 45, "cadres_talked": 8, "days": 20,
                 "report_date": None, "work_pursued": 1, "fill_date": date(YEAR, 6, 28)}  # fmt: skip
    # the June version is touched last: 填报日期 decides before the file time does
    submit(
        workspace, compliant_content("张明", UNIT, **half_year), "张明-半年.xlsx", mtime=at(11, 28)
    )
    submit(
        workspace, compliant_content("张明", UNIT, lectures=7), "张明-年底.xlsx", mtime=at(11, 26)
    )
    # same 填报日期: the file received last wins, although its name sorts first
    same_day = date(YEAR, 11, 25)
    submit(
        workspace,
        compliant_content("李华", UNIT, lectures=5, fill_date=same_day),
        "李华-a.xlsx",
        mtime=at(11, 27),
    )
    submit(
        workspace,
        compliant_content("李华", UNIT, lectures=8, fill_date=same_day),
        "李华-b.xlsx",
        mtime=at(11, 26),
    )
    submit(workspace, compliant_content("陈静", UNIT), "陈静.xlsx")  # not on the roster
    almost_nothing = {"lectures": 0, "visits": 0, "youth": 0, "cadres_talked": 0, "days": 0,
                      "report_date": None, "points": 1, "key_contacts": 0, "work_items": 0,
                      "work_pursued": 0}  # fmt: skip
    submit(workspace, compliant_content("赵强", UNIT, **almost_nothing), "赵强.xlsx")
    broken = compliant_content("刘洋", UNIT)
    broken.activities[IMPOSSIBLE_ROW_INDEX]["日期"] = f"{YEAR}年2月30日"
    submit(workspace, broken, "刘洋.xlsx")
    on_roster = ("张明", "李华", "王芳", "赵强", "刘洋")  # 王芳 never submits
    submit_roster(workspace, roster_rows([(name, UNIT) for name in on_roster]))
    return run_workspace(workspace)


IMPOSSIBLE_ROW_INDEX = 3  # the fourth activity row: Excel row 5 (header in row 1, data from row 2)


@pytest.fixture(scope="module")
def receipts_index(lifecycle: RunResult) -> dict[str, dict[str, Any]]:
    rows = sheet_values(lifecycle.out_dir / "回执清单.xlsx", "回执清单")
    return {str(r["文件"]): r for r in rows}


@pytest.fixture(scope="module")
def lifecycle_ranking(lifecycle: RunResult) -> dict[str, dict[str, Any]]:
    return by_name(sheet_values(lifecycle.out_dir / "排名.xlsx", "干部排名"))


def test_older_fill_date_is_superseded(receipts_index: dict[str, dict[str, Any]]) -> None:
    june, november = receipts_index["inbox/张明-半年.xlsx"], receipts_index["inbox/张明-年底.xlsx"]
    assert june["处理结果"] == "已被新版本替代"
    assert june["被替代为"] == "inbox/张明-年底.xlsx"
    assert june["填报日期"] == f"{YEAR}-06-28"
    assert november["处理结果"] == "已采用"


def test_ranking_uses_the_newer_version(lifecycle_ranking: dict[str, dict[str, Any]]) -> None:
    row = lifecycle_ranking["张明"]
    assert row[TITLES["lectures"]] == 7
    assert row[TITLES["grassroots-visits"]] == 14
    assert row[TITLES["research-report"]] == 1
    assert blank(row[UNMET])


def test_same_fill_date_later_file_time_wins(
    receipts_index: dict[str, dict[str, Any]], lifecycle_ranking: dict[str, dict[str, Any]]
) -> None:
    assert receipts_index["inbox/李华-a.xlsx"]["处理结果"] == "已采用"
    assert receipts_index["inbox/李华-b.xlsx"]["处理结果"] == "已被新版本替代"
    assert receipts_index["inbox/李华-b.xlsx"]["被替代为"] == "inbox/李华-a.xlsx"
    assert lifecycle_ranking["李华"][TITLES["lectures"]] == 5


def test_roster_cadre_who_never_submits_is_listed_missing(lifecycle: RunResult) -> None:
    missing = sheet_values(lifecycle.out_dir / "排名.xlsx", "未报送名单")
    listed = {(r["单位"], r["姓名"]) for r in missing}
    assert (UNIT, "王芳") in listed
    assert (UNIT, "刘洋") in listed  # the only file was returned: not submitted yet
    assert not listed & {(UNIT, n) for n in ("张明", "李华", "赵强", "陈静")}


def test_cadre_not_on_roster_is_warned_and_accepted(
    lifecycle: RunResult,
    receipts_index: dict[str, dict[str, Any]],
    lifecycle_ranking: dict[str, dict[str, Any]],
) -> None:
    problems = sheet_values(lifecycle.out_dir / "回执清单.xlsx", "问题明细")
    mine = [p for p in problems if p["文件"] == "inbox/陈静.xlsx"]
    assert [(p["等级"], p["代码"]) for p in mine] == [("警告", "cadre-not-on-roster")]
    assert (mine[0]["工作表"], mine[0]["单元格"]) == ("基本信息", name_cell())
    assert receipts_index["inbox/陈静.xlsx"]["处理结果"] == "已采用（有警告）"
    assert "陈静" in lifecycle_ranking


def test_cadre_with_almost_nothing_is_graded_poor_and_interviewed(
    lifecycle: RunResult, lifecycle_ranking: dict[str, dict[str, Any]]
) -> None:
    row = lifecycle_ranking["赵强"]
    assert row[GRADE] == "差"
    interviews = by_name(sheet_values(lifecycle.out_dir / "排名.xlsx", "约谈名单"))
    assert set(interviews) == {"赵强"}
    missed = [TITLES[r] for r in TITLES if r not in ("task-list-areas", "research-topic")]
    assert str(interviews["赵强"][UNMET]).split("、") == missed
    assert interviews["赵强"][UNMET] == row[UNMET]


def test_impossible_date_returns_the_file_with_its_cell(lifecycle: RunResult) -> None:
    cell = f"{template_column('活动记录', '日期')}{IMPOSSIBLE_ROW_INDEX + 2}"
    assert cell == "A5"
    folder = lifecycle.out_dir.parents[1] / STAGE_DIR / "回执"
    assert folder == lifecycle.out_dir / "回执"
    found = [p for p in folder.glob("*.txt") if p.name.startswith("刘洋")]
    assert len(found) == 1, sorted(p.name for p in folder.iterdir())
    text = found[0].read_text(encoding="utf-8-sig")
    assert f"活动记录!{cell}" in text
    assert "退回" in text and "date-impossible" in text
    outcome = next(o for o in lifecycle.outcomes if o.file == "inbox/刘洋.xlsx")
    assert [(p.code, p.location.sheet, p.location.cell) for p in outcome.problems] == [
        ("date-impossible", "活动记录", cell)
    ]


def test_run_json_counts_match_the_outputs(
    lifecycle: RunResult, receipts_index: dict[str, dict[str, Any]]
) -> None:
    info = json.loads((lifecycle.out_dir / "run.json").read_text(encoding="utf-8"))
    assert info["files_read"] == len(receipts_index) == 8
    assert info["outcomes"] == {"accepted": 3, "accepted_with_warnings": 1, "superseded": 2,
                                "returned": 1, "roster": 1}  # fmt: skip
    statuses = [r["处理结果"] for r in receipts_index.values()]
    assert statuses.count("已采用") == info["outcomes"]["accepted"]
    assert statuses.count("已被新版本替代") == info["outcomes"]["superseded"]
    assert statuses.count("退回") == info["outcomes"]["returned"]
    ranking = lifecycle.out_dir / "排名.xlsx"
    cadres = sheet_values(ranking, "干部排名")
    assert info["cadres_assessed"] == len(cadres) == 4
    assert info["grades"] == {
        g: sum(r[GRADE] == g for r in cadres) for g in {str(r[GRADE]) for r in cadres}
    }
    assert sum(info["grades"].values()) == 4
    assert info["interviews"] == len(sheet_values(ranking, "约谈名单")) == 1
    assert info["missing"] == len(sheet_values(ranking, "未报送名单")) == 2
    assert info["year"] == YEAR and info["period"] == "年底考核"
    assert info["as_of"] == AS_OF.isoformat() and info["files_skipped"] == 0


# --- grade caps within one unit -------------------------------------------------------------

CAPS_UNIT = "团市委组织部"
# youth met face to face is the first tie-breaker: two cadres tie on the 优 boundary (3rd/4th)
CAPS_YOUTH = {"甲": 200, "乙": 190, "丙": 180, "丁": 180, "戊": 170, "己": 160, "庚": 150,
              "辛": 140, "壬": 130, "癸": 120}  # fmt: skip


@pytest.fixture(scope="module")
def caps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    workspace = make_workspace(tmp_path_factory.mktemp("caps"))
    names = [f"{stem}{CAPS_UNIT[:1]}" for stem in CAPS_YOUTH]
    for name, youth in zip(names, CAPS_YOUTH.values(), strict=True):
        submit(workspace, compliant_content(name, CAPS_UNIT, youth=youth), f"{name}.xlsx")
    submit_roster(workspace, roster_rows([(n, CAPS_UNIT) for n in names]))
    result = run_workspace(workspace)
    return by_name(sheet_values(result.out_dir / "排名.xlsx", "干部排名"))


def test_caps_hold_in_the_unit(caps: dict[str, dict[str, Any]]) -> None:
    assert len(caps) == 10
    assert all(row[PROPOSED] == "优" for row in caps.values())
    assert all(row[SCORE] == 1 for row in caps.values())
    grades = [row[GRADE] for row in caps.values()]
    assert grades.count("优") <= 3
    assert grades.count("良") <= 5


def test_tie_at_the_cap_boundary_is_flagged_not_broken_by_name(
    caps: dict[str, dict[str, Any]],
) -> None:
    first, second, tied_a, tied_b = (caps[f"{s}团"] for s in ("甲", "乙", "丙", "丁"))
    assert (first[GRADE], second[GRADE]) == ("优", "优")
    assert tied_a[RANK] == tied_b[RANK]
    assert tied_a[GRADE] == tied_b[GRADE] != "优"
    for row in (tied_a, tied_b):
        assert "人工" in str(row[NOTE]), row[NOTE]
    untied = [row for name, row in caps.items() if name[0] not in "丙丁"]
    assert all("人工" not in str(row[NOTE] or "") for row in untied)


# --- messy but valid values -----------------------------------------------------------------

MESSY_UNIT = "陈仓区团委"
DATE_STYLES = ("{y}年{m}月{d}日", "{y}.{m}.{d}", "{y}/{m}/{d}")
EXCEL_EPOCH = date(1899, 12, 30)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def messy(content: LedgerContent, name: str, unit: str) -> LedgerContent:
    """The same ledger as typed in a hurry: text and serial dates, full-width digits, 3人, spaces."""
    rows = [dict(row) for row in content.activities]
    for n, row in enumerate(rows):
        day = row["日期"]
        assert isinstance(day, date)
        style = n % (len(DATE_STYLES) + 1)
        if style == len(DATE_STYLES):
            row["日期"] = (day - EXCEL_EPOCH).days  # an Excel serial typed into a text cell's place
        else:
            row["日期"] = DATE_STYLES[style].format(y=day.year, m=day.month, d=day.day)
        if isinstance(row.get("青年人数"), int) and n % 2 == 0:
            row["青年人数"] = str(row["青年人数"]).translate(FULL_WIDTH)
        if isinstance(row.get("团干部人数"), int) and n % 2 == 1:
            row["团干部人数"] = f"{row['团干部人数']}人"
        row["活动类型"] = f" {row['活动类型']} " if n % 4 == 0 else row["活动类型"]
    filed = content.info["填报日期"]
    assert isinstance(filed, date)
    info = {
        **content.info,
        "姓名": name,
        "单位": unit,
        "填报日期": f"{filed.year}年{filed.month}月{filed.day}日",
    }
    return replace(content, info=info, activities=rows)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, dict[str, dict[str, Any]]]:
    workspace = make_workspace(tmp_path_factory.mktemp("messy"))
    figures = {"lectures": 5, "visits": 12, "youth": 137, "cadres_talked": 23, "days": 64.5}
    clean = compliant_content("王六", MESSY_UNIT, **figures)
    submit(workspace, clean, "王六.xlsx")
    twin = compliant_content("王五", MESSY_UNIT, **figures)
    submit(workspace, messy(twin, " 王\u3000五 ", f" {MESSY_UNIT}"), "王五.xlsx")
    submit_roster(workspace, roster_rows([("王五", MESSY_UNIT), ("王六", MESSY_UNIT)]))
    result = run_workspace(workspace)
    return result, by_name(sheet_values(result.out_dir / "排名.xlsx", "干部排名"))


def test_messy_file_is_messy_as_written(twins: tuple[RunResult, dict[str, dict[str, Any]]]) -> None:
    """Guard for the test itself: the messy values really are text in the file."""
    result, _ = twins
    ws = load_workbook(result.out_dir.parents[1] / "inbox" / "已处理" / "王五.xlsx")["活动记录"]
    column = {c.value: c.column_letter for c in ws[1]}
    dates = [ws[f"{column['日期']}{r}"].value for r in (2, 3, 4)]
    assert dates[0].startswith("2026年") and "." in dates[1] and "/" in dates[2]
    youth = [ws[f"{column['青年人数']}{r}"].value for r in range(2, ws.max_row + 1)]
    assert any(isinstance(v, str) and unicodedata.normalize("NFKC", v) != v for v in youth)


def test_messy_values_give_the_clean_twin_figures(
    twins: tuple[RunResult, dict[str, dict[str, Any]]],
) -> None:
    result, rows = twins
    fates = {o.file: (o.status.value, [str(p) for p in o.problems]) for o in result.outcomes}
    assert fates["inbox/王五.xlsx"] == ("已采用", []), fates["inbox/王五.xlsx"]
    assert set(rows) == {"王五", "王六"}
    messy_row, clean_row = rows["王五"], rows["王六"]
    assert messy_row["单位"] == clean_row["单位"] == MESSY_UNIT
    compared = [RANK, SCORE, *RULE_COLUMNS, UNMET, PROPOSED, GRADE]
    assert {k: messy_row[k] for k in compared} == {k: clean_row[k] for k in compared}
    assert clean_row[TITLES["youth-face-to-face"]] == 137
    assert clean_row[TITLES["cadre-talks"]] == 23
    assert clean_row[TITLES["grassroots-days"]] == 64.5
