"""A second, independent spreadsheet client: LibreOffice re-saves our files and opens our outputs.

A ledger re-saved by LibreOffice Calc (as .xlsx and as .ods) must give the same figures and the
same located problems as the file openpyxl wrote; the output workbooks must open in Calc well
enough to print to PDF.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import date
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
    submit_roster,
    template_column,
)

from pipeline.demo.fill import LedgerContent, fill_ledger
from pipeline.problems import Problem
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, check_files, run

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="soffice not installed")

YEAR = 2026
AS_OF = date(YEAR, 11, 30)
UNIT = "渭滨区团委"
CLEAN, BROKEN = "甲", "乙"
VARIANTS = ("original", "lo-xlsx", "lo-ods")
TIMEOUT = 120
TITLES = rule_titles()
RULE_COLUMNS = [t for r, t in TITLES.items() if r != "task-list-areas"]  # 年初报备 only
COMPARED = ["名次", "得分", *RULE_COLUMNS, "未达标项", "建议等级", "考核等级"]
# (activity row index, column, value): a day that does not exist, an unknown type, a negative
# count, and a suspiciously large one (a warning)
SEEDED = (
    (3, "日期", f"{YEAR}年2月30日"),
    (5, "活动类型", "慰问走访"),
    (6, "青年人数", -12),
    (8, "青年人数", 2500),
)


def seeded_cells() -> dict[str, str]:
    """Where the seeded values land: Excel row = index + 2 (header in row 1)."""
    return {
        f"{template_column('活动记录', column)}{index + 2}": column for index, column, _ in SEEDED
    }


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private LibreOffice user profile for this test session (no lock on the user's own)."""
    return tmp_path_factory.mktemp("lo-profile").as_uri()


def soffice(profile: str, target: str, outdir: Path, files: list[Path]) -> list[Path]:
    """Convert ``files`` with headless LibreOffice; return the converted paths, in order."""
    outdir.mkdir(parents=True, exist_ok=True)
    command = ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", target, "--outdir", str(outdir), *map(str, files)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    extension = target.split(":")[0]
    converted = [outdir / f"{f.stem}.{extension}" for f in files]
    missing = [p.name for p in converted if not p.is_file()]
    assert not missing, (
        f"soffice did not write {missing}: rc={done.returncode} {done.stdout} {done.stderr}"
    )
    return converted


def broken_content() -> LedgerContent:
    content = compliant_content(BROKEN, UNIT)
    for index, column, value in SEEDED:
        content.activities[index][column] = value
    return content


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("original")
    clean = compliant_content(
        CLEAN, UNIT, lectures=5, visits=11, youth=123, cadres_talked=21, days=61.5, points=2
    )
    return [
        fill_ledger(clean, folder / f"{CLEAN}.xlsx"),
        fill_ledger(broken_content(), folder / f"{BROKEN}.xlsx"),
    ]


@pytest.fixture(scope="module")
def variants(
    originals: list[Path], lo_profile: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Path]]:
    out = tmp_path_factory.mktemp("converted")
    return {
        "original": originals,
        "lo-xlsx": soffice(lo_profile, "xlsx", out / "xlsx", originals),
        "lo-ods": soffice(lo_profile, "ods", out / "ods", originals),
    }


@pytest.fixture(scope="module")
def runs(
    variants: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RunResult]:
    results = {}
    for variant, files in variants.items():
        workspace = make_workspace(tmp_path_factory.mktemp(variant))
        for path in files:
            shutil.copy2(path, workspace / "inbox" / path.name)
        submit_roster(workspace, roster_rows([(CLEAN, UNIT), (BROKEN, UNIT)]))
        options = RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, year=YEAR, workers=2)
        results[variant] = run(options)
    return results


def ranking_row(result: RunResult, name: str) -> dict[str, Any]:
    """The figures of one cadre's ranking row, and whether each rule cell is filled (red)."""
    row = by_name(sheet_cells(result.out_dir / "排名.xlsx", "干部排名"))[name]
    return {
        key: (row[key].value, row[key].fill.fill_type, row[key].fill.fgColor.rgb)
        for key in COMPARED
    }


def located(problems: list[Problem]) -> list[tuple[str, str, str, str]]:
    return sorted((p.code, p.severity.value, p.location.sheet, p.location.cell) for p in problems)


def test_conversions_are_really_libreoffice_files(variants: dict[str, list[Path]]) -> None:
    for path in variants["lo-ods"]:
        with zipfile.ZipFile(path) as archive:
            assert archive.read("mimetype").startswith(
                b"application/vnd.oasis.opendocument.spreadsheet"
            )
    for path in variants["lo-xlsx"]:
        with zipfile.ZipFile(path) as archive:
            assert b"LibreOffice" in archive.read("docProps/app.xml")


@pytest.mark.parametrize("variant", VARIANTS[1:])
def test_resaved_ledger_gives_the_same_figures(variant: str, runs: dict[str, RunResult]) -> None:
    original = ranking_row(runs["original"], CLEAN)
    assert original["理论宣讲和主题团课"][0] == 5
    assert original["走进基层累计时间"][0] == 61.5
    assert original["基层联系点"][1] == "solid"  # 2 points: a red cell survives the comparison
    assert ranking_row(runs[variant], CLEAN) == original


@pytest.mark.parametrize("variant", VARIANTS)
def test_resaved_files_have_the_same_fates(variant: str, runs: dict[str, RunResult]) -> None:
    fates = {
        Path(o.file).stem: (o.status.value, located(list(o.problems)))
        for o in runs[variant].outcomes
    }
    expected_cells = seeded_cells()
    assert fates[CLEAN] == ("已采用", [])
    status, problems = fates[BROKEN]
    assert status == "退回"
    assert {cell for _, _, _, cell in problems} == set(expected_cells)
    assert fates == {
        Path(o.file).stem: (o.status.value, located(list(o.problems)))
        for o in runs["original"].outcomes
    }


def test_check_files_finds_the_same_problems_in_every_copy(variants: dict[str, list[Path]]) -> None:
    broken = [files[1] for files in variants.values()]
    found = check_files(broken, as_of=AS_OF, workers=2)
    by_variant = [located(found[str(path)]) for path in broken]
    expected = {
        ("date-impossible", "错误", "活动记录", "A5"),
        ("choice-invalid", "错误", "活动记录", "B7"),
        ("number-negative", "错误", "活动记录", "E8"),
        ("number-too-large", "警告", "活动记录", "E10"),
    }
    assert set(by_variant[0]) == expected, by_variant[0]
    assert by_variant[1] == by_variant[0]
    assert by_variant[2] == by_variant[0]


def test_output_workbooks_print_to_pdf_in_libreoffice(
    runs: dict[str, RunResult], lo_profile: str, tmp_path: Path
) -> None:
    out_dir = runs["original"].out_dir
    workbooks = [out_dir / name for name in ("汇总表.xlsx", "排名.xlsx", "回执清单.xlsx")]
    assert all(p.is_file() for p in workbooks)
    for pdf in soffice(lo_profile, "pdf", tmp_path, workbooks):
        data = pdf.read_bytes()
        assert len(data) > 1000, pdf
        assert data.startswith(b"%PDF"), pdf
