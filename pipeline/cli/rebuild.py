"""`lianxi rebuild`: every output again from the ledger alone."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from pipeline.cli.options import build_run_options, run_options, wait
from pipeline.cli.render import echo_outcomes
from pipeline.rules.model import Period
from pipeline.runner import rebuild as rebuild_outputs


@click.command(
    help="只根据账本重新生成全部输出（汇总表、排名、回执），不读取也不移动收件箱中的文件。 / Rebuild every output from the ledger alone, without reading or moving inbox files."
)
@run_options
@wait
def rebuild(
    workspace: Path,
    rules: str,
    period: Period | None,
    as_of: date | None,
    year: int | None,
    workers: int | None,
    wait: bool,
) -> None:
    options = build_run_options(workspace, rules, period, as_of, year, workers, wait=wait)
    result = rebuild_outputs(options)
    echo_outcomes(result.outcomes)
    click.echo(f"输出目录：{result.out_dir}")
