"""`lianxi history [--cadre 姓名] [--unit 单位]`: every version in the ledger and its fate."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from pipeline.cli.options import workspace
from pipeline.ledger import Ledger, Version, require_ledger

HEADERS = ("单位", "姓名", "填报日期", "结果", "文件", "现在位置", "收到时间", "校验码", "说明")


@click.command(
    help="列出账本中每份报送的每个版本及其结果（采用、被替代、退回、撤回）和原件现在的位置。 / List every version in the ledger, its fate and where the original is now."
)
@workspace
@click.option("--cadre", help="只列出此姓名的干部。 / Only this cadre (姓名).")
@click.option("--unit", help="只列出此单位。 / Only this unit (单位).")
def history(workspace: Path, cadre: str | None, unit: str | None) -> None:
    require_ledger(workspace)
    with Ledger(workspace) as ledger:
        versions = ledger.versions(cadre=cadre, unit=unit)
    if not versions:
        click.echo("账本中没有符合条件的记录")
        return
    for line in table(HEADERS, [row(v) for v in versions]):
        click.echo(line)


def row(version: Version) -> tuple[str, ...]:
    notes = []
    if version.superseded_by:
        notes.append(f"被替代为 {version.superseded_by}")
    if version.withdrawn_reason:
        notes.append(f"撤回原因：{version.withdrawn_reason}")
    if version.errors or version.warnings:
        notes.append(f"错误 {version.errors} 项，警告 {version.warnings} 项")
    if len(version.places) > 1:
        notes.append(f"收到 {len(version.places)} 次，内容相同")
    return (
        version.cadre_unit, version.cadre_name, version.fill_date, version.status_text,
        version.display, "、".join(version.places), version.received[:16].replace("T", " "),
        version.sha256[:12], "；".join(notes),
    )  # fmt: skip


def table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Columns aligned for a terminal, counting CJK characters as two columns wide."""
    widths = [max(_width(r[i]) for r in (headers, *rows)) for i in range(len(headers))]
    return ["  ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in (headers, *rows)]  # fmt: skip


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
