"""Receipts name every problem with its location; 回执清单 accounts for every file; the front door."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_write_support import formula_cells, sheet_values, tiny_assessment

from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Location, Problem
from pipeline.write import write_outputs
from pipeline.write.files import write_texts_atomic
from pipeline.write.receipts import (
    ENCODING,
    receipt_names,
    write_receipt,
    write_receipt_index,
    write_receipts,
)

FILE = "inbox/张明.xlsx"
ERROR_A = Problem(
    "date-out-of-year",
    Location(FILE, "活动记录", "A12"),
    found="2025-12-30",
    params={"column": "日期", "expected": "2026"},
)
ERROR_B = Problem("value-required", Location(FILE, "基本信息", "B2"), params={"column": "单位"})
WARNING = Problem("number-too-large", Location(FILE, "活动记录", "E7"), found="=1+1\n2",
                  params={"column": "青年人数", "expected": "500"})  # fmt: skip
RETURNED = FileOutcome(FILE, "ab" * 32, Status.RETURNED, name="张明", unit="渭滨区团委",
                       fill_date="2026-11-20", problems=(WARNING, ERROR_A, ERROR_B))  # fmt: skip
WARNED = FileOutcome("inbox/李华.xlsx", "cd" * 32, Status.ACCEPTED_WITH_WARNINGS,
                     problems=(Problem("fill-date-missing", Location("inbox/李华.xlsx", "基本信息", "B7")),))  # fmt: skip
CLEAN = FileOutcome("inbox/王五.xlsx", "ef" * 32, Status.ACCEPTED, name="王五")
OLD = FileOutcome("inbox/王五-旧.xlsx", "12" * 32, Status.SUPERSEDED, superseded_by=CLEAN.file)


def read(path: Path) -> list[str]:
    return path.read_text(encoding=ENCODING).splitlines()


def test_receipt_lists_each_problem_with_its_location_errors_first(tmp_path: Path) -> None:
    path = write_receipt(RETURNED, tmp_path / "回执")
    assert path == tmp_path / "回执" / "张明.回执.txt"
    lines = read(path)
    assert f"文件：{FILE}" in lines
    assert {"姓名：张明", "单位：渭滨区团委", "处理结果：退回"} <= set(lines)
    first_a, first_b = lines.index(str(ERROR_A)), lines.index(str(ERROR_B))
    assert lines[first_a].startswith("inbox/张明.xlsx:活动记录!A12: 错误 date-out-of-year: ")
    assert lines[first_b].startswith("inbox/张明.xlsx:基本信息!B2: 错误 value-required: ")
    warning = next(i for i, line in enumerate(lines) if "活动记录!E7" in line)
    assert (
        lines.index("错误（2 项）：") < first_a < first_b < lines.index("警告（1 项）：") < warning
    )
    assert lines[-1] == "请按提示修改后重新报送整本台账。"


def test_a_multi_line_value_stays_on_its_problem_line(tmp_path: Path) -> None:
    lines = read(write_receipt(RETURNED, tmp_path))
    warning = [line for line in lines if "活动记录!E7" in line]
    assert len(warning) == 1 and "=1+1 2" in warning[0] and warning[0].endswith("）")


def test_receipts_of_files_sharing_a_stem_are_told_apart() -> None:
    twin = FileOutcome("inbox/县2/张明.xlsx", "99" * 32, Status.RETURNED)
    same_bytes = FileOutcome("inbox/县3/张明.xls", "99" * 32, Status.RETURNED)
    names = receipt_names([RETURNED, twin, WARNED, same_bytes])
    assert names == ["张明.abababab.回执.txt", "张明.99999999.回执.txt", "李华.回执.txt",
                     "张明.99999999-2.回执.txt"]  # fmt: skip


def test_a_progress_note_never_takes_the_name_of_a_receipt_with_problems(tmp_path: Path) -> None:
    """The 批注回执 are named before the assessment adds 进度预警 receipts: their names pair."""
    noted = FileOutcome("inbox/县2/张明.xlsx", "77" * 32, Status.ACCEPTED, name="张明")
    notes = {noted.file: ["进度预警：理论宣讲还差 2 次"]}

    paths = write_receipts([noted, RETURNED], tmp_path, notes=notes)

    assert [p.name for p in paths] == ["张明.回执.txt", "张明.77777777.回执.txt"]
    assert "退回" in paths[0].read_text(encoding=ENCODING)
    assert "进度预警" in paths[1].read_text(encoding=ENCODING)
    assert receipt_names([noted], taken=["张明.回执.txt"]) == ["张明.77777777.回执.txt"]


def test_receipt_index_has_a_row_per_file_and_per_problem(tmp_path: Path) -> None:
    path = write_receipt_index([RETURNED, WARNED, CLEAN, OLD], tmp_path / "回执清单.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["回执清单", "问题明细"]
    files = sheet_values(workbook["回执清单"])
    assert files[0] == [
        "文件",
        "姓名",
        "单位",
        "填报日期",
        "处理结果",
        "错误数",
        "警告数",
        "被替代为",
    ]
    assert files[1] == [FILE, "张明", "渭滨区团委", "2026-11-20", "退回", 2, 1, None]
    assert files[4][4:] == ["已被新版本替代", 0, 0, CLEAN.file]
    problems = sheet_values(workbook["问题明细"])
    assert problems[0] == [
        "文件",
        "工作表",
        "单元格",
        "等级",
        "代码",
        "说明",
        "发现的值",
        "修改提示",
    ]
    assert [(r[1], r[2], r[3]) for r in problems[1:]] == [
        ("活动记录", "A12", "错误"), ("基本信息", "B2", "错误"), ("活动记录", "E7", "警告"),
        ("基本信息", "B7", "警告"),
    ]  # fmt: skip
    assert problems[3][6] == "=1+1\n2"
    assert formula_cells(path) == []


def test_write_outputs_writes_everything_and_only_needed_receipts(tmp_path: Path) -> None:
    out = tmp_path / "outbox" / "2026-年底考核"
    stale = out / "回执" / "旧文件.回执.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("上次运行留下的回执", encoding="utf-8")
    run_info = {"files": 4, "returned": 1, "阶段": "年底考核"}
    paths = write_outputs(tiny_assessment(), [RETURNED, WARNED, CLEAN, OLD], out,
                          run_info=run_info, filing_unit="团市委")  # fmt: skip
    names = sorted(p.relative_to(out).as_posix() for p in paths)
    assert names == ["run.json", "回执/张明.回执.txt", "回执/李华.回执.txt", "回执清单.xlsx",
                     "排名.xlsx", "汇总表.xlsx", "通报.html"]  # fmt: skip
    assert not stale.exists()
    assert json.loads((out / "run.json").read_text(encoding="utf-8")) == run_info
    assert "阶段" in (out / "run.json").read_text(encoding="utf-8")
    assert not list(out.rglob("*.tmp"))


def test_texts_are_written_together_and_unchanged_files_are_kept(tmp_path: Path) -> None:
    kept, changed, new = tmp_path / "甲.txt", tmp_path / "乙.txt", tmp_path / "sub" / "丙.txt"
    kept.write_text("同", encoding="utf-8")
    changed.write_text("旧", encoding="utf-8")
    before = kept.stat().st_mtime_ns, kept.stat().st_ino

    paths = write_texts_atomic({kept: "同", changed: "新", new: "丙"})

    assert paths == [kept, changed, new]
    assert (kept.stat().st_mtime_ns, kept.stat().st_ino) == before
    assert [p.read_text(encoding="utf-8") for p in paths] == ["同", "新", "丙"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub", "丙.txt", "乙.txt", "甲.txt"]


def test_a_failed_batch_replaces_nothing_and_leaves_no_temporaries(tmp_path: Path) -> None:
    first = tmp_path / "甲.txt"
    first.write_text("旧", encoding="utf-8")
    (tmp_path / "文件").write_text("不是文件夹", encoding="utf-8")

    with pytest.raises(OSError):
        write_texts_atomic({first: "新", tmp_path / "文件" / "乙.txt": "乙"})

    assert first.read_text(encoding="utf-8") == "旧"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["文件", "甲.txt"]
