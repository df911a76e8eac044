"""Reading a rule file's values with their place in the file, so every error is located."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from pipeline.errors import RuleFileError

E = TypeVar("E", bound=Enum)


class Context:
    """Where in the file we are, so every error names the file, the rule and the key path."""

    def __init__(self, path: Path, rule: str = "", key: str = "") -> None:
        self.path, self.rule, self.key = path, rule, key

    def at(self, key: str) -> Context:
        return Context(self.path, self.rule, f"{self.key}.{key}" if self.key else key)

    def in_rule(self, rule_id: str) -> Context:
        return Context(self.path, rule_id, "")

    def fail(self, reason: str) -> RuleFileError:
        where = [f"规则 {self.rule}" if self.rule else "", f"键 {self.key}" if self.key else ""]
        located = "，".join(w for w in where if w)
        return RuleFileError(f"规则文件 {self.path}：{located + '：' if located else ''}{reason}")


def get(raw: dict[str, Any], key: str, ctx: Context) -> Any:
    if key not in raw or raw[key] is None:
        raise ctx.at(key).fail("缺少必填的键")
    return raw[key]


def mapping(raw: dict[str, Any], key: str, ctx: Context) -> dict[str, Any]:
    value = get(raw, key, ctx)
    if not isinstance(value, dict):
        raise ctx.at(key).fail("应为键值映射")
    return value


def listing(raw: dict[str, Any], key: str, ctx: Context) -> list[Any]:
    value = get(raw, key, ctx)
    if not isinstance(value, list):
        raise ctx.at(key).fail("应为列表")
    return value


def strings(raw: Any) -> list[str]:
    """One value or a list of values, as text."""
    return [str(v) for v in (raw if isinstance(raw, list) else [raw])]


def number(raw: Any, ctx: Context, cast: Callable[[Any], Any] = float) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ctx.fail(f"“{raw}”应为数字")
    return cast(raw)


def positive(raw: Any, ctx: Context) -> float:
    value = float(number(raw, ctx))
    if value <= 0:
        raise ctx.fail(f"“{raw}”应为大于 0 的数字")
    return value


def day(raw: Any, ctx: Context) -> str:
    text = str(raw)
    month, _, dom = text.partition("-")
    if not (month.isdigit() and dom.isdigit() and 1 <= int(month) <= 12 and 1 <= int(dom) <= 31):
        raise ctx.fail(f'“{text}”应为 "MM-DD" 形式的月日，如 "10-31"')
    return f"{int(month):02d}-{int(dom):02d}"


def member(enum: type[E], raw: Any, ctx: Context) -> E:
    values = [e.value for e in enum]
    if raw not in values:
        raise ctx.fail(f"“{raw}”不是可用的取值（{'、'.join(values)}）{suggest(str(raw), values)}")
    return enum(raw)


def choice(value: str, allowed: Iterable[str], what: str, ctx: Context) -> str:
    options = list(allowed)
    if value not in options:
        raise ctx.fail(f"“{value}”不是{what}{suggest(value, options)}")
    return value


def check_keys(raw: dict[str, Any], allowed: Iterable[str], ctx: Context) -> None:
    known = set(allowed)
    for key in raw:
        if key not in known:
            raise ctx.at(str(key)).fail(f"未知的键{suggest(str(key), known)}")


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.5)
    return f"，是否应为“{close[0]}”？" if close else ""
