"""Parse who a rule applies to and its threshold, which may differ by who the cadre is."""

from __future__ import annotations

from typing import Any

from pipeline.forms.spec import LEDGER
from pipeline.rules.context import Context, check_keys, choice, number, strings
from pipeline.rules.model import CADRE_ATTRIBUTES, Bounds, Requirement, Scope, Who

CASE_SEPARATOR = "、"  # a case key may list several values: "局处级、科级"


def attribute_choices(attribute: str) -> tuple[str, ...]:
    """The values a cadre attribute can take, from the 基本信息 sheet of the template contract."""
    return LEDGER.sheet("基本信息").field(attribute).choices


def parse_requirement(raw: Any, scope: Scope, ctx: Context) -> Requirement:
    if not isinstance(raw, dict):
        raise ctx.fail("应为 {min: …, max: …} 或 {by: 干部类别, cases: …}")
    if "by" not in raw:
        return Requirement(default=_bounds(raw, ctx))
    if scope is Scope.UNIT:
        raise ctx.at("by").fail("单位职责（scope: unit）的要求不能按干部区分")
    return _by(raw, ctx)


def _by(raw: dict[str, Any], ctx: Context) -> Requirement:
    check_keys(raw, {"by", "cases", "default"}, ctx)
    attribute = choice(str(raw["by"]), CADRE_ATTRIBUTES, "可区分要求的干部属性", ctx.at("by"))
    cases = raw.get("cases")
    if not isinstance(cases, dict) or not cases:
        raise ctx.at("cases").fail("应为“取值: {min: …}”的映射")
    parsed = []
    for key, threshold in cases.items():
        inner = ctx.at(f"cases.{key}")
        values = tuple(v.strip() for v in str(key).split(CASE_SEPARATOR))
        for value in values:
            choice(value, attribute_choices(attribute), attribute, inner)
        parsed.append((values, _threshold(threshold, inner)))
    return Requirement(_threshold(raw.get("default"), ctx.at("default")), attribute, tuple(parsed))


def _threshold(raw: Any, ctx: Context) -> Bounds | Requirement | None:
    """None (the rule does not apply), bounds, or a further distinction (`by:`)."""
    if raw is None:
        return None
    if isinstance(raw, dict) and "by" in raw:
        return _by(raw, ctx)
    return _bounds(raw, ctx)


def _bounds(raw: Any, ctx: Context) -> Bounds:
    if not isinstance(raw, dict) or not raw.keys() & {"min", "max"}:
        raise ctx.fail("应为 {min: 数字} 或 {min: 数字, max: 数字}")
    check_keys(raw, {"min", "max"}, ctx)
    low = float(number(raw["min"], ctx.at("min"))) if "min" in raw else None
    high = float(number(raw["max"], ctx.at("max"))) if "max" in raw else None
    if low is not None and high is not None and low > high:
        raise ctx.fail(f"min {low:g} 大于 max {high:g}")
    return Bounds(low, high)


def parse_applies_to(raw: Any, ctx: Context) -> tuple[Who, ...]:
    """`applies_to`: one condition or a list of them (any may match); each condition maps
    cadre attributes to accepted values, all of which must match."""
    if raw is None:
        return ()
    conditions = raw if isinstance(raw, list) else [raw]
    return tuple(_who(c, ctx.at(f"[{i}]") if isinstance(raw, list) else ctx)
                 for i, c in enumerate(conditions))  # fmt: skip


def _who(raw: Any, ctx: Context) -> Who:
    if not isinstance(raw, dict) or not raw:
        raise ctx.fail("应为“干部属性: [取值, …]”的映射，如 {干部类别: [专职, 挂职]}")
    pairs = []
    for attribute, values in raw.items():
        name = choice(str(attribute), CADRE_ATTRIBUTES, "干部属性", ctx.at(str(attribute)))
        allowed = attribute_choices(name)
        pairs.append((name, tuple(choice(v, allowed, name, ctx.at(name)) for v in strings(values))))
    return tuple(pairs)
