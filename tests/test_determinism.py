"""Same inbox, same rules → byte-identical 汇总表 and 排名, however many processes read the files;
and the same value normalises alike wherever it sits in a column.

The inbox is built once; each run gets its own copy (modification times kept), so the runs differ
only in what is under test: the number of reader processes, or a second run rebuilding every
output from the ledger alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from factories import compliant_content, make_workspace, roster_rows, submit, submit_roster

from pipeline import write
from pipeline.forms.spec import ACTIVITIES, Field
from pipeline.ingest.normalise import normalise_column
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, run

YEAR = 2026
AS_OF = date(YEAR, 11, 30)
OUTPUTS = ("汇总表.xlsx", "排名.xlsx")
CADRES = [(f"干部{n}", unit) for unit in ("甲县团委", "乙县团委") for n in range(1, 5)]


def fill_inbox(workspace: Path) -> None:
    """Eight cadres in two units, one resubmission, one broken file, one cadre who never submits."""
    submit_roster(workspace, roster_rows([*CADRES, ("未报送者", "乙县团委")]))
    for _, unit in CADRES:
        (workspace / "inbox" / unit).mkdir(exist_ok=True)
    for n, (name, unit) in enumerate(CADRES):
        content = compliant_content(name, unit, visits=10 + n, lectures=3 + n % 3, youth=90 + 5 * n)
        submit(workspace, content, f"{unit}/{name}.xlsx", mtime=datetime(YEAR, 11, 20, 9, n))
    early = compliant_content("干部1", "甲县团委", visits=2, fill_date=date(YEAR, 6, 30))
    submit(workspace, early, "甲县团委/干部1（6月）.xlsx", mtime=datetime(YEAR, 7, 1))
    (workspace / "inbox" / "说明.xlsx").write_bytes(b"not a workbook")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = make_workspace(tmp_path_factory.mktemp("source"))
    fill_inbox(workspace)
    return workspace


def copy_workspace(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, copy_function=shutil.copy2)
    return target


def run_on(workspace: Path, **options: object) -> RunResult:
    return run(RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, year=YEAR, **options))  # type: ignore[arg-type]


def output_bytes(result: RunResult) -> dict[str, bytes]:
    return {name: (result.out_dir / name).read_bytes() for name in OUTPUTS}


def test_outputs_are_identical_with_one_or_two_reader_processes(
    source: Path, tmp_path: Path
) -> None:
    one = run_on(copy_workspace(source, tmp_path / "one"), workers=1)
    two = run_on(copy_workspace(source, tmp_path / "two"), workers=2)
    assert [o.status for o in one.outcomes] == [o.status for o in two.outcomes]
    assert output_bytes(one) == output_bytes(two)


def test_a_second_run_rebuilds_identical_outputs_from_the_ledger(
    source: Path, tmp_path: Path
) -> None:
    workspace = copy_workspace(source, tmp_path / "ws")
    first = output_bytes(run_on(workspace, workers=2))
    again = run_on(workspace, workers=2)
    assert again.received == 0  # nothing new: every figure comes from the ledger's rows
    assert output_bytes(again) == first


def test_ranking_from_its_own_process_is_byte_identical(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large runs write 排名 in a spawned process: the same bytes as when written in this one."""
    here = run_on(copy_workspace(source, tmp_path / "here"), workers=1)
    assert len(here.outcomes) < write.SIDE_PROCESS_FILES  # so written in this process
    monkeypatch.setattr(write, "SIDE_PROCESS_FILES", 1)
    aside = run_on(copy_workspace(source, tmp_path / "aside"), workers=1)
    assert output_bytes(aside) == output_bytes(here)


@pytest.mark.parametrize(
    "field", [ACTIVITIES.field(n) for n in ("日期", "青年人数", "内容摘要", "活动类型")]
)
def test_a_value_normalises_alike_alone_and_among_thousands_of_rows(field: Field) -> None:
    """Columns are normalised once per distinct value: 1, 1.0, True and "1" must stay apart."""
    values = [1, 1.0, True, "1", "１", " 1 ", None, float("nan"), "2026年3月5日", 46086.0,
              dt.date(2026, 3, 5), dt.datetime(2026, 3, 5, 10, 30), "2026年2月30日", "3人", "走访 基层"]  # fmt: skip
    column = normalise_column(pd.Series(values * 1000, dtype=object), field)
    alone = [normalise_column(pd.Series([v], dtype=object), field)[0] for v in values]
    for n, expected in enumerate(alone):
        got = column[n + len(values) * 999]
        assert type(got) is type(expected) and (
            got == expected or (pd.isna(got) and pd.isna(expected))
        )
