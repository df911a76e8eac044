"""Reading on a dask.distributed cluster gives what reading in local processes gives, byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import LocalCluster
from factories import make_workspace, read_files, sheet_values
from test_determinism import AS_OF, OUTPUTS, copy_workspace, fill_inbox, output_bytes, run_on

from pipeline.cli import main
from pipeline.errors import PipelineError
from pipeline.ingest import ingest
from pipeline.ingest.executors import DaskExecutor, LocalExecutor, executor_for
from pipeline.resources import templates_dir

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "foreign"
LEDGER_TEMPLATE = templates_dir() / "联系青年工作台账.xlsx"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as running:
        yield running


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = make_workspace(tmp_path_factory.mktemp("source"))
    fill_inbox(workspace)
    return workspace


def test_lianxi_run_on_a_dask_cluster_writes_the_same_workbooks(
    source: Path, tmp_path: Path, cluster: LocalCluster
) -> None:
    local = run_on(copy_workspace(source, tmp_path / "local"), workers=1)
    workspace = copy_workspace(source, tmp_path / "cli")
    options = ["--period", "年底考核", "--as-of", AS_OF.isoformat(), "--year", str(AS_OF.year)]
    cluster_options = ["--executor", "dask", "--scheduler", cluster.scheduler_address]
    result = CliRunner().invoke(main, ["run", "-w", str(workspace), *options, *cluster_options])
    assert result.exit_code == 0, result.output
    out_dir = workspace / local.out_dir.relative_to(local.out_dir.parents[1])
    for name, sheet in (("排名.xlsx", "干部排名"), ("汇总表.xlsx", "全部")):
        assert sheet_values(out_dir / name, sheet) == sheet_values(local.out_dir / name, sheet)
    assert {n: (out_dir / n).read_bytes() for n in OUTPUTS} == output_bytes(local)


def test_dask_reads_carry_the_files_own_path_and_problems(
    source: Path, cluster: LocalCluster
) -> None:
    jobs = sorted(
        (str(p), p.relative_to(source).as_posix()) for p in (source / "inbox").rglob("*.xlsx")
    )
    here = ingest(jobs, executor=LocalExecutor(2))
    there = ingest(jobs, executor=DaskExecutor(cluster.scheduler_address))
    assert there.files.equals(here.files)
    assert there.problems == here.problems
    for sheet, frame in here.sheets.items():
        assert there.sheets[sheet].equals(frame), sheet


def test_dask_needs_a_scheduler_and_the_extra() -> None:
    with pytest.raises(PipelineError, match="--scheduler"):
        executor_for("dask", workers=2)
    with pytest.raises(PipelineError, match="local"):
        executor_for("spark", workers=2)
    assert executor_for("dask", workers=2, scheduler="tcp://x:1") == DaskExecutor("tcp://x:1")


def test_run_refuses_dask_without_a_scheduler_in_chinese(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    result = CliRunner().invoke(main, ["run", "-w", str(workspace), "--executor", "dask"])
    assert result.exit_code == 2
    assert "--scheduler" in result.output and "调度器" in result.output


def test_a_crash_inside_a_batch_costs_its_file_only() -> None:
    crasher = CORPUS / "ExcelDataReader" / "Test_git_issue_382_oom.xls"  # calamine aborts
    if not crasher.exists():
        pytest.skip("the shared corpus is not beside the checkout")
    jobs = [(str(LEDGER_TEMPLATE), f"inbox/{n:02d}.xlsx") for n in range(30)]
    jobs.insert(12, (str(crasher), "inbox/crasher.xls"))  # in the middle of a batch of several
    reads = {r.display: r for r in read_files(jobs, 1)}
    assert len(reads) == len(jobs)
    assert [p.code for p in reads["inbox/crasher.xls"].parsed.problems] == ["reader-crashed"]
    assert all(
        r.parsed.template_id == "ledger" for d, r in reads.items() if d != "inbox/crasher.xls"
    )
