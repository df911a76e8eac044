"""Named parameters: the numbers and periods a document leaves open, set once per rule file.

A rule refers to one by writing its name with a dollar sign (`every: $work_cycle`,
`min: $talents`); a file that `extends:` another may restate just the value.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.rules.context import Context, check_keys, get, suggest
from pipeline.rules.model import Parameter

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
REFERENCE = "$"


def merge_parameters(parent: Any, child: Any) -> dict[str, Any]:
    """The parent's parameters with the child's restated ones over them, key by key."""
    merged = (
        {k: _as_mapping(v) for k, v in (parent or {}).items()} if isinstance(parent, dict) else {}
    )
    if not isinstance(child, dict):
        return merged if child is None else child
    for name, value in child.items():
        merged[name] = {**merged.get(name, {}), **_as_mapping(value)}
    return merged


def parse_parameters(raw: Any, ctx: Context) -> tuple[Parameter, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ctx.fail("应为“参数名: {value: …, meaning: …, clause: …}”的映射")
    return tuple(_parameter(str(name), value, ctx.at(str(name))) for name, value in raw.items())


def _parameter(name: str, raw: Any, ctx: Context) -> Parameter:
    if not NAME.match(name):
        raise ctx.fail("参数名只能使用小写英文字母、数字和下划线，如 work_cycle")
    spec = _as_mapping(raw)
    check_keys(spec, {"value", "meaning", "clause"}, ctx)
    value = get(spec, "value", ctx)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ctx.at("value").fail(f"“{value}”应为数字或文字")
    return Parameter(name, value, str(spec.get("meaning", "")), str(spec.get("clause", "")))


def substitute(raw: Any, parameters: tuple[Parameter, ...], ctx: Context) -> Any:
    """``raw`` with every "$name" string replaced by that parameter's value."""
    if isinstance(raw, dict):
        return {k: substitute(v, parameters, ctx.at(str(k))) for k, v in raw.items()}
    if isinstance(raw, list):
        return [substitute(v, parameters, ctx) for v in raw]
    if isinstance(raw, str) and raw.startswith(REFERENCE):
        values = {p.name: p.value for p in parameters}
        name = raw[len(REFERENCE) :]
        if name not in values:
            hint = suggest(name, values)
            raise ctx.fail(f"未定义的参数“{raw}”{hint}（请在 parameters: 中定义）")
        return values[name]
    return raw


def _as_mapping(value: Any) -> dict[str, Any]:
    """A parameter restated as its bare value means {value: …}."""
    return value if isinstance(value, dict) else {"value": value}
