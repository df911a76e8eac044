"""The crash test: `lianxi run` SIGKILLed at many points and run again ends as an uninterrupted run.

Each chain kills successive runs on one workspace — at named checkpoints (LIANXI_CRASH_AT, see
pipeline/ledger/checkpoint.py) or after a share of an uninterrupted run's time — then lets a
last run finish. Outputs (cell values), the inbox, the archive and the ledger must then be
exactly those of one uninterrupted run: not a file lost, none duplicated.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from factories import compliant_content, make_workspace, roster_rows, submit, submit_roster
from snapshots import Snapshot, files_under, originals_under, outbox_snapshot

from pipeline.demo.fill import fill_ledger
from pipeline.ledger.checkpoint import CRASH_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
YEAR, UNIT = 2026, "金台区团委"
ARGS = ["--as-of", f"{YEAR}-11-30", "--period", "year-end", "--workers", "1"]
# a name is a checkpoint; a number kills after that share of an uninterrupted run's time
CHAINS: tuple[tuple[str | float, ...], ...] = (
    ("archived", "settled", 0.8),
    ("recording", "moved-2"),
    ("recorded", "filed", 0.5),
)


@dataclass(frozen=True)
class End:
    outbox: Snapshot
    inbox: list[str]
    archive: list[str]
    ledger: list[tuple[object, ...]]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Versions that supersede, a copy dropped twice, a returned file, a non-workbook, a roster."""
    return fill_crash_inbox(make_workspace(tmp_path_factory.mktemp("template")))


def fill_crash_inbox(workspace: Path) -> Path:
    """The inbox every crash test kills runs over: each kind of fate and of file step in it."""
    inbox = workspace / "inbox"
    june = compliant_content("张明", UNIT, lectures=2, fill_date=date(YEAR, 6, 28))
    submit(workspace, june, "张明-半年.xlsx")
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    (inbox / "转发").mkdir()
    shutil.copyfile(inbox / "张明.xlsx", inbox / "转发" / "张明.xlsx")
    broken = compliant_content("刘洋", UNIT)
    broken.activities[3]["日期"] = f"{YEAR}年2月30日"
    (inbox / "县2").mkdir()
    fill_ledger(broken, inbox / "县2" / "刘洋.xlsx")
    (inbox / "说明.xlsx").write_text("not a workbook", encoding="utf-8")
    submit_roster(workspace, roster_rows([("张明", UNIT), ("刘洋", UNIT), ("王芳", UNIT)]))
    hour_ago = time.time() - 3600
    for n, path in enumerate(sorted(p for p in inbox.rglob("*") if p.is_file())):
        os.utime(path, (hour_ago + n, hour_ago + n))  # settled, and in a known order
    return workspace


def run_once(workspace: Path, crash: str | None = None, after: float | None = None) -> int:
    """`python -m pipeline run` on ``workspace``; its exit code (-9 when killed)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop(CRASH_VARIABLE, None)
    if crash:
        env[CRASH_VARIABLE] = crash
    command = [sys.executable, "-m", "pipeline", "run", "-w", str(workspace), *ARGS]
    with (workspace.parent / "stderr.txt").open("w+b") as err:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
        try:
            process.wait(timeout=after)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # reader workers the killed run left behind
        err.seek(0)
        assert b"Traceback" not in err.read()
    return process.returncode


def end_of(workspace: Path) -> End:
    db = sqlite3.connect(workspace / "state" / "lianxi.db")
    try:
        ledger = db.execute(
            "SELECT display, status, superseded_by, cadre_unit, cadre_name, fill_date, template_id,"
            " (SELECT count(*) FROM problems p WHERE p.sha256 = f.sha256) FROM files f ORDER BY display"
        ).fetchall()
        ledger += db.execute(
            "SELECT sha256, path, moved_to, moved_at IS NOT NULL FROM drops ORDER BY path"
        ).fetchall()
    finally:
        db.close()
    return End(
        outbox_snapshot(workspace),
        files_under(workspace / "inbox"),
        originals_under(workspace / "state" / "archive"),
        ledger,
    )


@pytest.fixture(scope="module")
def uninterrupted(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[End, float]:
    workspace = tmp_path_factory.mktemp("uninterrupted") / "w"
    shutil.copytree(template, workspace)
    start = time.monotonic()
    assert run_once(workspace) == 0
    return end_of(workspace), time.monotonic() - start


@pytest.fixture(scope="module")
def chains(
    template: Path, uninterrupted: tuple[End, float], tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[list[int], End]]:
    seconds = uninterrupted[1]

    def follow(chain: tuple[str | float, ...]) -> tuple[list[int], End]:
        workspace = tmp_path_factory.mktemp("chain") / "w"
        shutil.copytree(template, workspace)
        codes = [
            run_once(workspace, crash=point) if isinstance(point, str)
            else run_once(workspace, after=point * seconds)
            for point in chain
        ]  # fmt: skip
        codes.append(run_once(workspace))
        return codes, end_of(workspace)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(follow, CHAINS))


def test_the_uninterrupted_run_files_everything_away(
    template: Path, uninterrupted: tuple[End, float]
) -> None:
    end, _ = uninterrupted
    assert end.inbox == [
        "已处理/干部名册.xlsx", "已处理/张明-半年.xlsx", "已处理/张明.xlsx", "已处理/转发/张明.xlsx",
        "退回/县2/刘洋.xlsx", "退回/县2/刘洋.回执.txt", "退回/说明.xlsx", "退回/说明.回执.txt",
    ]  # fmt: skip
    assert len(end.archive) == 5  # one original per content: the re-drop is not kept again
    assert len(files_under(template / "inbox")) == 6
    assert f"{YEAR}-年底考核/排名.xlsx" in end.outbox


@pytest.mark.parametrize("index", range(len(CHAINS)), ids=["-".join(map(str, c)) for c in CHAINS])
def test_killed_runs_end_exactly_as_an_uninterrupted_run(
    index: int, chains: list[tuple[list[int], End]], uninterrupted: tuple[End, float]
) -> None:
    codes, end = chains[index]
    expected, _ = uninterrupted
    killed = [
        code for point, code in zip(CHAINS[index], codes, strict=False) if isinstance(point, str)
    ]
    assert killed == [-signal.SIGKILL] * len(killed), codes  # each checkpoint was reached
    assert codes[-1] == 0
    assert end.inbox == expected.inbox
    assert end.archive == expected.archive
    assert end.ledger == expected.ledger
    assert end.outbox.keys() == expected.outbox.keys()
    for name, content in expected.outbox.items():
        assert end.outbox[name] == content, name
