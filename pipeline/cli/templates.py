"""The ``templates`` command: write the blank submission templates."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import workspace
from pipeline.forms.build import build_all


@click.command(
    help="生成空白报送模板（联系青年工作台账.xlsx、干部名册.xlsx）；--prefill 年度 为每名干部生成预填的新年度台账。 / Write the blank templates, or with --prefill next year's ledgers prefilled per cadre."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="输出目录；默认为当前目录，预填时为 outbox/{年度}-预填。 / Output directory (default: . or outbox/{YEAR}-预填).",
)
@click.option(
    "--prefill", type=click.IntRange(2000, 2100), metavar="YEAR",
    help="按每名干部最近一次被采用的台账，预填该年度的新台账。 / Prefill YEAR's ledger per cadre from their last accepted one.",
)  # fmt: skip
@workspace
def templates(out_dir: Path | None, prefill: int | None, workspace: Path) -> None:
    """Write every template (or every prefilled ledger) and list the files written."""
    try:
        if prefill is not None:
            from pipeline.prefill import prefill as prefill_ledgers  # openpyxl: only here

            paths = prefill_ledgers(workspace, prefill, out_dir)
        else:
            paths = build_all(out_dir or Path("."))
    except OSError as error:
        raise click.ClickException(
            f"无法写入模板：{error}（提示：检查输出目录是否可写）"
        ) from error
    for path in paths:
        click.echo(f"已生成：{path}")
