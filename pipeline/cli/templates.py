"""The ``templates`` command: write the blank submission templates."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.forms.build import build_all


@click.command(
    help="生成空白报送模板（联系青年工作台账.xlsx、干部名册.xlsx）。 / Write the blank templates."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="模板的输出目录。 / Directory to write the templates into.",
)
def templates(out_dir: Path) -> None:
    """Write every template into ``out_dir`` and list the files written."""
    try:
        paths = build_all(out_dir)
    except OSError as error:
        raise click.ClickException(
            f"无法写入模板：{error}（提示：检查输出目录是否可写）"
        ) from error
    for path in paths:
        click.echo(f"已生成：{path}")
