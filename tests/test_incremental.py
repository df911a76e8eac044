"""A rerun reuses what it found before — validation problems, 批注回执, receipts — and the
outputs are exactly those of a run that found everything afresh."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from factories import (
    compliant_content,
    make_workspace,
    roster_rows,
    sheet_values,
    submit,
    submit_roster,
)
from openpyxl import load_workbook
from test_rules_workbooks import guangdong_2019_inbox

import pipeline.runner
from pipeline.compute import figures_context
from pipeline.compute.figures import Figures
from pipeline.demo.fill import fill_ledger
from pipeline.ingest import segment
from pipeline.ledger.batch import decode_ahead, load_batch
from pipeline.ledger.figures import load_figures
from pipeline.problems import Location, Problem
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period
from pipeline.runner import AHEAD_SHEETS, RunOptions, RunResult, rebuild, run
from pipeline.write.annotate import Job, Source, annotate_all

YEAR, UNIT = 2026, "渭滨区团委"
AS_OF = date(YEAR, 11, 30)
OUTPUTS = ("排名.xlsx", "汇总表.xlsx", "回执清单.xlsx")


def options(workspace: Path, as_of: date = AS_OF) -> RunOptions:
    return RunOptions(workspace, period=Period.YEAR_END, as_of=as_of, year=YEAR, workers=2)


def broken(name: str) -> object:
    content = compliant_content(name, UNIT)
    content.activities[2]["日期"] = f"{YEAR}年2月30日"
    content.activities[4]["青年人数"] = -3
    return content


def checked(workspace: Path) -> dict[str, str]:
    with sqlite3.connect(workspace / "state" / "lianxi.db") as db:
        return dict(db.execute("SELECT display, checked FROM files"))


def cells(out_dir: Path) -> dict[str, dict[str, list[dict[int, object]]]]:
    found = {}
    for name in OUTPUTS:
        workbook = load_workbook(out_dir / name, read_only=True)
        found[name] = {
            sheet: [dict(enumerate(row)) for row in workbook[sheet].iter_rows(values_only=True)]
            for sheet in workbook.sheetnames
        }
        workbook.close()
    return found


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult, dict[str, float]]:
    workspace = make_workspace(tmp_path_factory.mktemp("incremental"))
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    submit(workspace, broken("李华"), "李华.xlsx")
    submit_roster(workspace, roster_rows([("张明", UNIT), ("李华", UNIT), ("王芳", UNIT)]))
    first = run(options(workspace))
    receipts = first.out_dir / "回执"
    stamps = {p.name: p.stat().st_mtime_ns for p in receipts.iterdir()}
    submit(workspace, compliant_content("王芳", UNIT), "王芳.xlsx")
    return workspace, run(options(workspace)), stamps


def test_the_second_run_checks_only_the_new_file(
    two_runs: tuple[Path, RunResult, dict[str, float]],
) -> None:
    workspace, _, _ = two_runs
    contexts = checked(workspace)
    assert len(contexts) == 4 and len(set(contexts.values())) == 1
    assert AS_OF.isoformat() in next(iter(contexts.values()))


def test_unchanged_receipts_and_annotated_workbooks_are_not_rewritten(
    two_runs: tuple[Path, RunResult, dict[str, float]],
) -> None:
    _, second, before = two_runs
    after = {p.name: p.stat().st_mtime_ns for p in (second.out_dir / "回执").iterdir()}
    annotated = [name for name in before if name.endswith("（批注回执）.xlsx")]
    assert annotated == ["李华（批注回执）.xlsx"]
    assert {name: after[name] for name in before} == before


def copy_of(workspace: Path, target: Path) -> Path:
    shutil.copytree(workspace, target)
    return target


def forget(workspace: Path) -> None:
    """The ledger as if no file had ever been checked or measured."""
    with sqlite3.connect(workspace / "state" / "lianxi.db") as db:
        db.execute("UPDATE files SET checked = ''")
        db.execute("DELETE FROM problems WHERE stage = 'check'")
        db.execute("DELETE FROM figures")


def figures_kept(workspace: Path) -> list[str]:
    """The files whose figures the ledger keeps, by name, once for each time they were kept."""
    with sqlite3.connect(workspace / "state" / "lianxi.db") as db:
        files = db.execute("SELECT sha256, display FROM files").fetchall()
        blobs = db.execute("SELECT data FROM figures WHERE part = 'measures'").fetchall()
    names = {sha: Path(display).stem for sha, display in files}
    held = [segment.InMemory(bytes(blob)).keys() for (blob,) in blobs]  # one list a segment
    return sorted(names[sha] for shas in held for sha in shas)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The names of the cadres each run measures from their rows (a run with none to measure
    does not measure)."""
    calls: list[list[str]] = []
    measure = pipeline.runner.measure

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(sorted(args[4]["name"]))  # type: ignore[index]
        return measure(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.runner, "measure", spy)
    return calls


def test_outputs_equal_those_found_afresh(
    two_runs: tuple[Path, RunResult, dict[str, float]], tmp_path: Path
) -> None:
    workspace, second, _ = two_runs
    afresh = copy_of(workspace, tmp_path / "afresh")
    forget(afresh)
    shutil.rmtree(afresh / second.out_dir.relative_to(workspace))
    again = rebuild(options(afresh))
    assert cells(again.out_dir) == cells(second.out_dir)
    problems = {o.file: [str(p) for p in o.problems] for o in again.outcomes}
    assert problems == {o.file: [str(p) for p in o.problems] for o in second.outcomes}
    assert any("date-impossible" in p for p in problems["inbox/李华.xlsx"])


def test_another_as_of_date_checks_every_file_again(
    two_runs: tuple[Path, RunResult, dict[str, float]], tmp_path: Path
) -> None:
    other = copy_of(two_runs[0], tmp_path / "other")
    later = rebuild(options(other, date(YEAR, 12, 1)))
    assert all(f"{YEAR}-12-01" in context for context in checked(other).values())
    ranking = sheet_values(later.out_dir / "排名.xlsx", "干部排名")
    assert {row["姓名"] for row in ranking} == {"张明", "王芳"}


def test_a_changed_problem_remakes_the_annotated_workbook(tmp_path: Path) -> None:
    source = tmp_path / "李华.xlsx"
    fill_ledger(broken("李华"), source)
    where = Location("inbox/李华.xlsx", "活动记录", "A4")
    impossible = Problem("date-impossible", where, f"{YEAR}年2月30日", {"column": "日期"})
    job = Job(
        Source(str(source), "ledger"),
        tmp_path / "回执" / "李华（批注回执）.xlsx",
        (impossible,),
        "李华，退回",
    )
    assert annotate_all([job], workers=1) == [job.target]
    made = job.target.stat().st_mtime_ns
    assert annotate_all([job], workers=1) == [job.target]
    assert job.target.stat().st_mtime_ns == made  # the same inputs: kept
    other = Problem("date-impossible", where, f"{YEAR}年2月31日", {"column": "日期"})
    assert annotate_all([replace(job, problems=(other,))], workers=1) == [job.target]
    assert job.target.stat().st_mtime_ns != made
    workbook = load_workbook(job.target)
    assert f"{YEAR}年2月31日" in str(workbook["错误清单"]["E4"].value)


def test_a_rerun_measures_only_the_new_file_and_grades_as_if_afresh(
    tmp_path: Path, measured: list[list[str]]
) -> None:
    """广东 2019: a prohibition broken in the late file, and unit duties over every cadre's rows."""
    workspace = guangdong_2019_inbox(make_workspace(tmp_path / "gd2019"))
    late = workspace / "inbox" / "座谈十二人.xlsx"
    held = late.rename(tmp_path / late.name)
    gd2019 = replace(options(workspace), rules="guangdong-2019")
    run(gd2019)
    first_figures = figures_kept(workspace)
    held.rename(late)
    second = run(gd2019)
    assert measured == []  # the readers measured every file as they read it, once
    assert first_figures == ["九天", "十天", "宣传干部", "每月驻点"]
    assert figures_kept(workspace) == sorted([*first_figures, "座谈十二人"])
    afresh = copy_of(workspace, tmp_path / "afresh")
    forget(afresh)
    again = rebuild(replace(gd2019, workspace=afresh))
    assert measured[-1] == ["九天", "十天", "宣传干部", "座谈十二人", "每月驻点"]
    assert cells(again.out_dir) == cells(second.out_dir)
    found = second.assessment.violations
    assert list(found["name"]) == ["座谈十二人"] and found["found"].tolist() == [12.0]
    pd.testing.assert_frame_equal(again.assessment.violations, found)
    pd.testing.assert_frame_equal(again.assessment.unit_results, second.assessment.unit_results)
    pd.testing.assert_frame_equal(again.assessment.results, second.assessment.results)


def test_other_rules_or_dates_measure_every_file_again(
    two_runs: tuple[Path, RunResult, dict[str, float]], tmp_path: Path, measured: list[list[str]]
) -> None:
    other = copy_of(two_runs[0], tmp_path / "other")
    rebuild(options(other))
    rebuild(options(other, date(YEAR, 12, 1)))
    rebuild(replace(options(other, date(YEAR, 12, 1)), rules="guangdong-2016"))
    rebuild(replace(options(other, date(YEAR, 12, 1)), rules="guangdong-2016"))
    assert measured == [["张明", "王芳"], ["张明", "王芳"]]  # the first and the last: none


def test_what_a_run_decodes_ahead_is_what_it_decodes_when_asked(
    two_runs: tuple[Path, RunResult, dict[str, float]],
) -> None:
    workspace = two_runs[0]
    run_options = options(workspace)
    rule_set = load_rules(run_options.rules, workspace / "rules")
    context = figures_context(rule_set, Period.YEAR_END, YEAR, AS_OF)
    ledger_file = workspace / "state" / "lianxi.db"
    ahead = decode_ahead(ledger_file, AHEAD_SHEETS, context)
    assert ahead.segments and ahead.figures  # decoded ahead indeed: the comparison means something
    with closing(sqlite3.connect(ledger_file)) as db:
        plain = load_batch(db, workspace / "state")
        early = load_batch(db, workspace / "state", decoded=ahead.segments)
        for sheet in AHEAD_SHEETS:
            pd.testing.assert_frame_equal(early.sheets[sheet], plain.sheets[sheet])
        some = {str(sha): n for n, sha in enumerate(plain.files["sha256"]) if n != 1}
        kept, reused = (
            load_figures(db, context, some),
            load_figures(db, context, some, ahead.figures),
        )
    assert len(reused.files) == len(kept.files) > 0
    for mine, theirs in zip(_parts(reused), _parts(kept), strict=True):
        pd.testing.assert_frame_equal(mine, theirs)


def _parts(figures: Figures) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return figures.measures, figures.digests, figures.breaches


def test_the_figures_context_is_the_same_in_every_process() -> None:
    """Kept figures are found again by their context: it must not vary with hash seeds."""
    code = (
        "from datetime import date; from pipeline.compute import figures_context;"
        " from pipeline.rules.loader import load_rules; from pipeline.rules.model import Period;"
        " print(*(figures_context(load_rules(r), Period.YEAR_END, 2026, date(2026, 11, 30))"
        " for r in ('baoji-2018', 'guangdong-2019', 'yulin-2016')), sep='\\n')"
    )
    contexts = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert len(contexts) == 1 and contexts.pop().count("rules ") == 3
