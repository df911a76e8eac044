"""`lianxi init DIR`: make a clerk's workspace."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.workspace import init_workspace


@click.command(
    help="建立工作目录：inbox/、outbox/、state/、rules/、模板/ 和使用说明.txt。 / Make a workspace: folders, blank templates and instructions in Chinese."
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    created = init_workspace(directory)
    for path in created:
        click.echo(f"已建立：{path}")
    if not created:
        click.echo(f"{directory} 已是完整的工作目录，未做改动")
    click.echo(
        f"下一步：把干部名册和台账放入 {directory / 'inbox'}，然后运行 lianxi run -w {directory}"
    )
