"""The demo inbox is deterministic and built as designed; filling keeps values where a cadre typed."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.demo import fill
from pipeline.demo.fill import LedgerContent, fill_ledger, fill_roster
from pipeline.demo.generator import DemoManifest, make_demo_inbox
from pipeline.forms.spec import LEDGER, META_SHEET, ROSTER

YEAR = 2026
CONTACT = ("走访基层", "集体座谈", "个别谈心")
Values = dict[str, list[tuple[object, ...]]]


@pytest.fixture(scope="module", autouse=True)
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The committed templates; built from the spec if they are not there yet."""
    committed = fill.templates_dir()
    if all((committed / t.file_name).is_file() for t in (LEDGER, ROSTER)):
        yield committed
        return
    from pipeline.forms.build import build_all

    built = tmp_path_factory.mktemp("templates")
    build_all(built)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fill, "templates_dir", lambda: built)
        yield built


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    inbox = tmp_path_factory.mktemp("inbox")
    return inbox, make_demo_inbox(inbox, year=YEAR, seed=2026)


def read_values(path: Path) -> Values:
    workbook = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def records(values: Values, sheet: str) -> list[dict[str, object]]:
    header, *rows = values[sheet]
    names = [str(name) for name in header]
    return [dict(zip(names, row, strict=True)) for row in rows if any(v is not None for v in row)]


def as_int(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return int(unicodedata.normalize("NFKC", value).strip().removesuffix("人"))
    assert isinstance(value, int | float)
    return int(value)


def as_number(value: object) -> float:
    if value is None:
        return 0
    assert isinstance(value, int | float), value
    return value


def as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    match = re.fullmatch(r"(\d{4})[年./-](\d{1,2})[月./-](\d{1,2})日?", str(value))
    assert match, value
    return date(*map(int, match.groups()))


def figures(values: Values) -> dict[str, object]:
    """The year-end figures of the 宝鸡 2018 quotas, computed independently of the generator."""
    acts = records(values, "活动记录")
    tasks = [str(row["任务类别"]) for row in records(values, "任务清单")]
    youth = records(values, "联系青年名册")
    kinds = [str(row["活动类型"]) for row in acts]
    contact = [row for row in acts if row["活动类型"] in CONTACT]
    reports = [as_date(row["日期"]) for row in acts if row["活动类型"] == "调研报告"]
    return {
        "points": len(records(values, "基层联系点")),
        "key_youth": sum(row["重点联系"] == "是" for row in youth),
        "other_youth": sum(row["重点联系"] == "否" for row in youth),
        "lectures": kinds.count("理论宣讲") + kinds.count("主题团课"),
        "visits": kinds.count("走访基层"),
        "talks": kinds.count("集体座谈") + kinds.count("个别谈心"),
        "days": sum(as_number(row["时长（天）"]) for row in acts if row["活动类型"] != "线上互动"),
        "youth": sum(as_int(row["青年人数"]) for row in contact),
        "cadres": sum(as_int(row["团干部人数"]) for row in contact),
        "report": max(reports, default=None),
        "push_tasks": tasks.count("推动工作"),
        "push_acts": kinds.count("推动工作"),
        "research_task": "调查研究" in tasks,
        "lecture_task": "理论宣讲" in tasks,
    }


def meets(got: dict[str, object]) -> dict[str, bool]:
    """Each 专职 quota of 宝市团发〔2018〕84号 as the demo is designed around it."""
    n = {key: value for key, value in got.items() if isinstance(value, int | float)}
    report = got["report"]
    return {
        "points": 3 <= n["points"] <= 4,
        "key_youth": 7 <= n["key_youth"] <= 10,
        "lectures": n["lectures"] >= 4,
        "visits": n["visits"] >= 10,
        "days": n["days"] >= 60,
        "youth": n["youth"] >= 100,
        "cadres": n["cadres"] >= 20,
        "report": isinstance(report, date) and report <= date(YEAR, 10, 31),
        "push_tasks": 2 <= n["push_tasks"] <= 3,
        "push_acts": n["push_acts"] >= 2,
    }


def test_inbox_holds_every_file_of_the_manifest(demo: tuple[Path, DemoManifest]) -> None:
    inbox, manifest = demo
    assert sorted(p.name for p in inbox.iterdir()) == sorted(f.name for f in manifest.files)
    kinds = [f.kind for f in manifest.files]
    counts = {kind: kinds.count(kind) for kind in set(kinds)}
    assert counts == {"roster": 1, "compliant": 11, "borderline": 7, "deficient": 7,
                      "malformed": 3, "superseded": 1}  # fmt: skip
    assert "新建 Microsoft Excel 工作表.xlsx" in {f.name for f in manifest.files}


def test_same_seed_gives_the_same_values(tmp_path: Path, demo: tuple[Path, DemoManifest]) -> None:
    first, manifest = demo
    again = make_demo_inbox(tmp_path / "again", year=YEAR, seed=2026)
    assert again == manifest
    for file in manifest.files:
        a, b = first / file.name, tmp_path / "again" / file.name
        if zipfile.is_zipfile(a):
            assert read_values(a) == read_values(b), file.name
        else:
            assert a.read_bytes() == b.read_bytes()
    other = make_demo_inbox(tmp_path / "other", year=YEAR, seed=7)
    assert [r["姓名"] for r in other.roster] != [r["姓名"] for r in manifest.roster]


def test_roster_lists_everyone_and_the_non_submitters(demo: tuple[Path, DemoManifest]) -> None:
    inbox, manifest = demo
    rows = records(read_values(inbox / "干部名册.xlsx"), "干部名册")
    listed = {(row["单位"], row["姓名"]) for row in rows}
    assert len(rows) == len(listed) == 30
    assert len(manifest.non_submitters) == 2
    assert set(manifest.non_submitters) <= listed
    submitters = {(f.unit, f.cadre) for f in manifest.files if f.kind != "roster"}
    assert submitters | set(manifest.non_submitters) == listed
    assert not submitters & set(manifest.non_submitters)
    assert all(
        isinstance(r["联系电话"], str) and re.fullmatch(r"1\d{10}", r["联系电话"]) for r in rows
    )
    assert {(r["干部类别"], r["参加考核"]) for r in rows} == {("专职", "是"), ("挂职", "是"),
                                                            ("兼职", "是"), ("兼职", "否")}  # fmt: skip


def test_strings_starting_with_equals_stay_text(demo: tuple[Path, DemoManifest]) -> None:
    inbox, manifest = demo
    seen = 0
    for file in manifest.files:
        if not zipfile.is_zipfile(inbox / file.name):
            continue
        for ws in load_workbook(inbox / file.name).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        assert cell.data_type == "s", (file.name, ws.title, cell.coordinate)
                        seen += 1
    assert seen >= 2


@pytest.mark.parametrize("kind", ["compliant", "borderline", "deficient"])
def test_ledgers_reach_their_designed_figures(demo: tuple[Path, DemoManifest], kind: str) -> None:
    inbox, manifest = demo
    for file in manifest.of_kind(kind):
        got = figures(read_values(inbox / file.name))
        assert got == file.figures, file.name
        met = meets(got)
        if kind == "compliant":
            assert all(met.values()) and got["lecture_task"] and got["research_task"], file.name
        elif kind == "deficient":
            assert sum(not ok for ok in met.values()) >= 3, file.name
        else:
            assert all(met.values()), file.name
            at_edge = [got["lectures"] == 4, got["visits"] == 10, got["days"] == 60,
                       got["youth"] == 100, got["cadres"] == 20, got["push_acts"] == 2,
                       got["key_youth"] in (7, 10), got["report"] == date(YEAR, 10, 31)]  # fmt: skip
            assert sum(at_edge) >= 3, file.name


def test_activities_are_dated_within_the_year_and_name_a_contact_point(
    demo: tuple[Path, DemoManifest],
) -> None:
    inbox, manifest = demo
    for file in manifest.of_kind("compliant") + manifest.of_kind("borderline"):
        values = read_values(inbox / file.name)
        points = {row["联系点名称"] for row in records(values, "基层联系点")}
        for row in records(values, "活动记录"):
            assert date(YEAR, 1, 1) <= as_date(row["日期"]) <= date(YEAR, 11, 20)
            assert row["联系点"] in points
            assert row["地点"] and row["内容摘要"] and row["佐证材料"]
            if row["活动类型"] == "调研报告":  # writing it is not time at the grassroots
                assert row["时长（天）"] is None


def test_messy_values_are_typed_as_text(demo: tuple[Path, DemoManifest]) -> None:
    inbox, manifest = demo
    cells: set[str] = set()
    for file in manifest.files:
        if file.kind in ("compliant", "borderline"):
            for row in records(read_values(inbox / file.name), "活动记录"):
                cells.update(v for v in row.values() if isinstance(v, str))
    assert any(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", v) for v in cells)
    assert any(re.fullmatch(r"\d{4}\.\d{1,2}\.\d{1,2}", v) for v in cells)
    assert any(re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", v) for v in cells)
    assert any(re.fullmatch(r"[０-９]+", v) for v in cells)
    assert any(re.fullmatch(r"\d+人", v) for v in cells)


def test_malformed_and_superseded_files(demo: tuple[Path, DemoManifest]) -> None:
    inbox, manifest = demo
    broken = {f.note.split("：")[0]: inbox / f.name for f in manifest.of_kind("malformed")}
    assert len(broken) == 3
    assert sum(not zipfile.is_zipfile(path) for path in broken.values()) == 1
    unit_missing = read_values(broken["基本信息!B2 单位为空"])["基本信息"]
    assert unit_missing[1] == ("单位", None)
    acts = next(records(read_values(p), "活动记录") for k, p in broken.items() if "活动记录" in k)
    assert {"2026年2月30日"} <= {row["日期"] for row in acts}
    assert any(row["青年人数"] == -12 for row in acts)
    (old,) = manifest.of_kind("superseded")
    new = next(f for f in manifest.files if f.cadre == old.cadre and f.kind == "compliant")
    early, late = read_values(inbox / old.name), read_values(inbox / new.name)
    assert as_date(early["基本信息"][6][1]).month == 6
    assert as_date(late["基本信息"][6][1]).month == 11
    assert len(early["活动记录"]) < len(late["活动记录"])


def test_fill_ledger_puts_values_under_the_headers(tmp_path: Path) -> None:
    content = LedgerContent(
        info={"姓名": " 张明", "单位": "渭滨区团委", "年度": 2026, "填报日期": date(2026, 11, 25)},
        tasks=[
            {"任务类别": "调查研究", "主要内容": "=调研课题", "计划完成时间": date(2026, 10, 31)}
        ],
        points=[{"联系点名称": "石鼓镇青春驿站", "联系点类型": "青春驿站"}],
        activities=[
            {"日期": date(2026, 3, 5), "活动类型": "走访基层", "青年人数": 12, "时长（天）": 0.5},
            {
                "日期": "2026年3月5日",
                "活动类型": "集体座谈",
                "青年人数": "１２",
                "团干部人数": "3人",
            },
        ],
        youth=[{"姓名": "李华", "联系方式": "09173456789", "重点联系": "是"}],
    )
    path = fill_ledger(content, tmp_path / "台账.xlsx")
    workbook = load_workbook(path)
    info = workbook["基本信息"]
    assert [info[f"B{row}"].value for row in (1, 2, 6)] == [" 张明", "渭滨区团委", 2026]
    assert info["B7"].value == datetime(2026, 11, 25) and info["B7"].number_format == "yyyy-mm-dd"
    task = workbook["任务清单"]["B2"]
    assert (task.value, task.data_type) == ("=调研课题", "s")
    acts = workbook["活动记录"]
    assert [c.value for c in acts[2]][:7] == [datetime(2026, 3, 5), "走访基层", None, None, 12,
                                             None, 0.5]  # fmt: skip
    assert [acts[f"{col}3"].value for col in "AEF"] == ["2026年3月5日", "１２", "3人"]
    assert workbook["联系青年名册"]["D2"].value == "09173456789"
    assert workbook[META_SHEET]["B1"].value == "ledger" and workbook[META_SHEET]["B2"].value == 1


def test_fill_ledger_start_row_and_refusals(tmp_path: Path) -> None:
    content = LedgerContent(info={"姓名": "张明"}, points=[{"联系点名称": "甲"}])
    path = fill_ledger(content, tmp_path / "a.xlsx", start_row=4)
    points = load_workbook(path)["基层联系点"]
    assert [points[f"A{row}"].value for row in (1, 2, 3, 4)] == ["联系点名称", None, None, "甲"]
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        fill_ledger(content, path)
    assert path.read_bytes() == before
    with pytest.raises(KeyError):
        fill_ledger(LedgerContent(points=[{"名称": "甲"}]), tmp_path / "b.xlsx")
    with pytest.raises(KeyError):
        fill_ledger(LedgerContent(info={"性别": "男"}), tmp_path / "c.xlsx")


def test_fill_roster(tmp_path: Path) -> None:
    row = {"姓名": "张明", "单位": "渭滨区团委", "干部类别": "专职", "参加考核": "是",
           "联系电话": "13800000000"}  # fmt: skip
    workbook = load_workbook(fill_roster([row], tmp_path / "名册.xlsx"))
    sheet = workbook["干部名册"]
    header = [c.value for c in sheet[1]]
    assert {h: sheet.cell(row=2, column=i + 1).value for i, h in enumerate(header)} == {
        **row, "职务": None, "职级": None, "单位类别": None}  # fmt: skip
    assert workbook[META_SHEET]["B1"].value == "roster"
