"""Parse a rule's `metric:` against the template contract: sheets, columns, values and kinds."""

from __future__ import annotations

from typing import Any

from pipeline.forms.spec import COUNTY_MONTHLY, LEDGER, Kind, Sheet
from pipeline.rules.context import (
    Context,
    check_keys,
    day,
    get,
    member,
    number,
    positive,
    strings,
    suggest,
)
from pipeline.rules.model import Condition, Every, Metric, MetricKind, Scope

K = MetricKind
COMMON_KEYS = {"kind", "sheet", "where", "date_column", "since", "until"}
KIND_KEYS: dict[MetricKind, set[str]] = {
    K.COUNT: set(), K.SUM: {"column"}, K.DISTINCT: {"column"}, K.DAYS: {"column"},
    K.STAYS: {"column", "min_days"}, K.LATEST: {"column"}, K.CADRES: set(),
    K.COVERAGE: {"every", "of", "at_least", "share", "column", "min_days"},
    K.PER_POINT: {"of", "column", "min_days"}, K.PROHIBITION: {"column", "above"},
}  # fmt: skip
NEEDS_COLUMN = {K.SUM, K.DISTINCT, K.LATEST}
NUMERIC = {K.SUM, K.LATEST, K.PROHIBITION, K.DAYS, K.STAYS}  # kinds whose column is a number
DATED = {K.DAYS, K.STAYS, K.LATEST, K.COVERAGE}  # kinds that place rows (or days) in time
OF_KINDS = {
    K.COVERAGE: (K.COUNT, K.SUM, K.DISTINCT, K.DAYS, K.CADRES),
    K.PER_POINT: (K.COUNT, K.SUM, K.DISTINCT, K.DAYS, K.STAYS),
}
UNIT_ONLY, CADRE_ONLY = {K.CADRES}, {K.PER_POINT, K.PROHIBITION, K.STAYS}
DAYS_COLUMN = "时长（天）"  # the length of a row's stay when a days/stays metric names none
POINT_COLUMN = "联系点"  # per_point: the column naming a row's contact point
SHEETS: dict[str, Sheet] = {
    s.name: s for t in (LEDGER, COUNTY_MONTHLY) for s in t.sheets if not s.key_value
}
UNIT_SHEETS = {s.name for s in COUNTY_MONTHLY.sheets}


def parse_metric(raw: dict[str, Any], scope: Scope, ctx: Context) -> Metric:
    kind = member(MetricKind, get(raw, "kind", ctx), ctx.at("kind"))
    check_keys(raw, COMMON_KEYS | KIND_KEYS[kind], ctx)
    sheet = _sheet(raw, scope, ctx)
    of = member(MetricKind, raw.get("of", "count"), ctx.at("of")) if "of" in raw else K.COUNT
    if kind in OF_KINDS and of not in OF_KINDS[kind]:
        allowed = "、".join(k.value for k in OF_KINDS[kind])
        raise ctx.at("of").fail(f"{kind.value} 指标的 of 只能是 {allowed}")
    figure = of if kind in OF_KINDS else kind
    _check_scope(kind, figure, scope, ctx)
    columns = _columns(raw, kind, figure, sheet, ctx)
    date_column = _date_column(raw, kind, figure, sheet, ctx)
    metric = Metric(
        kind, sheet.name, columns, _where(raw.get("where", {}), sheet, ctx.at("where")),
        date_column=date_column,
        since=day(raw["since"], ctx.at("since")) if "since" in raw else None,
        until=day(raw["until"], ctx.at("until")) if "until" in raw else None,
        every=member(Every, get(raw, "every", ctx), ctx.at("every")) if kind is K.COVERAGE else None,
        of=of,
        at_least=positive(raw["at_least"], ctx.at("at_least")) if "at_least" in raw else 1.0,
        share=_share(raw, figure, ctx),
        min_days=positive(get(raw, "min_days", ctx), ctx.at("min_days")) if figure is K.STAYS else None,
        above=float(number(raw["above"], ctx.at("above"))) if "above" in raw else None,
    )  # fmt: skip
    if metric.since and metric.until and metric.since > metric.until:
        raise ctx.fail(f"since {metric.since} 晚于 until {metric.until}")
    return metric


def _sheet(raw: dict[str, Any], scope: Scope, ctx: Context) -> Sheet:
    name = str(get(raw, "sheet", ctx))
    if name not in SHEETS:
        raise ctx.at("sheet").fail(f"未知工作表“{name}”{suggest(name, SHEETS)}")
    if name in UNIT_SHEETS and scope is not Scope.UNIT:
        raise ctx.at("sheet").fail(f"“{name}”是单位报表，只能用于 scope: unit 的规则")
    return SHEETS[name]


def _check_scope(kind: MetricKind, figure: MetricKind, scope: Scope, ctx: Context) -> None:
    if scope is Scope.UNIT and {kind, figure} & CADRE_ONLY:
        raise ctx.at("kind").fail(
            f"{(kind if kind in CADRE_ONLY else figure).value} 只能用于干部个人的规则"
        )
    if scope is Scope.CADRE and {kind, figure} & UNIT_ONLY:
        raise ctx.at("kind").fail("cadres 只能用于 scope: unit 的规则")


def _columns(
    raw: dict[str, Any], kind: MetricKind, figure: MetricKind, sheet: Sheet, ctx: Context
) -> tuple[str, ...]:
    if figure in (K.DAYS, K.STAYS):
        names = strings(raw.get("column", DAYS_COLUMN))
    elif "column" in raw:
        names = strings(raw["column"])
    elif figure in NEEDS_COLUMN:
        raise ctx.at("column").fail(f"{figure.value} 指标必须指定 column")
    else:
        names = []
    for name in names:
        _field(sheet, name, ctx.at("column"))
        numeric = figure in NUMERIC or kind is K.PROHIBITION
        if numeric and sheet.field(name).kind not in (Kind.INTEGER, Kind.NUMBER):
            raise ctx.at("column").fail(f"列“{name}”不是数字列，不能用于 {figure.value}")
    if kind is K.PER_POINT and POINT_COLUMN not in sheet.field_names:
        raise ctx.at("sheet").fail(f"工作表“{sheet.name}”没有“{POINT_COLUMN}”列，不能按联系点统计")
    return tuple(names)


def _date_column(
    raw: dict[str, Any], kind: MetricKind, figure: MetricKind, sheet: Sheet, ctx: Context
) -> str | None:
    if "date_column" in raw:
        name = str(raw["date_column"])
        if _field(sheet, name, ctx.at("date_column")).kind is not Kind.DATE:
            raise ctx.at("date_column").fail(f"列“{name}”不是日期列")
        return name
    needs_date = kind in DATED or figure in DATED or "since" in raw or "until" in raw
    if needs_date and sheet.dated_by is None:
        key = "since" if "since" in raw else "until" if "until" in raw else "kind"
        raise ctx.at(key).fail(f"工作表“{sheet.name}”的行没有日期，请指定 date_column")
    return sheet.dated_by if needs_date else None


def _share(raw: dict[str, Any], figure: MetricKind, ctx: Context) -> float | None:
    if "share" not in raw:
        return None
    if figure is not K.CADRES:
        raise ctx.at("share").fail("share 只能与 of: cadres 一起使用")
    value = positive(raw["share"], ctx.at("share"))
    if value > 1:
        raise ctx.at("share").fail(f"{value:g} 应为 0 到 1 之间的比例，如 0.25")
    return value


def _where(raw: Any, sheet: Sheet, ctx: Context) -> tuple[Condition, ...]:
    if not isinstance(raw, dict):
        raise ctx.fail("应为“列名: [取值, …]”的映射")
    return tuple(_condition(str(c), v, sheet, ctx.at(str(c))) for c, v in raw.items())


def _condition(column: str, raw: Any, sheet: Sheet, ctx: Context) -> Condition:
    spec = _field(sheet, column, ctx)
    if isinstance(raw, dict):
        check_keys(raw, {"filled", "min", "max"}, ctx)
        numeric = raw.keys() & {"min", "max"}
        if numeric and spec.kind not in (Kind.INTEGER, Kind.NUMBER):
            raise ctx.fail(f"列“{column}”不是数字列，不能用 min/max")
        low = float(number(raw["min"], ctx.at("min"))) if "min" in raw else None
        high = float(number(raw["max"], ctx.at("max"))) if "max" in raw else None
        return Condition(column, filled=bool(raw.get("filled", False)), minimum=low, maximum=high)
    values = strings(raw)
    for value in values:
        if spec.choices and value not in spec.choices:
            raise ctx.fail(f"“{value}”不是可选值{suggest(value, spec.choices)}")
    return Condition(column, tuple(values))


def _field(sheet: Sheet, name: str, ctx: Context) -> Any:
    if name not in sheet.field_names:
        raise ctx.fail(f"工作表“{sheet.name}”没有列“{name}”{suggest(name, sheet.field_names)}")
    return sheet.field(name)
