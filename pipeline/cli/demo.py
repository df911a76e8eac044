"""`lianxi demo [DIR]`: a workspace with realistic sample submissions, run end to end."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from pipeline.cli.run import execute
from pipeline.errors import PipelineError
from pipeline.rules.model import Period
from pipeline.runner import RunOptions

DEMO_YEAR = 2026


@click.command(
    help="生成示例工作目录（三个单位约 30 名干部的台账）并运行一次年底考核。 / Make a demo workspace with sample submissions and run the year-end assessment on it."
)
@click.argument(
    "directory",
    required=False,
    default="lianxi-demo",
    type=click.Path(file_okay=False, path_type=Path),
)
def demo(directory: Path) -> None:
    inbox = directory / "inbox"
    if inbox.exists() and any(inbox.iterdir()):
        raise PipelineError(
            f"{inbox} 已有文件，为免覆盖未做任何改动：请指定一个新目录，如 `lianxi demo 新目录`"
        )
    for sub in ("inbox", "outbox", "state"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    from pipeline.demo.generator import make_demo_inbox  # openpyxl: only for `lianxi demo`

    manifest = make_demo_inbox(inbox, year=DEMO_YEAR)
    click.echo(f"已在 {inbox} 生成 {len(manifest.files)} 个示例文件")
    options = RunOptions(
        directory, period=Period.YEAR_END, as_of=date(DEMO_YEAR, 11, 30), year=DEMO_YEAR
    )
    result = execute(options)
    for path in result.outputs:
        if path.suffix == ".xlsx" and path.parent == result.out_dir:
            click.echo(f"  {path}")
