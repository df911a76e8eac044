"""Options shared by several commands, each defined once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from pipeline.ingest.executors import EXECUTORS
from pipeline.rules.loader import DEFAULT_RULES
from pipeline.rules.model import Period
from pipeline.runner import RunOptions


def _parse_period(ctx: click.Context, param: click.Parameter, value: str | None) -> Period | None:
    if value is None:
        return None
    try:
        return Period.parse(value)
    except ValueError:
        raise click.BadParameter(
            f"“{value}”不是考核阶段：请用 年初报备 / 中期评估 / 年底考核（或 filing / mid-year / year-end）"
        ) from None


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}”不是日期：请写成 2026-11-30 的形式") from None


workspace = click.option(
    "--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
    help="工作目录，内含 inbox/、outbox/、state/ 和可选的 rules/。 / Workspace holding inbox/, outbox/, state/ and optional rules/.",
)  # fmt: skip
rules = click.option(
    "--rules", "-r", default=DEFAULT_RULES, show_default=True,
    help="规则编号或规则文件路径（见 `lianxi rules`）。 / Rule set id or path to a rule file.",
)  # fmt: skip
period = click.option(
    "--period", "-p", callback=_parse_period,
    help="考核阶段：年初报备|中期评估|年底考核（filing|mid-year|year-end）；默认按统计截止日推断。 / Assessment period; inferred from --as-of by default.",
)  # fmt: skip
as_of = click.option(
    "--as-of", callback=_parse_date,
    help="统计截止日，如 2026-11-30；默认今天。 / Cut-off date (default: today).",
)  # fmt: skip
year = click.option(
    "--year", type=click.IntRange(2000, 2100),
    help="考核年度；默认为统计截止日所在年份。 / Assessment year (default: the as-of date's year).",
)  # fmt: skip
workers = click.option(
    "--workers", type=click.IntRange(1, 64),
    help="并行读取文件的进程数；默认为 CPU 核数。 / Reader processes (default: CPU count).",
)  # fmt: skip


executor = click.option(
    "--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
    help="读取文件的方式：本机进程（local）或 dask 集群（dask，需 --scheduler）。 / Read workbooks in local processes or on a dask.distributed cluster.",
)  # fmt: skip
scheduler = click.option(
    "--scheduler", metavar="ADDRESS",
    help="dask 调度器地址，如 tcp://10.0.0.5:8786（与 --executor dask 同用）。 / The dask scheduler's address, with --executor dask.",
)  # fmt: skip
wait = click.option(
    "--wait", is_flag=True,
    help="另一个 lianxi 正在处理此工作目录时排队等待，而不是立即退出。 / Wait for another run on the workspace to end instead of refusing.",
)  # fmt: skip


def build_run_options(
    workspace: Path, rules: str, period: Period | None, as_of: date | None, year: int | None,
    workers: int | None, *, wait: bool = False, executor: str = "local", scheduler: str | None = None,
) -> RunOptions:  # fmt: skip
    """RunOptions from the parsed `run_options` (and `--wait`, `--executor`), defaults filled in."""
    return RunOptions(
        workspace, rules, period, as_of=as_of or date.today(), year=year,
        workers=workers or RunOptions.default_workers(), wait=wait, executor=executor,
        scheduler=scheduler,
    )  # fmt: skip


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that runs the pipeline."""
    for option in reversed((workspace, rules, period, as_of, year, workers)):
        command = option(command)
    return command
