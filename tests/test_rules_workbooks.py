"""Whole runs under the 广东 2016, 榆林 2016 and 广东 2019 rule files, on real workbooks.

Each cadre is an independent submission that differs from a compliant one in one figure; the
verdicts are read back from 排名.xlsx (干部排名, 单位职责, 违规记录) by header.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import (
    by_name,
    compliant_content,
    header_name,
    make_workspace,
    sheet_cells,
    sheet_values,
    submit,
    submit_roster,
)
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.demo.fill import LedgerContent, write_value
from pipeline.forms.spec import CADRE_LEVELS, COUNTY_MONTHLY, GUANGDONG_CITIES, UNIT_TYPES, Kind
from pipeline.resources import templates_dir
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, check_files, run

YEAR = 2026
AS_OF = date(YEAR, 11, 30)  # a Monday: ISO weeks 1–48 and quarters 1–3 have ended
WEEKS = 48
UNMET, RANKING = "未达标项", "排名.xlsx"


def titles(rule_set_id: str) -> dict[str, str]:
    return {rule.id: rule.title for rule in load_rules(rule_set_id).rules}


def friday(week: int) -> date:
    return date.fromisocalendar(YEAR, week, 5)


def youth_rows(n: int, *, key: int = 0, point: str = "") -> list[dict[str, object]]:
    return [{"姓名": f"青年{i}", "工作单位或学校": f"第{i % 7}单位", "联系方式": f"139{i:08d}",
             "重点联系": "是" if i < key else "否", "联系点": point or None}
            for i in range(n)]  # fmt: skip


def activity(day: date, kind: str, **values: object) -> dict[str, object]:
    return {"日期": day, "活动类型": kind, "地点": "社区", "内容摘要": f"{kind}{day}", **values}


def rhythm(*, skip_weeks: tuple[int, ...] = (), skip_quarters: tuple[int, ...] = ()) -> list:
    """A 广东 2016 year to the as-of date: 社区报到 and 线上互动 every week, 线下活动 every quarter."""
    rows = [activity(friday(w), "社区报到", **{"时长（天）": 1}) for w in range(1, WEEKS + 1)
            if w not in skip_weeks]  # fmt: skip
    rows += [activity(friday(w), "线上互动", 青年人数=30) for w in range(1, WEEKS + 1)]
    rows += [activity(date(YEAR, 3 * q - 2, 15), "线下活动", 青年人数=20) for q in (1, 2, 3, 4)
             if q not in skip_quarters]  # fmt: skip
    rows.append(activity(date(YEAR, 5, 8), "走访基层", 青年人数=6, 团干部人数=2))
    return rows


def ledger(name: str, unit: str, *, category: str = "专职", youth: int = 100,
           activities: list | None = None, **info: object) -> LedgerContent:  # fmt: skip
    content = compliant_content(name, unit, category=category)
    return replace(content, info={**content.info, **info}, youth=youth_rows(youth),
                   activities=activities if activities is not None else rhythm())  # fmt: skip


def roster(rows: list[tuple[str, str, str, dict[str, str]]]) -> list[dict[str, object]]:
    return [{"姓名": name, "单位": unit, "干部类别": category, "职务": "干部", "参加考核": "是",
             **extra} for name, unit, category, extra in rows]  # fmt: skip


def ranking(out_dir: Path, sheet: str = "干部排名") -> list[dict[str, Any]]:
    return sheet_values(out_dir / RANKING, sheet)


def unmet(row: dict[str, Any]) -> set[str]:
    return set(str(row[UNMET] or "").split("、")) - {""}


# --- 广东 2016 ------------------------------------------------------------------------------

GD_UNIT, GD_SMALL = "广州团市委", "荔湾团区委"
GD16_CADRES = {  # name: (unit, ledger keywords, the rules it misses)
    "专职百名": (GD_UNIT, {"youth": 100}, set()),
    "专职九十九": (GD_UNIT, {"youth": 99}, {"youth-1-100"}),
    "兼职十名": (GD_SMALL, {"category": "兼职", "youth": 10}, set()),
    "兼职九名": (GD_SMALL, {"category": "兼职", "youth": 9}, {"youth-1-100"}),
    "机关兼职": (GD_SMALL, {"category": "兼职", "youth": 99, "单位类别": "团的领导机关"},
                 {"youth-1-100"}),
    "报到缺周": (GD_UNIT, {"activities": rhythm(skip_weeks=(9, 31))}, {"service-weekly"}),
    "缺二季度": (GD_UNIT, {"activities": rhythm(skip_quarters=(2,))}, {"offline-quarterly"}),
}  # fmt: skip


def open_days_and_stations() -> list[dict[str, object]]:
    """The 团市委's quarterly open days (≥50 youth) and 8+4 stays, logged by its organiser."""
    rows = [activity(date(YEAR, 3 * q - 1, 20), "开放日", 青年人数=50) for q in (1, 2, 3)]
    return rows + [
        activity(date(YEAR, 3 * q - 1, 3), "驻点", **{"时长（天）": 5}) for q in (1, 2, 3)
    ]


@pytest.fixture(scope="module")
def guangdong_2016(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = make_workspace(tmp_path_factory.mktemp("gd2016"))
    for name, (unit, keywords, _) in GD16_CADRES.items():
        submit(workspace, ledger(name, unit, **keywords), f"{name}.xlsx")
    organiser = ledger("组织者", GD_UNIT, activities=rhythm() + open_days_and_stations())
    submit(workspace, organiser, "组织者.xlsx")
    second = ledger("驻点二", GD_UNIT, activities=rhythm() + open_days_and_stations()[3:])
    submit(workspace, second, "驻点二.xlsx")
    args = ["run", "-w", str(workspace), "--rules", "guangdong-2016", "--as-of", AS_OF.isoformat(),
            "--workers", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return workspace / "outbox" / f"{YEAR}-年底考核"


def test_guangdong_2016_verdicts_follow_the_seed(guangdong_2016: Path) -> None:
    names = titles("guangdong-2016")
    rows = by_name(ranking(guangdong_2016))
    assert set(rows) == {*GD16_CADRES, "组织者", "驻点二"}
    for name, (_, _, missed) in GD16_CADRES.items():
        assert unmet(rows[name]) == {names[r] for r in missed}, name
    assert not unmet(rows["组织者"]) and not unmet(rows["驻点二"])


def test_guangdong_2016_figures_are_those_typed(guangdong_2016: Path) -> None:
    names = titles("guangdong-2016")
    rows = by_name(sheet_cells(guangdong_2016 / RANKING, "干部排名"))
    youth, weekly = names["youth-1-100"], names["service-weekly"]
    offline = names["offline-quarterly"]
    figures = {name: rows[name][youth].value for name in ("专职百名", "专职九十九", "兼职十名",
                                                            "兼职九名")}  # fmt: skip
    assert figures == {"专职百名": 100, "专职九十九": 99, "兼职十名": 10, "兼职九名": 9}
    assert rows["报到缺周"][weekly].value == WEEKS - 2 and rows["专职百名"][weekly].value == WEEKS
    assert rows["兼职九名"][weekly].value is None  # 4+1 binds the 机关 cadres, not other 兼职
    assert rows["缺二季度"][offline].value == 2 and rows["专职百名"][offline].value == 3
    assert rows["专职九十九"][youth].fill.fill_type == "solid"
    assert rows["专职百名"][youth].fill.fill_type is None


def test_guangdong_2016_unit_duties(guangdong_2016: Path) -> None:
    names = titles("guangdong-2016")
    units = {row["单位"]: row for row in ranking(guangdong_2016, "单位职责")}
    assert set(units) == {GD_UNIT, GD_SMALL}
    assert not units[GD_UNIT][UNMET]
    assert set(str(units[GD_SMALL][UNMET]).split("、")) == {
        names["open-day-quarterly"],
        names["sinking-8-4"],
    }
    assert units[GD_UNIT][names["open-day-quarterly"]] == 3  # quarters 1–3 ended by 11-30
    assert units[GD_UNIT][names["sinking-8-4"]] == 3  # 2 of its 6 cadres stationed each quarter


# --- 榆林 2016 ------------------------------------------------------------------------------

YL_UNIT = "榆阳区团委"
YL_CADRES = {  # name: (category, youth, 基本信息 extras, roster extras, meets 1+100)
    "专职百名": ("专职", 100, {}, {}, True),
    "专职九十九": ("专职", 99, {}, {}, False),
    "大单位二十": ("兼职", 20, {"单位类别": "团员青年较多的单位"}, {}, True),
    "大单位十九": ("兼职", 19, {}, {"单位类别": "团员青年较多的单位"}, False),
    "兼职十名": ("兼职", 10, {}, {}, True),
    "兼职九名": ("兼职", 9, {}, {}, False),
    "科级机关兼职": ("兼职", 99, {"单位类别": "团的领导机关", "职级": "科级"}, {}, False),
}  # fmt: skip


def yulin_inbox(workspace: Path) -> Path:
    """Every YL_CADRES ledger and the roster that gives their 单位类别, in the inbox."""
    for name, (category, youth, info, _, _) in YL_CADRES.items():
        content = ledger(name, YL_UNIT, category=category, youth=youth, activities=[], **info)
        submit(workspace, content, f"{name}.xlsx")
    submit_roster(workspace, roster([(name, YL_UNIT, c[0], c[3]) for name, c in YL_CADRES.items()]))
    return workspace


@pytest.fixture(scope="module")
def yulin(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = yulin_inbox(make_workspace(tmp_path_factory.mktemp("yulin")))
    options = RunOptions(workspace, rules="yulin-2016", period=Period.YEAR_END, as_of=AS_OF,
                         year=YEAR, workers=2)  # fmt: skip
    return run(options)


def test_yulin_thresholds_by_category_unit_and_rank(yulin: RunResult) -> None:
    title = titles("yulin-2016")["youth-1-100"]
    rows = by_name(ranking(yulin.out_dir))
    for name, (_, youth, _, _, meets) in YL_CADRES.items():
        assert rows[name][title] == youth, name
        assert (title not in unmet(rows[name])) is meets, name
    results = yulin.assessment.results.set_index(["submission", "rule_id"])
    required = {
        str(c["name"]): results.at[(c["submission"], "youth-1-100"), "required_min"]
        for c in yulin.assessment.cadres.to_dict("records")
    }
    assert required == {"专职百名": 100, "专职九十九": 100, "大单位二十": 20, "大单位十九": 20,
                        "兼职十名": 10, "兼职九名": 10, "科级机关兼职": 100}  # fmt: skip


def test_yulin_weekly_reporting_binds_only_full_time_cadres(yulin: RunResult) -> None:
    results = yulin.assessment.results
    weekly = results[results["rule_id"] == "community-report-weekly"]
    cadres = yulin.assessment.cadres.set_index("submission")
    assert set(cadres.loc[weekly["submission"], "category"]) == {"专职"}
    assert set(weekly["required_min"]) == {WEEKS} and set(weekly["actual"]) == {0}


# --- 广东 2019 ------------------------------------------------------------------------------

ORG, PUB = "组织部", "宣传部"


def stationed(*stays: tuple[date, int], meeting: int | None = None) -> list[dict[str, object]]:
    rows = [activity(day, "驻点", **{"时长（天）": days}) for day, days in stays]
    rows.append(activity(date(YEAR, 9, 8), "主题团课", 青年人数=40))
    if meeting is not None:
        rows.append(activity(date(YEAR, 5, 12), "集体座谈", 青年人数=meeting - 2, 团干部人数=2))
    return rows


GD19_CADRES = {  # name: (unit, activities)
    "十天": (ORG, stationed((date(YEAR, 4, 1), 5), (date(YEAR, 11, 26), 5), meeting=10)),
    "九天": (ORG, stationed((date(YEAR, 3, 31), 5), (date(YEAR, 11, 26), 5))),
    "座谈十二人": (ORG, stationed((date(YEAR, 6, 1), 10), meeting=12)),
    "每月驻点": (ORG, stationed(*((date(YEAR, m, 10), 3) for m in range(4, 12)))),
    "宣传干部": (PUB, stationed((date(YEAR, 7, 1), 10))),
}
MEETING_ROW = 4  # 集体座谈 is the third row: Excel row 4


def county_form(path: Path, unit: str, rows: list[dict[str, object]]) -> Path:
    """Fill the committed county-monthly template as a department's clerk would."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        workbook = load_workbook(templates_dir() / COUNTY_MONTHLY.file_name)
    info, table = (workbook[s.name] for s in COUNTY_MONTHLY.sheets)
    labels = {cell.value: cell.row for cell in info["A"]}
    values = {"对接部门": unit, "对接地市": "梅州", "经办团干": "王芳", "年度": YEAR,
              "填报日期": AS_OF}  # fmt: skip
    for label, value in values.items():
        write_value(info.cell(row=labels[label], column=2), value)
    columns = {cell.value: cell.column for cell in table[1]}
    for offset, row in enumerate(rows, start=2):
        for header, value in row.items():
            write_value(table.cell(row=offset, column=columns[header]), value)
    workbook.save(path)
    return path


def month_end(month: int) -> date:
    return date(YEAR, month + 1, 1) - timedelta(days=1)


MONTHS_BUT_JUNE = [m for m in range(4, 12) if m != 6]


def county_rows(months: range | list[int], ratio: float) -> list[dict[str, object]]:
    return [{"月份": month_end(m), "县（市、区）": county, "本月实地抽查团支部数量": 2,
             "团员注册志愿者比例（%）": ratio, "团员年人均服务次数": 3.5,
             "团员年人均服务时长（小时）": 9}
            for m in months for county in ("梅江区", "兴宁市")]  # fmt: skip


def guangdong_2019_inbox(workspace: Path) -> Path:
    """Cadres stationed 10 and 9 days, a meeting of 12, two departments' monthly county forms."""
    for name, (unit, rows) in GD19_CADRES.items():
        submit(workspace, ledger(name, unit, youth=0, activities=rows), f"{name}.xlsx")
    county_form(workspace / "inbox" / "组织部月报.xlsx", ORG, county_rows(range(4, 12), 92))
    county_form(workspace / "inbox" / "宣传部月报.xlsx", PUB, county_rows(MONTHS_BUT_JUNE, 85))
    return workspace


@pytest.fixture(scope="module")
def guangdong_2019(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    workspace = guangdong_2019_inbox(make_workspace(tmp_path_factory.mktemp("gd2019")))
    options = RunOptions(workspace, rules="guangdong-2019", period=Period.YEAR_END, as_of=AS_OF,
                         year=YEAR, workers=2)  # fmt: skip
    return run(options)


def test_guangdong_2019_stationed_days_in_the_window(guangdong_2019: RunResult) -> None:
    title = titles("guangdong-2019")["stationed-days"]
    rows = by_name(ranking(guangdong_2019.out_dir))
    assert (rows["十天"][title], rows["九天"][title]) == (10, 9)
    assert title not in unmet(rows["十天"]) and title in unmet(rows["九天"])


def test_guangdong_2019_meeting_of_twelve_is_listed_with_its_cell(
    guangdong_2019: RunResult,
) -> None:
    title = titles("guangdong-2019")["no-large-meetings"]
    violations = sheet_values(guangdong_2019.out_dir / RANKING, "违规记录")
    assert len(violations) == 1, violations
    found = violations[0]
    cell = f"{column_of('活动记录', '青年人数')}{MEETING_ROW}"
    assert found["位置（文件:工作表!单元格）"] == f"inbox/座谈十二人.xlsx:活动记录!{cell}"
    assert (found["姓名"], found["违反的规定"], found["数值"]) == ("座谈十二人", title, 12)
    assert found["日期"] == f"{YEAR}-05-12" and found["活动类型"] == "集体座谈"
    rows = by_name(ranking(guangdong_2019.out_dir))
    assert title in unmet(rows["座谈十二人"]) and rows["座谈十二人"][title] == 1
    assert title not in unmet(rows["十天"])  # ten people are allowed


def test_guangdong_2019_unit_duties_and_county_forms(guangdong_2019: RunResult) -> None:
    names = titles("guangdong-2019")
    outcomes = {o.file: o.status.value for o in guangdong_2019.outcomes}
    assert outcomes["inbox/组织部月报.xlsx"] == outcomes["inbox/宣传部月报.xlsx"] == "已采用"
    units = {row["单位"]: row for row in ranking(guangdong_2019.out_dir, "单位职责")}
    assert not units[ORG][UNMET], units[ORG]
    assert units[ORG][names["volunteer-registration"]] == 92
    assert units[ORG][names["county-form-monthly"]] == 8
    missed = set(str(units[PUB][UNMET]).split("、"))
    assert missed == {
        names[r]
        for r in (
            "department-days-monthly",
            "county-form-monthly",
            "branches-checked-monthly",
            "volunteer-registration",
        )
    }
    assert units[PUB][names["county-form-monthly"]] == 7


def column_of(sheet: str, header: str) -> str:
    workbook = load_workbook(templates_dir() / "联系青年工作台账.xlsx", read_only=True)
    try:
        row = next(workbook[sheet].iter_rows(min_row=1, max_row=1))
        return next(str(c.column_letter) for c in row if header_name(c.value) == header)
    finally:
        workbook.close()


# --- files from before the optional columns ------------------------------------------------


def test_files_without_the_optional_columns_still_ingest(tmp_path: Path) -> None:
    content = ledger("张明", GD_UNIT, youth=3, activities=rhythm()[:3])
    path = submit(make_workspace(tmp_path), content, "张明.xlsx")
    workbook = load_workbook(path)
    info = workbook["基本信息"]
    for label in ("单位类别", "职级"):
        info.delete_rows(next(c.row for c in info["A"] if c.value == label))
    youth = workbook["联系青年名册"]
    for header in ("青年类别", "联系点"):
        youth.delete_cols(next(c.column for c in youth[1] if c.value == header))
    workbook.save(path)
    assert check_files([path], as_of=AS_OF, workers=1) == {str(path): []}


# --- the templates ----------------------------------------------------------------------------


def test_county_form_template_guides_the_clerk() -> None:
    workbook = load_workbook(templates_dir() / COUNTY_MONTHLY.file_name)
    info, table = (workbook[s.name] for s in COUNTY_MONTHLY.sheets)
    assert (
        workbook.sheetnames[0] == "填写说明" and workbook["_lianxi"]["B1"].value == "county-monthly"
    )
    cities = [dv.formula1 for dv in info.data_validations.dataValidation if dv.type == "list"]
    assert len(cities) == 1 and all(city in cities[0] for city in GUANGDONG_CITIES)
    checked = {
        next(iter(dv.sqref.ranges)).min_col: dv.type for dv in table.data_validations.dataValidation
    }
    for column, f in enumerate(COUNTY_MONTHLY.sheets[1].fields, start=1):
        expected = {Kind.DATE: "date", Kind.INTEGER: "whole", Kind.NUMBER: "decimal"}.get(f.kind)
        if expected:
            assert checked.get(column) == expected, f.name


def test_ledger_and_roster_offer_the_optional_attributes() -> None:
    for file_name, sheet in (("联系青年工作台账.xlsx", "基本信息"), ("干部名册.xlsx", "干部名册")):
        ws = load_workbook(templates_dir() / file_name)[sheet]
        lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]
        for choices in (CADRE_LEVELS, UNIT_TYPES):
            assert any(all(c in formula for c in choices) for formula in lists), (sheet, choices)
