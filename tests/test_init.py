"""A clerk's workspace from `lianxi init`, and next year's prefilled ledgers (一数一源)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import compliant_content, make_workspace, roster_rows, submit, submit_roster
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.demo.fill import LedgerContent
from pipeline.prefill import prefill
from pipeline.problems import Severity
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, check_files, run

YEAR, NEXT = 2026, 2027
UNIT = "渭滨区团委"


def test_init_makes_a_workspace_and_keeps_what_exists(tmp_path: Path) -> None:
    workspace = tmp_path / "联系青年"
    result = CliRunner().invoke(main, ["init", str(workspace)])
    assert result.exit_code == 0, result.output
    for name in ("inbox", "outbox", "state", "rules", "模板/联系青年工作台账.xlsx",
                 "模板/干部名册.xlsx", "使用说明.txt"):  # fmt: skip
        assert (workspace / name).exists(), name
    guide = (workspace / "使用说明.txt").read_bytes().decode("utf-8-sig")
    assert "lianxi run" in guide and "\r\n" in guide
    (workspace / "inbox" / "张明.xlsx").write_bytes(b"kept")
    (workspace / "使用说明.txt").write_text("本单位补充的说明", encoding="utf-8")
    again = CliRunner().invoke(main, ["init", str(workspace)])
    assert again.exit_code == 0 and "未做改动" in again.output
    assert (workspace / "inbox" / "张明.xlsx").read_bytes() == b"kept"
    assert (workspace / "使用说明.txt").read_text(encoding="utf-8") == "本单位补充的说明"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two cadres: 张明 sent twice (the later one counts), 李华's ledger was returned."""
    folder = make_workspace(tmp_path_factory.mktemp("prefill"))
    submit(folder, compliant_content("张明", UNIT, points=2, fill_date=date(YEAR, 6, 1)), "旧.xlsx")
    submit(folder, latest(), "新.xlsx")
    broken = compliant_content("李华", UNIT)
    broken.activities[0]["日期"] = "不是日期"
    submit(folder, broken, "李华.xlsx")
    submit_roster(folder, roster_rows([("张明", UNIT), ("李华", UNIT)]))
    run(RunOptions(folder, period=Period.YEAR_END, as_of=date(YEAR, 11, 30), year=YEAR, workers=2))
    return folder


def latest() -> LedgerContent:
    return compliant_content("张明", UNIT, points=4, key_contacts=9, fill_date=date(YEAR, 11, 20))


def table(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def test_prefill_writes_one_ledger_per_accepted_cadre(workspace: Path) -> None:
    paths = prefill(workspace, NEXT)
    assert [p.name for p in paths] == [f"{UNIT}-张明-{NEXT}年联系青年工作台账.xlsx"]
    assert paths[0].parent == workspace / "outbox" / f"{NEXT}-预填"


def test_stable_facts_carry_over_from_the_latest_accepted_version(workspace: Path) -> None:
    (path,) = prefill(workspace, NEXT, workspace / "elsewhere")
    source = latest()
    info = {r[0]: r[1] for r in load_workbook(path)["基本信息"].iter_rows(values_only=True)}
    assert info["年度"] == NEXT and info["填报日期"] is None
    assert {k: info[k] for k in ("姓名", "单位", "干部类别", "职务", "联系电话")} == {
        k: source.info[k] for k in ("姓名", "单位", "干部类别", "职务", "联系电话")
    }
    assert [r["联系点名称"] for r in table(path, "基层联系点")] == [
        p["联系点名称"] for p in source.points
    ]
    youth = table(path, "联系青年名册")
    assert [r["联系方式"] for r in youth] == [y["联系方式"] for y in source.youth]
    assert [r["姓名"] for r in youth] == [y["姓名"] for y in source.youth]
    assert {r["首次联系日期"] for r in youth} == {None}  # last year's dates stay in last year
    assert table(path, "活动记录") == [] and table(path, "任务清单") == []


def test_prefilled_ledger_is_clean_for_its_year(workspace: Path) -> None:
    (path,) = prefill(workspace, NEXT, workspace / "check")
    problems = check_files([path], as_of=date(NEXT, 1, 15), workers=1)[str(path)]
    assert [p for p in problems if p.severity is Severity.ERROR] == []


def test_cli_prefill(workspace: Path) -> None:
    result = CliRunner().invoke(main, ["templates", "--prefill", str(NEXT), "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    assert f"{NEXT}-预填" in result.output
