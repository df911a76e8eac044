"""`lianxi check FILE…`: print every located problem of each file."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from pipeline.cli.render import echo_problems
from pipeline.runner import check_files


@click.command(
    help="检查一个或多个台账文件，列出每个有问题的单元格；发现问题时退出码为 1。 / Check files and list every located problem; exit 1 if any is found."
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def check(files: tuple[Path, ...]) -> None:
    results = check_files(list(files), as_of=date.today())
    for name, problems in results.items():
        echo_problems(problems)
        if not problems:
            click.echo(f"{name}: 未发现问题")
    sys.exit(1 if any(results.values()) else 0)
