"""The console script imports nothing heavy, so the processes a run spawns start quickly."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """\
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pipeline.launch import main  # as pip's generated `lianxi` script does


def loaded(_: int) -> bool:
    return "pipeline.cli" in sys.modules or "pandas" in sys.modules


if __name__ == "__main__":
    with ProcessPoolExecutor(1, get_context("spawn")) as pool:
        print(pool.submit(loaded, 0).result())
"""


def _python(code: str, *arguments: str) -> str:
    """What ``python -c code arguments`` prints (it must succeed)."""
    command = [sys.executable, "-c", code, *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_the_console_script_runs_the_launcher() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["lianxi"] == "pipeline.launch:main"


def test_a_process_spawned_by_the_script_does_not_load_the_command_line(tmp_path: Path) -> None:
    script = tmp_path / "lianxi_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.strip() == "False"


def test_the_launcher_runs_the_command_line() -> None:
    assert "lianxi" in _python("from pipeline.launch import main; main()", "--version")


def test_the_launcher_spares_the_exit_a_last_walk_over_every_object() -> None:
    code = (
        "import atexit, gc; from pipeline.launch import main; "
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); main()"
    )
    assert "frozen True" in _python(code, "--version")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads the server's descriptors in /proc")
def test_the_fork_server_holds_neither_output_of_the_run_open() -> None:
    """Whatever reads a run's output (`lianxi run | tee`, the bench) gets its end when the run
    ends, not when the fork server has exited after it; the run's own output is untouched."""
    code = (
        "import os; from multiprocessing import forkserver; from pipeline import processes; "
        "print('before', flush=True); processes.start(); "
        "server = forkserver._forkserver._forkserver_pid; "
        "print(*(os.readlink(f'/proc/{server}/fd/{fd}') for fd in (1, 2)))"
    )
    assert _python(code).splitlines() == ["before", f"{os.devnull} {os.devnull}"]


def test_the_fork_servers_imports_leave_hypothesis_out_and_pandera_still_checks() -> None:
    """pandera's data-synthesis strategies would import hypothesis where it is installed (as
    here): the server hides it, and pandera's checks still find what fails."""
    code = (
        "import sys, pipeline.preload, pandas as pd, pandera.pandas as pa\n"
        "schema = pa.DataFrameSchema({'x': pa.Column(checks=pa.Check(lambda s: s > 0, name='pos'))})\n"
        "try: schema.validate(pd.DataFrame({'x': [1, -1]}), lazy=True)\n"
        "except pa.errors.SchemaErrors as e: print(sys.modules['hypothesis'] is None, e.failure_cases['index'].tolist())"
    )
    assert _python(code).split() == ["True", "[1]"]
