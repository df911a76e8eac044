"""Crash safety: a run SIGKILLed before *every* file-system step it takes.

tests/test_crash.py kills at six named checkpoints and two timed points, none of which lies
inside the writing of the outputs. Here a small launcher wraps os.replace / os.rename /
os.link / os.unlink / os.fsync in the run's main process (reader workers are not touched) and
kills the run just before its N-th call, for N spread evenly over the calls an uninterrupted run
makes that are not an fsync: archive copies, moves out of the inbox, receipts, output renames.
Each killed run is followed by an uninterrupted one; the end must be exactly that of one
uninterrupted run (outputs' cell values, inbox, archive, ledger).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from factories import make_workspace
from test_crash import End, end_of, fill_crash_inbox

ROOT = Path(__file__).resolve().parents[1]
YEAR, UNIT = 2026, "金台区团委"
ARGS = ["run", "-w", "{w}", "--as-of", f"{YEAR}-11-30", "--period", "year-end", "--workers", "1"]
WRAPPED = ("replace", "rename", "link", "unlink", "fsync")
SAMPLED = 24  # kill points at most, spread over every kind of step

LAUNCHER = f"""
import os, runpy, signal, sys
KILL_AT = int(os.environ.get("AUDIT_KILL_AT", "0"))
LOG = os.environ.get("AUDIT_LOG")
MAIN = os.getpid()
calls = []
def wrap(name, function):
    def wrapped(*args, **kwargs):
        if os.getpid() == MAIN:
            calls.append(name)
            if LOG:
                with open(LOG, "a") as log:
                    log.write(name + "\\n")
            if KILL_AT and len(calls) >= KILL_AT:  # >=: threads append concurrently
                os.kill(MAIN, signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapped
for name in {WRAPPED!r}:
    setattr(os, name, wrap(name, getattr(os, name)))
sys.argv = ["pipeline", *sys.argv[1:]]
runpy.run_module("pipeline", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The inbox of tests/test_crash.py, with the launcher beside the workspace."""
    workspace = fill_crash_inbox(make_workspace(tmp_path_factory.mktemp("template") / "w"))
    (workspace.parent / "launcher.py").write_text(LAUNCHER, encoding="utf-8")
    return workspace


def launch(workspace: Path, kill_at: int = 0, log: Path | None = None) -> int:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "AUDIT_KILL_AT": str(kill_at),
    }
    env.pop("LIANXI_CRASH_AT", None)
    env.pop("AUDIT_LOG", None)
    if log is not None:
        env["AUDIT_LOG"] = str(log)
    launcher = workspace.parent / "launcher.py"
    command = [sys.executable, str(launcher), *(a.format(w=workspace) for a in ARGS)]
    with (workspace.parent / f"stderr-{kill_at}.txt").open("w+b") as err:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
        process.wait(timeout=300)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # reader workers left behind
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        # a worker being spawned when its run is killed dies reading its start-up data: the
        # only traceback a killed run may leave (from the orphan, not from lianxi)
        orphans = stderr.count("in spawn_main") if kill_at else 0
        assert stderr.count("Traceback") == orphans, stderr
    return process.returncode


def copy_of(template: Path, root: Path, name: str) -> Path:
    workspace = root / name / "w"
    shutil.copytree(template.parent, workspace.parent)  # the workspace and the launcher
    return workspace


@pytest.fixture(scope="module")
def reference(template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[End, list[str]]:
    workspace = copy_of(template, tmp_path_factory.mktemp("reference"), "ref")
    log = workspace.parent / "calls.txt"
    assert launch(workspace, log=log) == 0
    return end_of(workspace), log.read_text(encoding="utf-8").split()


@pytest.fixture(scope="module")
def killed(
    template: Path, reference: tuple[End, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[int, tuple[int | None, int, End]]:
    calls = reference[1]
    steps = [n for n, name in enumerate(calls, start=1) if name != "fsync"]
    points = steps[:: math.ceil(len(steps) / SAMPLED)]  # evenly spread: CI time is finite
    root = tmp_path_factory.mktemp("killed")

    def follow(point: int) -> tuple[int, tuple[int | None, int, End]]:
        workspace = copy_of(template, root, f"k{point}")
        log = workspace.parent / "killed-calls.txt"
        first: int | None = launch(workspace, kill_at=point, log=log)
        if first == 0 and len(log.read_text(encoding="utf-8").split()) < point:
            # two threads archiving the same content: the one that finds the other's copy
            # makes a call fewer, so this run ended before the reference's last step
            first = None
        second = launch(workspace)
        return point, (first, second, end_of(workspace))

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(follow, points))


def test_the_sweep_reaches_every_kind_of_step(reference: tuple[End, list[str]]) -> None:
    _, calls = reference
    assert {"replace", "link", "unlink"} <= set(calls)
    assert len([c for c in calls if c != "fsync"]) >= 20


def test_a_run_killed_before_any_file_step_ends_as_an_uninterrupted_run(
    killed: dict[int, tuple[int | None, int, End]], reference: tuple[End, list[str]]
) -> None:
    expected, _ = reference
    wrong: dict[int, list[str]] = {}
    for point, (first, second, end) in sorted(killed.items()):
        faults = []
        if first is not None and first != -signal.SIGKILL:
            faults.append(f"the first run was not killed ({first})")
        if second != 0:
            faults.append(f"the rerun exited {second}")
        for part in ("inbox", "archive", "ledger"):
            if getattr(end, part) != getattr(expected, part):
                faults.append(f"{part}: {getattr(end, part)} != {getattr(expected, part)}")
        if end.outbox.keys() != expected.outbox.keys():
            faults.append(f"outbox files: {sorted(set(end.outbox) ^ set(expected.outbox))}")
        else:
            faults += [
                f"outbox {n} differs"
                for n in expected.outbox
                if end.outbox[n] != expected.outbox[n]
            ]
        if faults:
            wrong[point] = faults
    assert wrong == {}
    assert sum(first is None for first, _, _ in killed.values()) <= 2  # near the end at most
