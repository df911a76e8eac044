"""`lianxi run`: process the inbox and write the outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from pipeline.cli.options import build_run_options, executor, run_options, scheduler, wait
from pipeline.cli.render import echo_outcomes, progress
from pipeline.inbox import candidates, inbox_dir
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, RunResult
from pipeline.runner import run as run_pipeline


def execute(options: RunOptions) -> RunResult:
    """Run with a progress bar and print the summary; shared by `run` and `demo`."""
    with progress(len(candidates(inbox_dir(options.workspace)))) as shown:
        result = run_pipeline(options, progress=shown.read, read_all=shown.reading_done)
    for note in result.skipped:
        click.echo(f"跳过：{note}")
    for repeat in result.repeats:
        click.echo(f"重复：{repeat}")
    click.echo(f"本次新收到 {result.received} 个文件")
    echo_outcomes(result.outcomes)
    returned = [o for o in result.outcomes if o.status.name == "RETURNED"]
    if returned:
        click.echo(f"退回 {len(returned)} 个文件，回执见 {result.out_dir / '回执'}")
    click.echo(
        f"未报送 {len(result.assessment.missing)} 人，约谈 {len(result.assessment.interviews)} 人"
    )
    click.echo(f"输出目录：{result.out_dir}")
    return result


@click.command(
    help="处理收件箱中的全部文件，生成汇总表、排名和回执。 / Process the inbox and write the outbox."
)
@run_options
@wait
@executor
@scheduler
def run(
    workspace: Path,
    rules: str,
    period: Period | None,
    as_of: date | None,
    year: int | None,
    workers: int | None,
    wait: bool,
    executor: str,
    scheduler: str | None,
) -> None:
    execute(
        build_run_options(
            workspace, rules, period, as_of, year, workers, wait=wait, executor=executor,
            scheduler=scheduler,
        )
    )
