"""Load rule files (YAML) into frozen models, refusing anything malformed with a located reason."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import RuleFileError
from pipeline.forms.spec import LEDGER
from pipeline.resources import rules_dir
from pipeline.rules.model import (
    Bounds,
    GradeBand,
    Grading,
    Metric,
    MetricKind,
    Period,
    PeriodSpec,
    Requirement,
    Rule,
    RuleSet,
)

TOP_KEYS = {"id", "title", "document", "version", "source", "extends", "participants",
            "periods", "grading", "rules"}  # fmt: skip
RULE_KEYS = {"id", "title", "clause", "metric", "required", "weight", "periods", "prorate",
             "due", "unit"}  # fmt: skip
METRIC_KEYS = {"kind", "sheet", "column", "where", "date_column", "until"}
GRADING_KEYS = {"bands", "caps", "interview", "tie_breakers", "clause", "periods"}
REQUIREMENT_ATTRIBUTES = {"干部类别"}


class _Context:
    """Where in the file we are, so every error names the file, the rule and the key path."""

    def __init__(self, path: Path, rule: str = "", key: str = "") -> None:
        self.path, self.rule, self.key = path, rule, key

    def at(self, key: str) -> _Context:
        return _Context(self.path, self.rule, f"{self.key}.{key}" if self.key else key)

    def in_rule(self, rule_id: str) -> _Context:
        return _Context(self.path, rule_id, "")

    def fail(self, reason: str) -> RuleFileError:
        where = [f"规则 {self.rule}" if self.rule else "", f"键 {self.key}" if self.key else ""]
        located = "，".join(w for w in where if w)
        return RuleFileError(f"规则文件 {self.path}：{located + '：' if located else ''}{reason}")


def available_rule_sets(workspace_rules: Path | None = None) -> dict[str, Path]:
    """Rule ids to files: the bundled ones, overridden by a workspace's own `rules/`."""
    found = {p.stem: p for p in sorted(rules_dir().glob("*.yaml"))}
    if workspace_rules is not None and workspace_rules.is_dir():
        found.update({p.stem: p for p in sorted(workspace_rules.glob("*.yaml"))})
    return found


def load_rules(id_or_path: str, workspace_rules: Path | None = None) -> RuleSet:
    """Load a rule set by id (bundled or in the workspace) or by path."""
    known = available_rule_sets(workspace_rules)
    path = Path(id_or_path)
    if id_or_path in known:
        path = known[id_or_path]
    elif not path.is_file():
        raise RuleFileError(f"找不到规则“{id_or_path}”{_suggest(id_or_path, known)}")
    return _build(path, _merged(path, known, seen=()))


def _merged(path: Path, known: Mapping[str, Path], seen: tuple[Path, ...]) -> dict[str, Any]:
    """The file's mapping with `extends:` resolved: the child overrides, rules merge by id."""
    data = _read_yaml(path)
    parent_id = data.pop("extends", None)
    if parent_id is None:
        return data
    if parent_id not in known or known[parent_id] in (*seen, path):
        reason = (
            "循环继承" if parent_id in known else f"继承的规则不存在{_suggest(parent_id, known)}"
        )
        raise _Context(path, key="extends").fail(f"“{parent_id}”：{reason}")
    parent = _merged(known[parent_id], known, (*seen, path))
    rules = {r.get("id"): r for r in parent.get("rules", [])}
    rules.update({r.get("id"): r for r in data.pop("rules", []) if isinstance(r, dict)})
    return {**parent, **data, "rules": list(rules.values())}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _Context(path).fail(f"无法读取或不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise _Context(path).fail("顶层应为键值映射")
    return data


def _build(path: Path, data: dict[str, Any]) -> RuleSet:
    ctx = _Context(path)
    _check_keys(data, TOP_KEYS - {"extends"}, ctx)
    participants = _mapping(data, "participants", ctx)
    rules = tuple(_rule(r, ctx.at(f"rules[{i}]")) for i, r in enumerate(_list(data, "rules", ctx)))
    _check_unique_ids(rules, ctx)
    grading = _grading(_mapping(data, "grading", ctx), ctx.at("grading"), {r.id for r in rules})
    return RuleSet(
        id=str(_get(data, "id", ctx)),
        title=str(_get(data, "title", ctx)),
        document=str(data.get("document", "")),
        version=_number(data.get("version", 1), ctx.at("version"), int),
        source=str(data.get("source", "")),
        participants=tuple(_choices(participants, "categories", ctx.at("participants"))),
        participants_clause=str(participants.get("clause", "")),
        periods=_periods(_mapping(data, "periods", ctx), ctx.at("periods")),
        grading=grading,
        rules=rules,
    )


def _rule(raw: Any, ctx: _Context) -> Rule:
    if not isinstance(raw, dict) or "id" not in raw:
        raise ctx.fail("每条规则应为映射，且必须有 id")
    ctx = ctx.in_rule(str(raw["id"]))
    _check_keys(raw, RULE_KEYS, ctx)
    return Rule(
        id=str(raw["id"]),
        title=str(_get(raw, "title", ctx)),
        clause=str(_get(raw, "clause", ctx)),
        metric=_metric(_mapping(raw, "metric", ctx), ctx.at("metric")),
        required=_requirement(_get(raw, "required", ctx), ctx.at("required")),
        weight=_number(raw.get("weight", 1), ctx.at("weight"), float),
        periods=tuple(_period(p, ctx.at("periods")) for p in raw.get("periods", ["中期评估", "年底考核"])),
        prorate=bool(raw.get("prorate", True)),
        due=_day(raw["due"], ctx.at("due")) if "due" in raw else None,
        unit=str(raw.get("unit", "")),
    )  # fmt: skip


def _metric(raw: dict[str, Any], ctx: _Context) -> Metric:
    _check_keys(raw, METRIC_KEYS, ctx)
    kind = _enum(MetricKind, _get(raw, "kind", ctx), ctx.at("kind"))
    sheet_name = str(_get(raw, "sheet", ctx))
    sheets = {s.name: s for s in LEDGER.sheets if not s.key_value}
    if sheet_name not in sheets:
        raise ctx.at("sheet").fail(f"未知工作表“{sheet_name}”{_suggest(sheet_name, sheets)}")
    columns = sheets[sheet_name].field_names
    column = raw.get("column")
    if kind is not MetricKind.COUNT and column is None:
        raise ctx.at("column").fail(f"{kind.value} 指标必须指定 column")
    for key in ("column", "date_column"):
        if raw.get(key) is not None and raw[key] not in columns:
            raise ctx.at(key).fail(
                f"工作表“{sheet_name}”没有列“{raw[key]}”{_suggest(raw[key], columns)}"
            )
    where = _where(raw.get("where", {}), sheets[sheet_name], ctx.at("where"))
    until = _day(raw["until"], ctx.at("until")) if "until" in raw else None
    if until and not raw.get("date_column"):
        raise ctx.at("until").fail("使用 until 时必须指定 date_column")
    return Metric(kind, sheet_name, column, where, raw.get("date_column"), until)


def _where(raw: Any, sheet: Any, ctx: _Context) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, dict):
        raise ctx.fail("应为“列名: [取值, …]”的映射")
    pairs = []
    for column, values in raw.items():
        if column not in sheet.field_names:
            raise ctx.at(column).fail(
                f"工作表没有列“{column}”{_suggest(column, sheet.field_names)}"
            )
        allowed = sheet.field(column).choices
        values = [str(v) for v in (values if isinstance(values, list) else [values])]
        for value in values:
            if allowed and value not in allowed:
                raise ctx.at(column).fail(f"“{value}”不是可选值{_suggest(value, allowed)}")
        pairs.append((column, tuple(values)))
    return tuple(pairs)


def _requirement(raw: Any, ctx: _Context) -> Requirement:
    if not isinstance(raw, dict):
        raise ctx.fail("应为 {min: …, max: …} 或 {by: 干部类别, cases: …}")
    if "by" not in raw:
        return Requirement(default=_bounds(raw, ctx))
    if raw["by"] not in REQUIREMENT_ATTRIBUTES:
        raise ctx.at("by").fail(
            f"不支持按“{raw['by']}”区分{_suggest(raw['by'], REQUIREMENT_ATTRIBUTES)}"
        )
    _check_keys(raw, {"by", "cases", "default"}, ctx)
    cases = _mapping(raw, "cases", ctx)
    return Requirement(
        default=_bounds(raw["default"], ctx.at("default")) if raw.get("default") else None,
        by=str(raw["by"]),
        cases=tuple((str(k), _bounds(v, ctx.at(f"cases.{k}")) if v else None) for k, v in cases.items()),
    )  # fmt: skip


def _bounds(raw: Any, ctx: _Context) -> Bounds:
    if not isinstance(raw, dict) or not raw.keys() & {"min", "max"}:
        raise ctx.fail("应为 {min: 数字} 或 {min: 数字, max: 数字}")
    _check_keys(raw, {"min", "max"}, ctx)
    low = _number(raw["min"], ctx.at("min"), float) if "min" in raw else None
    high = _number(raw["max"], ctx.at("max"), float) if "max" in raw else None
    if low is not None and high is not None and low > high:
        raise ctx.fail(f"min {low:g} 大于 max {high:g}")
    return Bounds(low, high)


def _grading(raw: dict[str, Any], ctx: _Context, rule_ids: set[str]) -> Grading:
    _check_keys(raw, GRADING_KEYS, ctx)
    bands = tuple(_band(b, ctx.at(f"bands[{i}]")) for i, b in enumerate(_list(raw, "bands", ctx)))
    if [b.min_score for b in bands] != sorted((b.min_score for b in bands), reverse=True):
        raise ctx.at("bands").fail("等次应按 min_score 从高到低排列")
    grades = [b.grade for b in bands]
    caps = _mapping(raw, "caps", ctx)
    for grade in [*caps, raw.get("interview")]:
        if grade not in grades:
            raise ctx.fail(f"等次“{grade}”不在 bands 中{_suggest(str(grade), grades)}")
    for rule_id in raw.get("tie_breakers", []):
        if rule_id not in rule_ids:
            raise ctx.at("tie_breakers").fail(
                f"没有 id 为“{rule_id}”的规则{_suggest(rule_id, rule_ids)}"
            )
    return Grading(
        bands=bands,
        caps=tuple((g, _number(v, ctx.at(f"caps.{g}"), float)) for g, v in caps.items()),
        interview=str(raw["interview"]),
        tie_breakers=tuple(raw.get("tie_breakers", [])),
        clause=str(raw.get("clause", "")),
        periods=tuple(_period(p, ctx.at("periods")) for p in raw.get("periods", ["年底考核"])),
    )


def _band(raw: Any, ctx: _Context) -> GradeBand:
    if not isinstance(raw, dict):
        raise ctx.fail("应为 {grade: 等次, min_score: 分数}")
    _check_keys(raw, {"grade", "min_score"}, ctx)
    return GradeBand(str(_get(raw, "grade", ctx)), _number(_get(raw, "min_score", ctx), ctx, float))


def _periods(raw: dict[str, Any], ctx: _Context) -> tuple[PeriodSpec, ...]:
    specs = []
    for name, spec in raw.items():
        period = _period(name, ctx)
        inner = ctx.at(name)
        if not isinstance(spec, dict):
            raise inner.fail('应为 {deadline: "MM-DD", clause: …}')
        specs.append(
            PeriodSpec(
                period, _day(_get(spec, "deadline", inner), inner), str(spec.get("clause", ""))
            )
        )
    missing = set(Period) - {s.period for s in specs}
    if missing:
        raise ctx.fail("缺少阶段：" + "、".join(p.value for p in missing))
    return tuple(specs)


def _period(raw: Any, ctx: _Context) -> Period:
    try:
        return Period.parse(str(raw))
    except ValueError:
        raise ctx.fail(f"未知阶段“{raw}”{_suggest(str(raw), [p.value for p in Period])}") from None


def _day(raw: Any, ctx: _Context) -> str:
    text = str(raw)
    month, _, day = text.partition("-")
    if not (month.isdigit() and day.isdigit() and 1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        raise ctx.fail(f'“{text}”应为 "MM-DD" 形式的月日，如 "10-31"')
    return f"{int(month):02d}-{int(day):02d}"


def _enum(enum: Any, raw: Any, ctx: _Context) -> Any:
    values = [e.value for e in enum]
    if raw not in values:
        raise ctx.fail(f"“{raw}”不是可用的取值（{'、'.join(values)}）{_suggest(str(raw), values)}")
    return enum(raw)


def _number(raw: Any, ctx: _Context, cast: Callable[[Any], Any]) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ctx.fail(f"“{raw}”应为数字")
    return cast(raw)


def _choices(raw: dict[str, Any], key: str, ctx: _Context) -> list[str]:
    values = [str(v) for v in _list(raw, key, ctx)]
    allowed = LEDGER.sheet("基本信息").field("干部类别").choices
    for value in values:
        if value not in allowed:
            raise ctx.at(key).fail(f"“{value}”不是干部类别{_suggest(value, allowed)}")
    return values


def _check_keys(raw: dict[str, Any], allowed: set[str], ctx: _Context) -> None:
    for key in raw:
        if key not in allowed:
            raise ctx.at(str(key)).fail(f"未知的键{_suggest(str(key), allowed)}")


def _check_unique_ids(rules: tuple[Rule, ...], ctx: _Context) -> None:
    ids = [r.id for r in rules]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ctx.at("rules").fail("规则 id 重复：" + "、".join(duplicated))


def _get(raw: dict[str, Any], key: str, ctx: _Context) -> Any:
    if key not in raw or raw[key] is None:
        raise ctx.at(key).fail("缺少必填的键")
    return raw[key]


def _mapping(raw: dict[str, Any], key: str, ctx: _Context) -> dict[str, Any]:
    value = _get(raw, key, ctx)
    if not isinstance(value, dict):
        raise ctx.at(key).fail("应为键值映射")
    return value


def _list(raw: dict[str, Any], key: str, ctx: _Context) -> list[Any]:
    value = _get(raw, key, ctx)
    if not isinstance(value, list):
        raise ctx.at(key).fail("应为列表")
    return value


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.5)
    return f"，是否应为“{close[0]}”？" if close else ""
