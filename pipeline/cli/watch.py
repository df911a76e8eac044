"""`lianxi watch`: process the inbox whenever files arrive, until Ctrl-C."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from pipeline.cli.options import build_run_options, run_options
from pipeline.cli.run import execute
from pipeline.errors import PipelineError
from pipeline.inbox import inbox_dir
from pipeline.rules.model import Period
from pipeline.watch import watch_inbox


@click.command(
    help="监视收件箱：文件放入并写完后自动处理、更新输出；有问题的文件照常退回；按 Ctrl-C 停止。 / Watch the inbox: process files once complete and refresh the outbox; Ctrl-C stops."
)
@run_options
def watch(
    workspace: Path,
    rules: str,
    period: Period | None,
    as_of: date | None,
    year: int | None,
    workers: int | None,
) -> None:
    inbox = inbox_dir(workspace)

    def attempt() -> bool:
        click.echo(f"[{datetime.now():%H:%M:%S}] 处理收件箱")
        options = build_run_options(workspace, rules, period, as_of, year, workers, wait=True)
        try:
            result = execute(options)
        except PipelineError as error:  # e.g. a rule file being edited: say so, keep watching
            click.echo(f"无法运行：{error}", err=True)
            return True
        return any(left.retry for left in result.skipped)

    click.echo(f"正在监视 {inbox}，放入的文件写完后自动处理（按 Ctrl-C 停止）")
    try:
        watch_inbox(inbox, attempt)
    except KeyboardInterrupt:
        click.echo("已停止监视收件箱。")
