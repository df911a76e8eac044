"""`lianxi rules`: list the rule sets, show one in Chinese, check a rule file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from pipeline.cli.options import workspace
from pipeline.errors import RuleFileError
from pipeline.resources import rules_dir
from pipeline.rules.loader import available_rule_sets, load_rules
from pipeline.rules.model import Bounds, Condition, Metric, MetricKind, Requirement, Rule, Scope

K = MetricKind
FIGURES = {
    K.COUNT: "行数",
    K.CADRES: "有记录的干部人数",
    K.DAYS: "所覆盖的整天数（每行从日期起按“时长（天）”计整天，重叠的日子只计一次）",
}


@click.group(
    invoke_without_command=True,
    help="列出可用的考核规则（内置的和工作目录 rules/ 中的）；`show` 查看规则内容，`check` 检查规则文件。 / List rule sets; show one; check a rule file.",
)
@workspace
@click.pass_context
def rules(ctx: click.Context, workspace: Path) -> None:
    ctx.obj = {**(ctx.obj or {}), "workspace": workspace}
    if ctx.invoked_subcommand is None:
        for rule_id, path in available_rule_sets(workspace / "rules").items():
            origin = "内置" if path.resolve().parent == rules_dir().resolve() else "工作目录"
            try:
                rule_set = load_rules(str(path), workspace / "rules")
            except RuleFileError as error:  # one broken file does not hide the others
                click.echo(
                    f"{rule_id}\t（有错误，请运行 lianxi rules check）\t{error}\t{origin}\t({path})"
                )
                continue
            click.echo(f"{rule_id}\t{rule_set.document}\t{rule_set.title}\t{origin}\t({path})")


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
    for p in rule_set.parameters:
        click.echo(f"参数 ${p.name} = {p.value}：{p.meaning}（依据：{p.clause}）")
    for rule in rule_set.rules:
        click.echo(f"\n[{rule.id}] {rule.title}：{describe_requirement(rule)}")
        click.echo(f"  统计：{describe_metric(rule.metric)}")
        click.echo(f"  适用：{describe_who(rule)}")
        click.echo(f"  适用阶段：{'、'.join(p.value for p in rule.periods)}  权重：{rule.weight:g}"
                   f"{describe_timing(rule)}")  # fmt: skip
        click.echo(f"  依据：{rule.clause}")
    grading = rule_set.grading
    caps = "，".join(f"“{g}”不超过 {share:.0%}" for g, share in grading.caps) or "不设比例上限"
    interview = f"；“{grading.interview}”者约谈" if grading.interview else ""
    click.echo(f"\n等次：{'、'.join(grading.grades)}；{caps}（按参加考核人数向下取整）{interview}")


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
        return f"{low:g} {unit}" if low == high else f"{low:g}—{high:g} {unit}"
    return f"不少于 {low:g} {unit}" if low is not None else f"不超过 {high:g} {unit}"


def describe_requirement(rule: Rule) -> str:
    metric = rule.metric
    if metric.kind is K.COVERAGE and metric.every is not None:
        return f"截至统计截止日已结束的每个{metric.every.label}都做到"
    if rule.required is None:
        return "不得出现（出现一次即未达标，逐条列入违规记录）"
    return _requirement(rule.required, rule.unit)


def _requirement(required: Requirement, unit: str) -> str:
    leaves = required.leaves()
    if required.by is None:
        return describe_bounds(leaves[0][1], unit)
    cases = "；".join(f"{label}：{describe_bounds(bounds, unit)}" for label, bounds in leaves)
    return f"按{required.by}区分（{cases}）"


def describe_metric(metric: Metric) -> str:
    """E.g. "“活动记录”中（活动类型为驻点；日期在 04-01 至 11-30 之间）所覆盖的整天数"."""
    if metric.kind is K.COVERAGE and metric.every is not None:
        need = (f"达到本单位干部的 {metric.share:.0%}" if metric.share
                else f"不少于 {metric.at_least:g} ")  # fmt: skip
        inner = describe_metric(_inner(metric))
        return f"按{metric.every.label}统计：{inner}{need}的{metric.every.label}数"
    if metric.kind is K.PER_POINT:
        return f"每个基层联系点（按“联系点”列）{describe_metric(_inner(metric))}，取最差的联系点"
    filters = [*(_condition(c) for c in metric.where), *_window(metric)]
    scope = f"（{'；'.join(filters)}）" if filters else ""
    return f"“{metric.sheet}”中{scope}{_figure(metric)}"


def describe_who(rule: Rule) -> str:
    if rule.scope is Scope.UNIT:
        return "单位职责：按单位统计本单位全部干部的记录和单位报表"
    if not rule.applies_to:
        return "全部参加考核的干部"
    conditions = ["且".join(f"{name}为{'、'.join(values)}" for name, values in who)
                  for who in rule.applies_to]  # fmt: skip
    return "；或 ".join(conditions) + " 的干部"


def describe_timing(rule: Rule) -> str:
    parts = []
    if rule.due:
        parts.append(f"期限：{rule.due} 前（此前不考核）")
    if rule.prorate:
        parts.append("中期评估按已过时间折算")
    return "  " + "  ".join(parts) if parts else ""


def _inner(metric: Metric) -> Metric:
    return replace(metric, kind=metric.of, every=None)


def _figure(metric: Metric) -> str:
    columns = "+".join(f"“{c}”" for c in metric.columns)
    if metric.kind is K.SUM:
        return f"{columns}之和"
    if metric.kind is K.DISTINCT:
        return f"不同{columns}的个数"
    if metric.kind is K.STAYS:
        return f"连续不少于 {metric.min_days:g} 天的驻留次数（一行或日期相连的几行）"
    if metric.kind is K.LATEST:
        return f"最近一个月所报{columns}（多行取最低）"
    if metric.kind is K.PROHIBITION:
        limit = f"{columns}之和超过 {metric.above:g} 的" if metric.above is not None else ""
        return f"{limit}行（每行一次违规）"
    return FIGURES[metric.kind]


def _condition(condition: Condition) -> str:
    if condition.values:
        return f"{condition.column}为{'/'.join(condition.values)}"
    bounds = [f"≥{condition.minimum:g}" if condition.minimum is not None else "",
              f"≤{condition.maximum:g}" if condition.maximum is not None else ""]  # fmt: skip
    return f"{condition.column}{''.join(bounds) or '已填写'}"


def _window(metric: Metric) -> list[str]:
    if not (metric.since or metric.until):
        return []
    start, end = metric.since or "01-01", metric.until or "12-31"
    return [f"{metric.date_column}在 {start} 至 {end} 之间"]
