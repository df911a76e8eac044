"""The roll-up for a nation: an upper level's inbox receives the lower levels' 已处理 folders.

Each county runs on its own inbox; the city copies every county's inbox/已处理/ (the accepted
and superseded workbooks and the county's roster, modification times kept) into its own inbox
and runs. The city's figures for every cadre are then the counties' figures.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

from factories import (
    compliant_content,
    make_workspace,
    roster_rows,
    sheet_values,
    submit,
    submit_roster,
)

from pipeline.runner import RunOptions, RunResult, run

YEAR = 2026
AS_OF = date(YEAR, 11, 30)
PROCESSED = Path("inbox") / "已处理"
COUNTIES = {
    "甲县": [
        ("张一", "甲县团委"),
        ("张二", "甲县团委"),
        ("张三", "甲县团委"),
        ("张四", "甲县少工委"),
    ],
    "乙县": [("李一", "乙县团委"), ("李二", "乙县团委"), ("李三", "乙县团委")],
}
PER_UNIT = ("名次",)  # ranks are counted over all cadres of the workbook, not per unit


def county(root: Path, name: str, cadres: list[tuple[str, str]]) -> Path:
    """A county's workspace: every cadre but the last submits, one twice, one file is broken."""
    workspace = make_workspace(root / name)
    submit_roster(workspace, roster_rows(cadres))
    for n, (cadre, unit) in enumerate(cadres[:-1]):
        content = compliant_content(
            cadre, unit, visits=8 + 2 * n, lectures=2 + n, youth=80 + 10 * n
        )
        submit(workspace, content, f"{cadre}.xlsx", mtime=datetime(YEAR, 11, 20, 9, n))
    early = compliant_content(*cadres[0], visits=1, fill_date=date(YEAR, 6, 30))
    submit(workspace, early, f"{cadres[0][0]}（6月）.xlsx", mtime=datetime(YEAR, 7, 1))
    (workspace / "inbox" / "坏文件.xlsx").write_bytes(b"PK\x03\x04broken")
    return workspace


def run_level(workspace: Path) -> RunResult:
    return run(RunOptions(workspace, as_of=AS_OF, year=YEAR, workers=1))


def rows_by_cadre(result: RunResult, sheet: str) -> dict[tuple[str, str], dict[str, object]]:
    rows = sheet_values(result.out_dir / "排名.xlsx", sheet)
    return {
        (str(r["单位"]), str(r["姓名"])): {k: v for k, v in r.items() if k not in PER_UNIT}
        for r in rows
    }


def test_a_city_fed_with_the_counties_processed_files_has_their_figures(tmp_path: Path) -> None:
    results = {name: run_level(county(tmp_path, name, cadres)) for name, cadres in COUNTIES.items()}
    city = make_workspace(tmp_path / "市")
    for name in COUNTIES:
        shutil.copytree(
            tmp_path / name / PROCESSED, city / "inbox" / name, copy_function=shutil.copy2
        )
    city_result = run_level(city)

    for sheet in ("干部排名", "未报送名单"):
        expected: dict[tuple[str, str], dict[str, object]] = {}
        for result in results.values():
            expected |= rows_by_cadre(result, sheet)
        assert rows_by_cadre(city_result, sheet) == expected, sheet
    assert len(rows_by_cadre(city_result, "干部排名")) == sum(len(c) - 1 for c in COUNTIES.values())
    returned = [o for r in results.values() for o in r.outcomes if o.status.name == "RETURNED"]
    # each county returned its broken file; the city never sees it
    assert len(returned) == len(COUNTIES)
    assert all(o.status.name != "RETURNED" for o in city_result.outcomes)
