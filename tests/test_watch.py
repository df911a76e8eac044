"""`lianxi watch`: runs when files arrive and are complete, survives bad files and restarts, stops on Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import compliant_content, make_workspace

from pipeline.demo.fill import fill_ledger
from pipeline.watch import watch_inbox

ROOT = Path(__file__).resolve().parents[1]
YEAR, UNIT = 2026, "金台区团委"
ARGS = ["--as-of", f"{YEAR}-11-30", "--period", "year-end", "--workers", "1"]
RUN_INFO = Path("outbox") / f"{YEAR}-年底考核" / "run.json"


def eventually(
    condition: Callable[[], bool], seconds: float = 60.0, why: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {why()}"
        time.sleep(0.1)


# --- the loop, with a plain callback --------------------------------------------------------


@contextlib.contextmanager
def watching(inbox: Path, attempt: Callable[[], bool], retry: float = 60.0) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_inbox,
        args=(inbox, attempt),
        kwargs={"quiet": 0.3, "retry": retry, "stop": stop},
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_loop_runs_once_per_burst_and_not_for_its_own_moves(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "已处理").mkdir(parents=True)
    calls: list[list[str]] = []

    def attempt() -> bool:
        calls.append(sorted(p.name for p in inbox.iterdir() if p.is_file()))
        for path in inbox.iterdir():
            if path.is_file():
                path.rename(inbox / "已处理" / path.name)  # as a run files them away
        return False

    with watching(inbox, attempt):
        eventually(lambda: len(calls) == 1)  # at start
        for n in range(5):  # a burst: one run once it is over
            (inbox / f"{n}.xlsx").write_bytes(b"x" * n)
            time.sleep(0.05)
        eventually(lambda: len(calls) == 2)
        time.sleep(1.0)
    assert calls == [[], [f"{n}.xlsx" for n in range(5)]]


def test_files_left_for_later_are_retried(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "张明.xlsx").write_bytes(b"held open")
    calls: list[float] = []

    def attempt() -> bool:
        calls.append(time.monotonic())
        return len(calls) < 3  # left the first two times

    with watching(inbox, attempt, retry=0.5):
        eventually(lambda: len(calls) == 3, seconds=15)
        time.sleep(0.6)
    assert len(calls) == 3


# --- `lianxi watch` in its own process ------------------------------------------------------


def start_watch(workspace: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline", "watch", "-w", str(workspace), *ARGS],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def files_read(workspace: Path) -> int:
    try:
        return int(json.loads((workspace / RUN_INFO).read_text(encoding="utf-8"))["files_read"])
    except (FileNotFoundError, json.JSONDecodeError):
        return -1


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        return process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def copy_slowly(data: bytes, target: Path, parts: int = 4, pause: float = 0.4) -> None:
    """Like a copy from a slow share: the file grows for a while, an incomplete zip until the end."""
    step = len(data) // parts + 1
    with target.open("wb") as handle:
        for start in range(0, len(data), step):
            handle.write(data[start : start + step])
            handle.flush()
            time.sleep(pause)


@pytest.fixture(scope="module")
def ledger_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    folder = tmp_path_factory.mktemp("sources")
    first = fill_ledger(compliant_content("张明", UNIT), folder / "张明.xlsx")
    second = fill_ledger(compliant_content("李华", UNIT), folder / "李华.xlsx")
    return first.read_bytes(), second.read_bytes()


def test_watch_takes_complete_files_survives_bad_ones_and_restarts(
    tmp_path: Path, ledger_bytes: tuple[bytes, bytes]
) -> None:
    workspace, log = make_workspace(tmp_path / "w"), tmp_path / "watch.log"
    inbox = workspace / "inbox"
    process = start_watch(workspace, log)
    try:
        eventually(lambda: files_read(workspace) == 0, why=log.read_text)  # at start: empty
        (inbox / "说明.xlsx").write_text("not a workbook", encoding="utf-8")
        copy_slowly(ledger_bytes[0], inbox / "张明.xlsx")
        eventually(lambda: files_read(workspace) == 2, why=log.read_text)
    finally:
        code = stop(process)
    output = log.read_text(encoding="utf-8")
    assert code == 0, output
    assert "已停止监视收件箱。" in output and "Traceback" not in output
    assert (inbox / "已处理" / "张明.xlsx").read_bytes() == ledger_bytes[0]  # whole, accepted
    assert (inbox / "退回" / "说明.xlsx").is_file()

    (inbox / "李华.xlsx").write_bytes(ledger_bytes[1])  # dropped while nobody watches
    process = start_watch(workspace, log)
    try:
        eventually(lambda: files_read(workspace) == 3, why=log.read_text)
    finally:
        assert stop(process) == 0
    info = json.loads((workspace / RUN_INFO).read_text(encoding="utf-8"))
    assert info["outcomes"]["returned"] == 1
    assert info["outcomes"]["accepted"] + info["outcomes"]["accepted_with_warnings"] == 2
