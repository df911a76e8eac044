"""The inbox: files not ready are left with a note; taken files are filed away, never lost; the lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import compliant_content, make_workspace, roster_rows, submit, submit_roster
from snapshots import files_under, originals_under

from pipeline.cli import main
from pipeline.demo.fill import fill_ledger
from pipeline.inbox import candidates, take
from pipeline.ingest import receive
from pipeline.ledger import Ledger, workspace_lock
from pipeline.ledger import archive as archive_module
from pipeline.originals import read_original
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, run

YEAR, AS_OF = 2026, date(2026, 11, 30)
UNIT = "金台区团委"
ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--as-of", AS_OF.isoformat(), "--period", "year-end", "--workers", "1"]


def options(workspace: Path) -> RunOptions:
    return RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, year=YEAR, workers=1)


def notes(left: list[object]) -> dict[str, str]:
    return {str(n).split("：")[0]: str(n) for n in left}


def test_owner_files_and_files_held_open_are_left_until_released(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    inbox = workspace / "inbox"
    for name in ("张明", "李华", "王芳"):
        submit(workspace, compliant_content(name, UNIT), f"{name}.xlsx")
    (inbox / "~$张明.xlsx").write_bytes(b"owner")  # Excel has 张明.xlsx open
    (inbox / ".DS_Store").write_bytes(b"finder")
    with (inbox / "李华.xlsx").open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another program holds 李华.xlsx
        first = run(options(workspace))
    left = notes(first.skipped)
    assert set(left) == {"~$张明.xlsx", "张明.xlsx", "李华.xlsx", ".DS_Store"}
    assert "打开" in left["张明.xlsx"] and "占用" in left["李华.xlsx"]
    assert [o.file for o in first.outcomes] == ["inbox/王芳.xlsx"]
    assert {left.relative for left in first.skipped if left.retry} == {"张明.xlsx", "李华.xlsx"}
    assert (inbox / "张明.xlsx").is_file() and (inbox / "李华.xlsx").is_file()

    (inbox / "~$张明.xlsx").unlink()  # Excel closed it
    second = run(options(workspace))
    assert notes(second.skipped).keys() == {".DS_Store"}
    assert sorted(o.file for o in second.outcomes) == [
        f"inbox/{n}.xlsx" for n in ("张明", "李华", "王芳")
    ]
    assert files_under(inbox) == [
        ".DS_Store",
        *(f"已处理/{n}.xlsx" for n in ("张明", "李华", "王芳")),
    ]


@pytest.fixture()
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("source") / "台账.xlsx"
    return fill_ledger(compliant_content("张明", UNIT), path).read_bytes()


def test_a_file_still_being_copied_is_left_and_taken_once_complete(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    copying = inbox / "张明.xlsx"
    copying.write_bytes(workbook_bytes[: len(workbook_bytes) // 2])  # not yet a complete zip

    def more_arrives(seconds: float) -> None:
        with copying.open("ab") as handle:
            handle.write(workbook_bytes[len(workbook_bytes) // 2 : -100])
        os.utime(copying, (time.time(), time.time()))

    growing = take(inbox, archive, settle=5.0, sleep=more_arrives)
    assert growing.arrivals == []
    assert [(n.relative, n.retry) for n in growing.left] == [("张明.xlsx", True)]
    assert "仍在写入" in str(growing.left[0])
    assert not archive.exists() or files_under(archive) == []

    copying.write_bytes(workbook_bytes)  # the copy finished: a complete zip is taken at once
    waits: list[float] = []
    done = take(inbox, archive, settle=5.0, sleep=waits.append)
    assert waits == [] and [a.relative for a in done.arrivals] == ["张明.xlsx"]
    assert read_original(done.arrivals[0].archived)[0] == workbook_bytes


def test_links_hidden_files_and_the_filed_away_folders_are_not_taken(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    inbox, archive, outside = tmp_path / "inbox", tmp_path / "archive", tmp_path / "outside"
    for folder in (inbox / "县" / ".隐藏", inbox / "县" / "已处理", inbox / "已处理", outside):
        folder.mkdir(parents=True)
    for path in (
        inbox / "县" / "张明.xlsx", inbox / "县" / "已处理" / "李华.xlsx",  # a cadre's own folder
        inbox / "县" / ".隐藏" / "王芳.xlsx", inbox / "已处理" / "赵强.xlsx", outside / "刘洋.xlsx",
    ):  # fmt: skip
        path.write_bytes(workbook_bytes)
    (inbox / "快捷方式.xlsx").symlink_to(outside / "刘洋.xlsx")
    (inbox / "外部文件夹").symlink_to(outside, target_is_directory=True)
    old = time.time() - 3600
    for path in inbox.rglob("*.xlsx"):
        os.utime(path, (old, old), follow_symlinks=False)

    assert [p.relative_to(inbox).as_posix() for p in candidates(inbox)] == [
        "县/.隐藏/王芳.xlsx", "县/已处理/李华.xlsx", "县/张明.xlsx", "外部文件夹", "快捷方式.xlsx",
    ]  # fmt: skip
    taken = take(inbox, archive, settle=5.0)
    assert [a.relative for a in taken.arrivals] == ["县/已处理/李华.xlsx", "县/张明.xlsx"]
    left = notes(taken.left)
    assert set(left) == {"县/.隐藏/王芳.xlsx", "外部文件夹", "快捷方式.xlsx"}
    assert "隐藏" in left["县/.隐藏/王芳.xlsx"] and "快捷方式" in left["快捷方式.xlsx"]
    assert "快捷方式" in left["外部文件夹"]
    assert len(originals_under(archive)) == 1  # the same content, archived once


def test_a_file_changed_while_it_is_copied_is_left_for_a_later_run(
    tmp_path: Path, workbook_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    source = inbox / "张明.xlsx"
    source.write_bytes(workbook_bytes)
    os.utime(source, (time.time() - 3600, time.time() - 3600))
    unchanged = archive_module._unchanged

    def written_meanwhile(path: str, before: os.stat_result, relative: str) -> None:
        with source.open("ab") as handle:  # the cadre saves again while we read it
            handle.write(b"more")
        unchanged(path, before, relative)

    monkeypatch.setattr(archive_module, "_unchanged", written_meanwhile)
    taken = take(inbox, archive, settle=5.0)
    assert taken.arrivals == [] and [(n.relative, n.retry) for n in taken.left] == [
        ("张明.xlsx", True)
    ]
    assert "仍在写入" in str(taken.left[0])
    assert files_under(archive) == []  # nothing of it is kept


def test_a_run_clears_receipts_half_written_beside_returned_files_and_nothing_else(
    tmp_path: Path,
) -> None:
    workspace = make_workspace(tmp_path)
    returned, processed = workspace / "inbox" / "退回" / "县", workspace / "inbox" / "已处理"
    returned.mkdir(parents=True)
    processed.mkdir(parents=True)
    half = returned / ".张明.回执.txt.4242.0123abcd.tmp"  # as a killed run leaves it
    half.write_text("半", encoding="utf-8")
    kept = processed / ".李华.xlsx.4242.0123abcd.tmp"  # never ours: 已处理 is not walked
    kept.write_text("留", encoding="utf-8")
    run(options(workspace))
    assert not half.exists() and kept.read_text(encoding="utf-8") == "留"


def test_a_truncated_file_that_stopped_changing_is_taken_to_be_returned(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    (inbox / "旧.xlsx").write_bytes(workbook_bytes[:3000])
    os.utime(inbox / "旧.xlsx", (time.time() - 3600, time.time() - 3600))
    (inbox / "新.xlsx").write_bytes(workbook_bytes[:3000])
    waits: list[float] = []
    taken = take(inbox, archive, settle=0.3, sleep=lambda s: (waits.append(s), time.sleep(s)))
    assert [a.relative for a in taken.arrivals] == ["新.xlsx", "旧.xlsx"] and taken.left == []
    assert len(waits) == 1 and 0 < waits[0] <= 0.3  # one wait for the young file, none for the old


def test_files_are_filed_away_with_receipts_beside_returned_ones_never_overwriting(
    tmp_path: Path,
) -> None:
    workspace = make_workspace(tmp_path)
    inbox = workspace / "inbox"
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    broken = compliant_content("刘洋", UNIT)
    broken.activities[3]["日期"] = f"{YEAR}年2月30日"
    (inbox / "县2").mkdir()
    fill_ledger(broken, inbox / "县2" / "刘洋.xlsx")
    submit_roster(workspace, roster_rows([("张明", UNIT), ("刘洋", UNIT)]))
    (inbox / "已处理").mkdir()
    (inbox / "已处理" / "张明.xlsx").write_bytes(b"the clerk's own file")
    result = run(options(workspace))
    assert {o.file: o.status.value for o in result.outcomes}["inbox/县2/刘洋.xlsx"] == "退回"
    assert files_under(inbox) == [
        "已处理/干部名册.xlsx", "已处理/张明.xlsx", "已处理/张明（2）.xlsx",
        "退回/县2/刘洋.xlsx", "退回/县2/刘洋.回执.txt",
    ]  # fmt: skip
    assert (inbox / "已处理" / "张明.xlsx").read_bytes() == b"the clerk's own file"
    receipt = (inbox / "退回" / "县2" / "刘洋.回执.txt").read_text(encoding="utf-8-sig")
    assert "处理结果：退回" in receipt and "活动记录!A5" in receipt
    assert len(originals_under(workspace / "state" / "archive")) == 3


def test_a_second_run_refuses_clearly_while_one_holds_the_workspace(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    with workspace_lock(workspace):
        result = CliRunner().invoke(main, ["run", "-w", str(workspace), *ARGS])
    assert result.exit_code == 2
    assert "另一个 lianxi 正在处理此工作目录" in result.output and "--wait" in result.output
    assert "Traceback" not in result.output
    assert files_under(workspace / "inbox") == ["张明.xlsx"]


def test_a_second_run_with_wait_runs_when_the_first_ends(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    command = [sys.executable, "-m", "pipeline", "run", "-w", str(workspace), *ARGS, "--wait"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with workspace_lock(workspace):
        waiting = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(2.0)
        assert waiting.poll() is None  # still waiting for the lock
        assert files_under(workspace / "inbox") == ["张明.xlsx"]
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert files_under(workspace / "inbox") == ["已处理/张明.xlsx"]


def test_a_file_replaced_after_the_ledger_recorded_it_keeps_both_versions(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "w")
    inbox = workspace / "inbox"
    submit(workspace, compliant_content("张明", UNIT, lectures=4), "张明.xlsx")
    with Ledger(workspace) as ledger:  # a run killed just after recording the file
        intake = take(inbox, ledger.archive, settle=0)
        jobs = [(a.archived, d) for a, d in ledger.fresh(intake.arrivals)]
        ledger.record(intake.arrivals, receive(jobs, workers=1))
    newer = fill_ledger(compliant_content("张明", UNIT, lectures=9), tmp_path / "新.xlsx")
    os.replace(newer, inbox / "张明.xlsx")  # the clerk replaced it before the next run

    first = run(options(workspace))
    assert sorted(o.file for o in first.outcomes) == ["inbox/张明.xlsx", "inbox/张明（2）.xlsx"]
    assert files_under(inbox) == ["已处理/张明.xlsx"]
    assert len(originals_under(workspace / "state" / "archive")) == 2  # both versions kept
    run(options(workspace))
    with Ledger(workspace) as ledger:
        places = {v.display: v.places for v in ledger.versions()}
    assert places == {
        "inbox/张明.xlsx": ("（已不在收件箱）",),
        "inbox/张明（2）.xlsx": ("inbox/已处理/张明.xlsx",),
    }


def test_originals_archived_one_file_each_by_earlier_versions_are_still_read(
    tmp_path: Path,
) -> None:
    """A workspace from before the run's zip: its originals, one file each under archive/ab/,
    are read where they are (the 批注回执 of a returned file) and not kept again."""
    workspace = make_workspace(tmp_path)
    inbox, state = workspace / "inbox", workspace / "state"
    broken = compliant_content("刘洋", UNIT)
    broken.activities[3]["日期"] = f"{YEAR}年2月30日"
    fill_ledger(broken, inbox / "刘洋.xlsx")
    submit_roster(workspace, roster_rows([("刘洋", UNIT)]))
    first = run(options(workspace))
    (pack,) = (state / "archive").glob("*.zip")
    with sqlite3.connect(state / "lianxi.db") as db, zipfile.ZipFile(pack) as opened:
        for sha256, location in db.execute("SELECT sha256, archive FROM files").fetchall():
            legacy = state / "archive" / sha256[:2] / f"{sha256}.xlsx"
            legacy.parent.mkdir(exist_ok=True)
            legacy.write_bytes(read_original(str(state / location))[0])
            db.execute(
                "UPDATE files SET archive = ? WHERE sha256 = ?",
                (legacy.relative_to(state).as_posix(), sha256),
            )
        assert sorted(opened.namelist()) == ["刘洋.xlsx", "干部名册.xlsx"]
    pack.unlink()
    annotated = next(first.out_dir.rglob("*批注回执*.xlsx"))
    annotated.unlink()
    shutil.copyfile(inbox / "退回" / "刘洋.xlsx", inbox / "刘洋.xlsx")  # dropped again

    again = run(options(workspace))
    assert annotated.is_file()  # made again from the original where the old version kept it
    assert [r.path for r in again.repeats] == ["刘洋.xlsx"]
    assert not list((state / "archive").glob("*.zip"))  # known content: not kept again
