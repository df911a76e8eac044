"""`lianxi withdraw FILE_OR_SHA --reason …`: withdraw one version of a submission."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import wait, workspace
from pipeline.ledger import Ledger, require_ledger, workspace_lock


def _reason(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter('请写明撤回原因，如 --reason "填错单位，已重新报送"')
    return value.strip()


@click.command(
    help="撤回账本中的一个版本（文件路径、`lianxi history` 列出的文件名或校验码），注明原因；下次 run 或 rebuild 时输出随之更新。 / Withdraw one version (by file, listed name or checksum) with a reason; outputs change at the next run or rebuild."
)
@click.argument("file_or_sha")
@click.option("--reason", required=True, callback=_reason, help="撤回原因。 / Why it is withdrawn.")
@workspace
@wait
def withdraw(file_or_sha: str, reason: str, workspace: Path, wait: bool) -> None:
    require_ledger(workspace)
    with workspace_lock(workspace, wait=wait), Ledger(workspace) as ledger:
        version = ledger.withdraw(file_or_sha, reason)
    who = " ".join(filter(None, (version.cadre_unit, version.cadre_name)))
    click.echo(f"已撤回 {version.display}{f'（{who}）' if who else ''}：{reason}")
    click.echo("请运行 `lianxi rebuild` 或 `lianxi run` 更新输出。")
