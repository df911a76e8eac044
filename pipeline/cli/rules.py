"""`lianxi rules`: list the rule sets, show one in Chinese, check a rule file."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.options import workspace
from pipeline.rules.loader import available_rule_sets, load_rules
from pipeline.rules.model import Bounds, Requirement, Rule


@click.group(
    invoke_without_command=True,
    help="列出可用的考核规则；`show` 查看规则内容，`check` 检查规则文件。 / List rule sets; show one; check a rule file.",
)
@workspace
@click.pass_context
def rules(ctx: click.Context, workspace: Path) -> None:
    ctx.obj = {**(ctx.obj or {}), "workspace": workspace}
    if ctx.invoked_subcommand is None:
        for rule_id, path in available_rule_sets(workspace / "rules").items():
            rule_set = load_rules(str(path), workspace / "rules")
            click.echo(f"{rule_id}\t{rule_set.document}\t{rule_set.title}\t({path})")


@rules.command(
    help="逐条显示规则：条款原文、统计方法和要求。 / Show every rule with its clause, metric and threshold."
)
@click.argument("rule_id")
@click.pass_context
def show(ctx: click.Context, rule_id: str) -> None:
    rule_set = load_rules(rule_id, ctx.obj["workspace"] / "rules")
    click.echo(f"{rule_set.title}（{rule_set.document}，第 {rule_set.version} 版）")
    click.echo(
        f"参加考核：{'、'.join(rule_set.participants)} 干部（{rule_set.participants_clause}）"
    )
    for rule in rule_set.rules:
        click.echo(f"\n[{rule.id}] {rule.title}：{describe_requirement(rule.required, rule.unit)}")
        click.echo(f"  统计：{describe_metric(rule)}")
        click.echo(f"  适用阶段：{'、'.join(p.value for p in rule.periods)}  权重：{rule.weight:g}")
        click.echo(f"  依据：{rule.clause}")
    caps = "，".join(f"“{g}”不超过 {share:.0%}" for g, share in rule_set.grading.caps)
    click.echo(f"\n等次：{'、'.join(rule_set.grading.grades)}；{caps}（按参加考核人数向下取整）")


@rules.command(
    name="check", help="检查规则文件的格式，指出出错的规则和键。 / Validate a rule file."
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def check_rule_file(ctx: click.Context, path: Path) -> None:
    rule_set = load_rules(str(path), ctx.obj["workspace"] / "rules")
    click.echo(f"{path}：格式正确，共 {len(rule_set.rules)} 条规则")


def describe_bounds(bounds: Bounds | None, unit: str) -> str:
    if bounds is None:
        return "不考核"
    low, high = bounds.minimum, bounds.maximum
    if low is not None and high is not None:
        return f"{low:g}—{high:g} {unit}"
    return f"不少于 {low:g} {unit}" if low is not None else f"不超过 {high:g} {unit}"


def describe_requirement(required: Requirement, unit: str) -> str:
    if required.by is None:
        return describe_bounds(required.default, unit)
    cases = [f"{value}：{describe_bounds(b, unit)}" for value, b in required.cases]
    if required.default is not None:
        cases.append(f"其他：{describe_bounds(required.default, unit)}")
    return f"按{required.by}区分（{'；'.join(cases)}）"


def describe_metric(rule: Rule) -> str:
    metric = rule.metric
    what = {
        "count": "行数",
        "sum": f"“{metric.column}”之和",
        "distinct": f"不同“{metric.column}”的个数",
    }
    where = "，".join(f"{column}为{'/'.join(values)}" for column, values in metric.where)
    until = f"，{metric.date_column}不晚于 {metric.until}" if metric.until else ""
    return f"“{metric.sheet}”中{('（' + where + '）') if where else ''}的{what[metric.kind.value]}{until}"
