"""The `lianxi` command line: click glue over the Python API, nothing more."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from pipeline import __version__
from pipeline.cli.check import check
from pipeline.cli.demo import demo
from pipeline.cli.history import history
from pipeline.cli.init import init
from pipeline.cli.rebuild import rebuild
from pipeline.cli.rules import rules
from pipeline.cli.run import run
from pipeline.cli.templates import templates
from pipeline.cli.watch import watch
from pipeline.cli.withdraw import withdraw
from pipeline.errors import PipelineError


class _Group(click.Group):
    """Turns a run that cannot go on into a Chinese message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipelineError as error:
            click.echo(f"无法运行：{error}", err=True)
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except Exception:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                "内部错误：处理中断。请加 --debug 重新运行以查看详细信息，并把输出发给维护人员。",
                err=True,
            )
            click.echo(traceback.format_exc().splitlines()[-1], err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lianxi")
@click.option("--debug", is_flag=True, help="出错时显示完整的调用栈。 / Show full tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """lianxi：团干部密切联系青年工作台账的收集、校验、考核与汇总。

    lianxi: collect, validate and assess the cadres' youth-contact workbooks, and write the
    summary and ranking workbooks for leadership.
    """
    ctx.obj = {"debug": debug}


for command in (run, check, demo, templates, rules, init, history, withdraw, rebuild, watch):
    main.add_command(command)
