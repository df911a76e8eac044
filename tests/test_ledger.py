"""The ledger: migrations, files kept without re-reading, versions across runs, withdraw, rebuild."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from factories import (
    by_name,
    compliant_content,
    make_workspace,
    roster_rows,
    rule_titles,
    sheet_values,
    submit,
    submit_roster,
)
from snapshots import outbox_snapshot

from pipeline.cli import main
from pipeline.cli.history import HEADERS as HISTORY_HEADERS
from pipeline.demo.fill import fill_ledger
from pipeline.errors import PipelineError
from pipeline.inbox import take
from pipeline.ingest import Batch, assemble, receive, segment
from pipeline.ledger import Ledger
from pipeline.ledger import archive as archive_module
from pipeline.ledger.archive import Archive, discard_unrecorded
from pipeline.ledger.batch import StoredSegment, decode_ahead
from pipeline.ledger.store import MIGRATIONS, PAGE_SIZE, Store
from pipeline.originals import read_original
from pipeline.resources import templates_dir
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult, run
from pipeline.validate import validate

YEAR, AS_OF = 2026, date(2026, 11, 30)
UNIT = "金台区团委"
STAGE = Path("outbox") / f"{YEAR}-年底考核"
LECTURES = rule_titles()["lectures"]
ARGS = ["--as-of", AS_OF.isoformat(), "--period", "year-end", "--workers", "1"]


def options(workspace: Path) -> RunOptions:
    return RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, year=YEAR, workers=1)


def fates(result: RunResult) -> dict[str, tuple[str, str]]:
    return {o.file: (o.status.value, o.superseded_by) for o in result.outcomes}


# --- the database ---------------------------------------------------------------------------


def tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_ledger_is_migrated_and_reopening_changes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "lianxi.db") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        first = tables(store.db)
    assert {"files", "drops", "segments", "problems"} <= first
    with Store(tmp_path / "lianxi.db") as again:
        assert again.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert tables(again.db) == first


def test_a_new_ledger_has_large_pages_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    """Segments of hundreds of megabytes: a new ledger's pages are 64 KB; a ledger made with
    SQLite's default pages (earlier versions) opens, migrates and keeps them."""
    with Store(tmp_path / "new.db") as store:
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 65536
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE earlier (x)")
    old.close()
    with Store(tmp_path / "old.db") as store:
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert {"files", "segments", "earlier"} <= tables(store.db)


def test_committed_rows_are_copied_from_the_log_beside_the_run_and_on_closing(tmp_path: Path) -> None:
    path = tmp_path / "lianxi.db"
    blob = bytes(range(256)) * 4096  # 1 MB: a segment
    with Store(path) as store:
        with store.transaction() as db:
            db.execute("INSERT INTO segments (sheet, data) VALUES (?, ?)", ("活动记录", blob))
        log = path.with_name(path.name + "-wal")
        assert log.stat().st_size > len(blob) > path.stat().st_size  # committed to the log only
        store.checkpoint_later()
        with store.transaction() as db:  # the run goes on writing meanwhile
            db.execute("INSERT INTO segments (sheet, data) VALUES (?, ?)", ("联系青年名册", blob))
    assert not log.exists() and path.stat().st_size > 2 * len(blob)  # all in the file, log gone
    with Store(path) as again:
        assert again.db.execute("SELECT count(*) FROM segments").fetchone()[0] == 2


def test_a_ledger_made_by_a_newer_lianxi_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "lianxi.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(PipelineError, match="更新版本"):
        Store(tmp_path / "lianxi.db")


def test_writes_are_all_or_nothing_and_keys_are_enforced(tmp_path: Path) -> None:
    with Store(tmp_path / "lianxi.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute(
                "INSERT INTO files (sha256, display, path, size, mtime, received, archive)"
                " VALUES (?, 'inbox/a.xlsx', 'a.xlsx', 1, 0, '', '')",
                ("a" * 64,),
            )
            raise RuntimeError("killed halfway")
        assert store.db.execute("SELECT count(*) FROM files").fetchone()[0] == 0
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
            db.execute(
                "INSERT INTO drops (sha256, path, size, mtime, received) VALUES (?, 'a', 1, 0, '')",
                ("b" * 64,),
            )


# --- a batch kept in the ledger is the batch that was read ----------------------------------


@dataclass(frozen=True)
class Kept:
    read: Batch
    kept: Batch
    workspace: Path


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kept]:
    workspace = make_workspace(tmp_path_factory.mktemp("kept"))
    submit(workspace, compliant_content("张明", UNIT), "张明.xlsx")
    messy = compliant_content("李华", UNIT)
    for n, row in enumerate(messy.activities[:6]):
        row["日期"] = ("2026年3月5日", "2026.3.6", 46090, "2026年2月30日", "三月", None)[n]
        row["青年人数"] = ("１２", "3人", True, 4.5, "-2", "很多")[n]
    messy.info["填报日期"] = "2026/11/25"
    submit(workspace, messy, "李华.xlsx")
    submit_roster(workspace, roster_rows([("张明", UNIT), ("李华", UNIT)]))
    (workspace / "inbox" / "说明.xlsx").write_text("not a workbook", encoding="utf-8")
    shutil.copyfile(templates_dir() / "联系青年工作台账.xlsx", workspace / "inbox" / "空白.xlsx")
    with Ledger(workspace) as ledger:
        arrivals = take(workspace / "inbox", ledger.archive, settle=0).arrivals
        fresh = ledger.fresh(arrivals)
        received = receive([(a.archived, d) for a, d in fresh], workers=2)
        ledger.record(arrivals, received)
        yield Kept(assemble(received), ledger.batch(), workspace)  # its rows are read while open


def test_kept_rows_are_the_rows_read(kept: Kept) -> None:
    assert set(kept.kept.sheets) == set(kept.read.sheets)
    for name, frame in kept.read.sheets.items():
        pd.testing.assert_frame_equal(kept.kept.sheets[name], frame, obj=name)
    assert len(kept.read.sheets["活动记录"]) > 20


def test_kept_files_anchors_and_read_problems_are_those_read(kept: Kept) -> None:
    columns = ["display", "sha256", "template_id"]
    pd.testing.assert_frame_equal(kept.kept.files[columns], kept.read.files[columns])
    for path, sha256 in zip(kept.kept.files["path"], kept.kept.files["sha256"], strict=True):
        assert hashlib.sha256(read_original(path)[0]).hexdigest() == sha256  # the originals
    assert {s: a for s, a in kept.kept.anchors.items() if a} == {
        s: a for s, a in kept.read.anchors.items() if a
    }
    assert [str(p) for p in kept.kept.problems] == [str(p) for p in kept.read.problems]
    assert any(p.code == "file-not-workbook" for p in kept.kept.problems)


def test_validating_kept_rows_finds_exactly_the_same_problems(kept: Kept) -> None:
    def found(batch: Batch) -> dict[str, list[str]]:
        problems = validate(batch, as_of=AS_OF, year=YEAR)
        return {file: [str(p) for p in ps] for file, ps in problems.items()}

    again = found(kept.kept)
    assert again == found(kept.read)
    codes = {line.split(" ")[2].rstrip(":") for line in again["inbox/李华.xlsx"]}
    assert {"date-impossible", "date-unreadable", "number-unreadable", "number-negative"} <= codes


def test_a_segment_keeps_every_kind_of_value_and_drops_files_not_asked_for() -> None:
    values = [None, 3.0, pd.Timestamp("2026-03-05"), pd.NaT, "2026年2月30日", "", 0.5, "三月"]
    frame = pd.DataFrame({"_file": [0, 1] * 4, "_row": range(2, 10), "日期": values})
    frame = frame.astype({"日期": object})
    blob = segment.encode(frame, ["a" * 64, "b" * 64], ["日期"])
    both = segment.decode(blob, {"a" * 64: 5, "b" * 64: 0})
    assert list(both["_file"]) == [5, 0] * 4
    assert [type(v) for v in both["日期"]] == [type(v) for v in values]
    assert list(both["日期"].iloc[[1, 2, 4, 5, 6, 7]]) == [values[i] for i in (1, 2, 4, 5, 6, 7)]
    only_b = segment.decode(blob, {"b" * 64: 0})
    assert list(only_b["_row"]) == [3, 5, 7, 9]
    assert only_b["日期"].iloc[0] == 3.0 and only_b["日期"].iloc[1] is pd.NaT
    assert list(only_b["日期"].iloc[[0, 2, 3]]) == [3.0, "", "三月"]
    only_a = segment.decode(blob, {"a" * 64: 7})  # every kind, each from its own array
    assert list(only_a["_file"]) == [7] * 4 and list(only_a["_row"]) == [2, 4, 6, 8]
    assert only_a["日期"].iloc[0] is None and list(only_a["日期"].iloc[1:]) == values[2::2][:3]
    assert [type(v) for v in only_a["日期"]] == [type(v) for v in values[::2]]


# --- versions across runs -------------------------------------------------------------------


@dataclass(frozen=True)
class Year:
    workspace: Path
    runs: list[RunResult]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Year:
    """Three runs: June versions and a copy; November versions and re-drops; a stale version."""
    workspace = make_workspace(tmp_path_factory.mktemp("year"))
    inbox = workspace / "inbox"
    june = compliant_content("张明", UNIT, lectures=2, fill_date=date(YEAR, 6, 28))
    submit(workspace, june, "张明-半年.xlsx")
    submit(workspace, compliant_content("李华", UNIT, lectures=4), "李华.xlsx")
    (inbox / "转发").mkdir()
    shutil.copy2(inbox / "李华.xlsx", inbox / "转发" / "李华-副本.xlsx")
    submit_roster(workspace, roster_rows([("张明", UNIT), ("李华", UNIT)]))
    runs = [run(options(workspace))]
    shutil.copy2(inbox / "已处理" / "张明-半年.xlsx", inbox / "张明-半年.xlsx")
    submit(workspace, compliant_content("张明", UNIT, lectures=7), "张明.xlsx")
    later = compliant_content("李华", UNIT, lectures=5, fill_date=date(YEAR, 11, 26))
    submit(workspace, later, "李华.xlsx")  # a new version under a name used before
    runs.append(run(options(workspace)))
    stale = compliant_content("张明", UNIT, lectures=1, fill_date=date(YEAR, 5, 1))
    submit(workspace, stale, "张明-旧.xlsx")
    runs.append(run(options(workspace)))
    return Year(workspace, runs)


def test_the_rows_of_one_file_fetch_only_the_segments_holding_it(
    year: Year, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[StoredSegment] = []
    fetch = StoredSegment.data
    monkeypatch.setattr(StoredSegment, "data", lambda self: fetched.append(self) or fetch(self))
    with Ledger(year.workspace) as ledger:
        batch = ledger.batch()
        stale = int(batch.files.index[batch.files["display"] == "inbox/张明-旧.xlsx"][0])
        rows = batch.rows("活动记录", [stale])
        assert len(fetched) == 1  # of the three runs' segments, the last run's only
        every = batch.sheets["活动记录"]
        assert len(fetched) == 1 + ledger.store.db.execute(
            "SELECT count(*) FROM segments WHERE sheet = '活动记录'"
        ).fetchone()[0]
    pd.testing.assert_frame_equal(rows, every[every["_file"] == stale].reset_index(drop=True))
    assert len(rows) > 0


def test_the_same_content_dropped_twice_is_recognised_not_counted(year: Year) -> None:
    first = year.runs[0]
    assert first.received == 3
    assert [(r.path, r.display) for r in first.repeats] == [
        ("转发/李华-副本.xlsx", "inbox/李华.xlsx")
    ]
    assert sorted(fates(first)) == [
        "inbox/干部名册.xlsx",
        "inbox/张明-半年.xlsx",
        "inbox/李华.xlsx",
    ]
    filed = year.workspace / "inbox" / "已处理"
    assert (filed / "李华.xlsx").is_file() and (filed / "转发" / "李华-副本.xlsx").is_file()


def test_a_re_drop_in_a_later_run_is_a_repeat_and_never_overwrites(year: Year) -> None:
    second = year.runs[1]
    assert second.received == 2
    assert [(r.path, r.display) for r in second.repeats] == [
        ("张明-半年.xlsx", "inbox/张明-半年.xlsx")
    ]
    filed = year.workspace / "inbox" / "已处理"
    assert (filed / "张明-半年.xlsx").read_bytes() == (filed / "张明-半年（2）.xlsx").read_bytes()
    assert (filed / "李华.xlsx").read_bytes() != (filed / "李华（2）.xlsx").read_bytes()


def test_a_newer_version_in_a_later_run_supersedes_the_earlier(year: Year) -> None:
    second = fates(year.runs[1])
    assert second["inbox/张明-半年.xlsx"] == ("已被新版本替代", "inbox/张明.xlsx")
    assert second["inbox/张明.xlsx"] == ("已采用", "")
    # the name 李华.xlsx was used twice: the new content is told apart, and wins on 填报日期
    assert second["inbox/李华.xlsx"] == ("已被新版本替代", "inbox/李华（2）.xlsx")
    assert second["inbox/李华（2）.xlsx"] == ("已采用", "")


def test_an_older_version_received_later_is_superseded_at_once(year: Year) -> None:
    third = fates(year.runs[2])
    assert third["inbox/张明-旧.xlsx"] == ("已被新版本替代", "inbox/张明.xlsx")
    assert third["inbox/张明.xlsx"] == ("已采用", "")
    ranking = by_name(sheet_values(year.workspace / STAGE / "排名.xlsx", "干部排名"))
    assert (ranking["张明"][LECTURES], ranking["李华"][LECTURES]) == (7, 5)
    listed = [r["文件"] for r in sheet_values(year.workspace / STAGE / "回执清单.xlsx", "回执清单")]
    assert len(listed) == len(set(listed)) == 6


def test_rebuild_from_the_ledger_alone_equals_the_run(year: Year, tmp_path: Path) -> None:
    workspace = tmp_path / "copy"
    shutil.copytree(year.workspace, workspace)
    expected = outbox_snapshot(workspace)
    shutil.rmtree(workspace / "outbox")
    inbox_before = sorted(p.name for p in (workspace / "inbox").rglob("*"))
    result = CliRunner().invoke(main, ["rebuild", "-w", str(workspace), *ARGS])
    assert result.exit_code == 0, result.output
    assert outbox_snapshot(workspace) == expected
    assert sorted(p.name for p in (workspace / "inbox").rglob("*")) == inbox_before


def test_withdraw_takes_a_version_out_at_the_next_rebuild(year: Year, tmp_path: Path) -> None:
    workspace = tmp_path / "copy"
    shutil.copytree(year.workspace, workspace)
    withdrawn = workspace / "inbox" / "已处理" / "张明.xlsx"
    reason = "单位填错，已另行报送"
    cli = CliRunner()
    result = cli.invoke(
        main, ["withdraw", str(withdrawn), "--reason", reason, "-w", str(workspace)]
    )
    assert result.exit_code == 0, result.output
    assert f"已撤回 inbox/张明.xlsx（{UNIT} 张明）" in result.output
    assert cli.invoke(main, ["rebuild", "-w", str(workspace), *ARGS]).exit_code == 0
    ranking = by_name(sheet_values(workspace / STAGE / "排名.xlsx", "干部排名"))
    assert ranking["张明"][LECTURES] == 2  # the June version is current again
    listed = {r["文件"]: r for r in sheet_values(workspace / STAGE / "回执清单.xlsx", "回执清单")}
    assert "inbox/张明.xlsx" not in listed
    assert listed["inbox/张明-半年.xlsx"]["处理结果"] == "已采用"
    history = cli.invoke(main, ["history", "-w", str(workspace), "--cadre", "张明"]).output
    assert "已撤回" in history and f"撤回原因：{reason}" in history


def test_withdraw_names_what_it_cannot_find(year: Year) -> None:
    cli = CliRunner()
    result = cli.invoke(
        main, ["withdraw", "不存在.xlsx", "--reason", "x", "-w", str(year.workspace)]
    )
    assert result.exit_code == 2 and "账本中找不到“不存在.xlsx”" in result.output
    blank = cli.invoke(
        main, ["withdraw", "inbox/张明.xlsx", "--reason", " ", "-w", str(year.workspace)]
    )
    assert blank.exit_code == 2 and "请写明撤回原因" in blank.output


def test_history_lists_every_version_and_filters_by_cadre_and_unit(year: Year) -> None:
    cli = CliRunner()
    whole = cli.invoke(main, ["history", "-w", str(year.workspace)])
    assert whole.exit_code == 0, whole.output
    header, *rows = whole.output.splitlines()
    assert header.split() == list(HISTORY_HEADERS)
    assert HISTORY_HEADERS[:4] == ("单位", "姓名", "填报日期", "结果")
    assert len(rows) == 6
    mine = cli.invoke(main, ["history", "-w", str(year.workspace), "--cadre", "张 明"]).output
    lines = mine.splitlines()[1:]
    assert len(lines) == 3 and all("张明" in line for line in lines)
    assert "inbox/已处理/张明-半年.xlsx、inbox/已处理/张明-半年（2）.xlsx" in mine
    assert "收到 2 次，内容相同" in mine
    other = cli.invoke(main, ["history", "-w", str(year.workspace), "--unit", "渭滨区团委"])
    assert "没有符合条件的记录" in other.output


def test_commands_that_need_a_ledger_say_so(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    for command in (["rebuild", *ARGS], ["history"], ["withdraw", "x", "--reason", "y"]):
        result = CliRunner().invoke(main, [*command, "-w", str(tmp_path)])
        assert result.exit_code == 2 and "找不到账本" in result.output, command
    assert not (tmp_path / "state").exists()


def test_a_content_taken_twice_is_kept_once_in_the_runs_pack(tmp_path: Path) -> None:
    source = fill_ledger(compliant_content("王芳", UNIT), tmp_path / "王芳.xlsx")
    archive = Archive(tmp_path / "archive")
    with source.open("rb") as first_handle, source.open("rb") as second_handle:
        first = archive.take(first_handle, str(source), "b/王芳.xlsx")
        second = archive.take(second_handle, str(source), "a/王芳.XLSX")
    archive.close()
    assert first.archived == second.archived
    assert read_original(first.archived)[0] == source.read_bytes()
    (pack,) = (tmp_path / "archive").iterdir()
    with zipfile.ZipFile(pack) as opened:  # any zip tool finds it under the name it came with
        assert opened.namelist() == ["b/王芳.xlsx"]
        assert opened.read("b/王芳.xlsx") == source.read_bytes()


def test_originals_are_kept_as_they_came_and_read_where_the_ledger_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any size (a large file streamed into the pack, never whole in memory), content known to
    the ledger not kept again, and a pack left by a killed run discarded by the next."""
    monkeypatch.setattr(archive_module, "WHOLE", 1000)  # files over it are streamed
    small, large, known = tmp_path / "小.xlsx", tmp_path / "大.bin", tmp_path / "旧.xlsx"
    small.write_bytes(b"PK small")
    os.utime(small, (0, 0))  # 1970: before any time a zip can say
    large.write_bytes(os.urandom(2500))
    known.write_bytes(b"PK known")
    kept_before = str(tmp_path / "elsewhere.xlsx")
    archive = Archive(tmp_path / "archive", {hashlib.sha256(b"PK known").hexdigest(): kept_before})
    arrivals = []
    for path in (small, large, known):
        with path.open("rb") as handle:
            arrivals.append(archive.take(handle, str(path), path.name))
    archive.close()
    assert [read_original(a.archived)[0] for a in arrivals[:2]] == [
        small.read_bytes(), large.read_bytes()
    ]
    assert [a.sha256 for a in arrivals[:2]] == [
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (small, large)
    ]
    assert arrivals[2].archived == kept_before
    (pack,) = (tmp_path / "archive").iterdir()
    with zipfile.ZipFile(pack) as opened:
        assert opened.namelist() == ["小.xlsx", "大.bin"]
        assert opened.testzip() is None
    (tmp_path / "archive" / "20260101-000000-00000000.zip").write_bytes(b"PK\x03\x04 cut short")
    discard_unrecorded(tmp_path / "archive", {pack.name})
    assert list((tmp_path / "archive").iterdir()) == [pack]


DAMAGED = r"lianxi\.db.*已损坏.*改名留存"


def damaged_copy(kept: Kept, tmp_path: Path, damage: str) -> Path:
    """A copy of the kept workspace whose ledger had ``damage`` (an SQL statement) done to it."""
    workspace = tmp_path / "damaged"
    shutil.copytree(kept.workspace, workspace)
    with sqlite3.connect(workspace / "state" / "lianxi.db") as db:
        db.execute(damage)
    return workspace


def test_a_damaged_segment_is_refused_in_chinese_naming_the_ledger(
    kept: Kept, tmp_path: Path
) -> None:
    workspace = damaged_copy(kept, tmp_path, "UPDATE segments SET data = X'00010203'")
    with Ledger(workspace) as ledger, pytest.raises(PipelineError, match=DAMAGED):
        ledger.batch().sheets["基本信息"]  # sheets are decoded when first used


def test_a_damaged_segment_decoded_ahead_is_left_for_the_run_to_refuse(
    kept: Kept, tmp_path: Path
) -> None:
    workspace = damaged_copy(kept, tmp_path, "UPDATE segments SET data = X'00010203'")
    ahead = decode_ahead(workspace / "state" / "lianxi.db", ["基本信息"], "")
    assert ahead.segments == {}
    with Ledger(workspace) as ledger, pytest.raises(PipelineError, match=DAMAGED):
        ledger.decode_ahead(["基本信息"], "")
        ledger.batch().sheets["基本信息"]


def test_damaged_anchors_are_refused_in_chinese_naming_the_ledger(
    kept: Kept, tmp_path: Path
) -> None:
    workspace = damaged_copy(kept, tmp_path, "UPDATE files SET anchors = '{not json'")
    with Ledger(workspace) as ledger, pytest.raises(PipelineError, match=DAMAGED):
        ledger.batch().locate("基本信息", 0, "姓名", 0)  # anchors are parsed when first used


def test_drops_of_many_arrivals_are_told_apart_as_one_by_one(tmp_path: Path) -> None:
    """More arrivals than one query binds: repeated, waiting, new and twice-dropped content."""
    from pipeline.ledger.archive import Arrival
    from pipeline.ledger.records import QUERY_VALUES, record_drops

    def arrival(n: int, path: str) -> Arrival:
        return Arrival(path, f"{n:064x}", 10, 0.0, str(tmp_path / f"{n}.xlsx"))

    count = QUERY_VALUES * 2 + 7
    with Store(tmp_path / "lianxi.db") as store:
        db = store.db
        for n in range(count + 3):  # the last 3 only arrive in the second run
            db.execute(
                "INSERT INTO files (sha256, display, path, size, mtime, received, archive)"
                " VALUES (?, ?, ?, 10, 0, 'then', ?)",
                (f"{n:064x}", f"inbox/{n}.xlsx", f"{n}.xlsx", f"archive/{n}.xlsx"),
            )
        assert record_drops(db, [arrival(n, f"{n}.xlsx") for n in range(count)], "then") == []
        moved = [(f"{n:064x}",) for n in range(0, count, 2)]  # the odd ones wait to be moved
        db.executemany("UPDATE drops SET moved_at = 'then' WHERE sha256 = ?", moved)

        again = [arrival(n, f"{n}.xlsx") for n in range(count + 3)]  # and 3 new contents
        twice = [arrival(1, "转发/1.xlsx"), arrival(count, "转发/新.xlsx")]  # waiting; new
        repeats = record_drops(db, [*again, *twice], "now")
        assert sorted(r.path for r in repeats) == sorted(
            [f"{n}.xlsx" for n in range(0, count, 2)] + ["转发/1.xlsx", "转发/新.xlsx"]
        )
        assert {r.display for r in repeats if r.path == "转发/新.xlsx"} == {f"inbox/{count}.xlsx"}
        made = db.execute("SELECT count(*) FROM drops WHERE received = 'now'").fetchone()[0]
        assert made == len(range(0, count, 2)) + 3 + 2
