"""The whole foreign corpus in one inbox beside valid submissions, run by
`lianxi run`, and every file accounted for *on disk and in the ledger*.

tests/test_corpus.py checks that 回执清单.xlsx lists every file; it does not look at where the
files went (已处理 / 退回 / left in the inbox with a note), at the receipt beside each returned
file, at the ledger, or at whether the valid submissions were counted in 排名.xlsx.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import by_name, make_workspace, roster_rows, sheet_values
from test_corpus import ENTRIES, VALID, fill_corpus_inbox

from pipeline.cli import main
from pipeline.demo.fill import fill_roster
from pipeline.originals import read_original
from pipeline.write import RANKING
from pipeline.write.receipts import RECEIPT_SUFFIX

AS_OF = date(2026, 11, 30)
OWNER = "valid/~$王芳.xlsx"  # the owner file of a workbook open elsewhere: left with a note


@dataclass(frozen=True)
class Ran:
    workspace: Path
    output: str
    originals: dict[str, str]  # inbox-relative path: sha256


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    workspace = make_workspace(tmp_path_factory.mktemp("corpus-inbox"))
    inbox = workspace / "inbox"
    fill_corpus_inbox(inbox)
    fill_roster(roster_rows(list(VALID.values())), inbox / "valid" / "干部名册.xlsx")
    (inbox / OWNER).write_bytes(b"\x0czhangming" + bytes(150))
    hour_ago = time.time() - 3600
    originals = {}
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        os.utime(path, (hour_ago, hour_ago))
        originals[path.relative_to(inbox).as_posix()] = hashlib.sha256(
            path.read_bytes()
        ).hexdigest()
    args = ["run", "-w", str(workspace), "--as-of", AS_OF.isoformat(), "--period", "year-end",
            "--workers", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exception is None and result.exit_code == 0, result.output
    return Ran(workspace, result.output, originals)


def test_no_traceback(ran: Ran) -> None:
    assert "Traceback" not in ran.output and "内部错误" not in ran.output


def test_every_file_is_filed_away_or_left_with_a_note(ran: Ran) -> None:
    inbox = ran.workspace / "inbox"
    places = {"已处理": inbox / "已处理", "退回": inbox / "退回", "left": inbox}
    fates = {
        relative: [where for where, root in places.items() if (root / relative).is_file()]
        for relative in ran.originals
    }
    assert {r: f for r, f in fates.items() if len(f) != 1} == {}
    left = [r for r, f in fates.items() if f == ["left"]]
    for relative in left:
        assert f"跳过：{relative}：" in ran.output, relative
    assert OWNER in left
    for relative, (fate,) in fates.items():
        if fate != "left":
            moved = inbox / fate / relative
            digest = hashlib.sha256(moved.read_bytes()).hexdigest()
            assert digest == ran.originals[relative], relative  # the very bytes dropped
    counted = Counter(f[0] for f in fates.values())
    assert counted["退回"] >= len(ENTRIES) - counted["left"]


def test_every_returned_file_has_a_receipt_beside_it_saying_why(ran: Ran) -> None:
    returned = ran.workspace / "inbox" / "退回"
    files = [p for p in returned.rglob("*") if p.is_file() and not p.name.endswith(RECEIPT_SUFFIX)]
    assert len(files) >= len(ENTRIES) - 1
    missing, empty = [], []
    for path in files:
        receipt = path.with_name(f"{path.stem}{RECEIPT_SUFFIX}")
        if not receipt.is_file():
            missing.append(path.relative_to(returned).as_posix())
        elif len(receipt.read_text(encoding="utf-8").strip()) < 10:
            empty.append(path.relative_to(returned).as_posix())
    assert missing == [] and empty == []


def test_every_file_taken_is_in_the_ledger_and_the_archive(ran: Ran) -> None:
    state = ran.workspace / "state"
    db = sqlite3.connect(state / "lianxi.db")
    try:
        files = dict(db.execute("SELECT sha256, archive FROM files").fetchall())
        drops = Counter(db.execute("SELECT path, sha256 FROM drops").fetchall())
        unmoved = db.execute("SELECT path FROM drops WHERE moved_at IS NULL").fetchall()
    finally:
        db.close()
    inbox = ran.workspace / "inbox"
    taken = {r: s for r, s in ran.originals.items() if not (inbox / r).is_file()}
    assert Counter(taken.items()) == drops  # each drop once, with the content dropped
    assert set(taken.values()) == set(files)  # same content twice: one file
    assert unmoved == []
    for sha256, archived in files.items():
        data, _ = read_original(str(state / archived))
        assert hashlib.sha256(data).hexdigest() == sha256, archived
    (pack,) = (state / "archive").glob("*.zip")  # the run's one pack, which any zip tool opens
    with zipfile.ZipFile(pack) as opened:
        kept = {hashlib.sha256(opened.read(name)).hexdigest() for name in opened.namelist()}
    assert kept == set(files)


def test_the_valid_submissions_are_counted(ran: Ran) -> None:
    out_dir = ran.workspace / "outbox" / f"{AS_OF.year}-年底考核"
    rows = by_name(sheet_values(out_dir / RANKING, "干部排名"))
    assert set(rows) == {name for name, _ in VALID.values()}
    inbox = ran.workspace / "inbox"
    for display in VALID:
        assert (inbox / "已处理" / display).is_file(), display
