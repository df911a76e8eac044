"""The command line: help everywhere (and in the README), exit codes, Chinese errors."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.cli.render import PROGRESS_THRESHOLD, READING_DONE
from pipeline.resources import templates_dir

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_has_bilingual_help_and_is_documented(
    name: str, command: click.Command
) -> None:
    assert (
        command.help
        and re.search(r"[\u4e00-\u9fff]", command.help)
        and re.search(r"[A-Za-z]{4}", command.help)
    )
    assert f"lianxi {name}" in README.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output


def test_check_exit_codes(tmp_path: Path) -> None:
    blank = templates_dir() / "联系青年工作台账.xlsx"
    result = CliRunner().invoke(main, ["check", str(blank)])
    assert result.exit_code == 1  # a blank ledger lacks 姓名, 单位, 干部类别, 年度
    assert "基本信息!B1: 错误 value-required" in result.output
    roster = templates_dir() / "干部名册.xlsx"
    assert CliRunner().invoke(main, ["check", str(roster)]).exit_code == 0


def test_run_without_an_inbox_says_so_in_chinese(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "找不到收件箱目录" in result.output
    assert "Traceback" not in result.output


def test_bad_period_is_explained() -> None:
    result = CliRunner().invoke(main, ["run", "--period", "年中"])
    assert result.exit_code == 2 and "不是考核阶段" in result.output


def test_rules_show_prints_clauses() -> None:
    result = CliRunner().invoke(main, ["rules", "show", "baoji-2018"])
    assert result.exit_code == 0
    assert "[lectures] 理论宣讲和主题团课：不少于 4 次" in result.output
    assert "依据：三、3.（1）" in result.output


def test_run_on_an_empty_inbox_or_a_lone_roster_completes(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    args = ["run", "--workspace", str(tmp_path), "--as-of", "2026-11-30", "--workers", "1"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tmp_path / "inbox" / "干部名册.xlsx").write_bytes((templates_dir() / "干部名册.xlsx").read_bytes())
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "outbox" / "2026-年底考核" / "排名.xlsx").is_file()


def test_a_run_says_when_reading_is_done_and_the_rest_is_under_way(tmp_path: Path) -> None:
    """Over a few files a bar shows the reading; after it, a line says grading and writing
    go on (seconds at a province's scale) until the summary is printed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ledger = (templates_dir() / "联系青年工作台账.xlsx").read_bytes()
    args = ["run", "--workspace", str(tmp_path), "--as-of", "2026-11-30", "--workers", "1"]
    for n in range(PROGRESS_THRESHOLD):
        (inbox / f"台账{n}.xlsx").write_bytes(ledger + bytes(n))  # distinct contents
    few = CliRunner().invoke(main, args)
    assert few.exit_code == 0, few.output
    assert "读取文件" not in few.output and READING_DONE not in few.output
    for n in range(PROGRESS_THRESHOLD + 1):
        (inbox / f"新台账{n}.xlsx").write_bytes(ledger + bytes(10 + n))
    many = CliRunner().invoke(main, args)
    assert many.exit_code == 0, many.output
    bar, done, summary = (many.output.find(t) for t in ("读取文件", READING_DONE, "本次新收到"))
    assert 0 <= bar < done < summary
