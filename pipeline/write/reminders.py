"""催交: a ready-to-paste reminder per unit (催交/{单位}.txt) and the 催交 sheet of 排名.xlsx."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.compute.assessment import Assessment
from pipeline.compute.reminders import LATE, MISSING, RATE_COLUMNS, RETURNED, Chase, deadline
from pipeline.write.files import write_texts_atomic
from pipeline.write.receipts import ENCODING, NEWLINE, UNSAFE_NAME
from pipeline.write.texts import render
from pipeline.write.workbook import (
    Formats,
    Worksheet,
    fit_columns,
    records,
    setup_print,
    write_table,
    write_text,
)

TEMPLATE = "催交.txt.j2"
SHEET = "催交"
GROUPS = ((MISSING, "尚未报送"), (RETURNED, "退回待改"), (LATE, "逾期报送"))
RATE_HEADERS = ("单位", "应报", "实报", "按时", "实报率", "按时报送率")
LIST_HEADERS = ("单位", "姓名", "情况", "联系电话", "说明")
LIST_FIELDS = ("unit", "name", "status", "phone", "detail")


def chase_of(assessment: Assessment) -> Chase:
    """The run's 催交 lists, or empty ones for an assessment made without them."""
    if assessment.chase is not None:
        return assessment.chase
    due = deadline(assessment.rule_set, assessment.period, assessment.year)
    return Chase(due, assessment.as_of)


def countdown(chase: Chase) -> str:
    days = chase.days_left
    if days > 0:
        return f"距截止还有 {days} 天"
    return "今天截止" if days == 0 else f"已逾期 {-days} 天"


def reminder_text(
    assessment: Assessment, unit: str, people: pd.DataFrame, rates: dict[str, object]
) -> str:
    """The reminder for one unit, ready to paste into a chat group: ``people`` are its rows of
    the 催交 list, ``rates`` its reporting rates."""
    chase = chase_of(assessment)
    rows = records(people)  # a unit's few people: sorted into groups here, not by pandas masks
    by_status = [(title, [row for row in rows if row["status"] == status]) for status, title in GROUPS]
    groups = [{"title": title, "people": found} for title, found in by_status if found]
    return render(
        TEMPLATE, unit=unit, document=assessment.rule_set.document, year=assessment.year,
        period=assessment.period.value, deadline=_day(chase.deadline), countdown=countdown(chase),
        days_left=chase.days_left, as_of=_day(chase.as_of), groups=groups,
        rates=_rate_text(rates), today=_day(assessment.as_of),
    )  # fmt: skip


def write_reminders(assessment: Assessment, folder: Path) -> list[Path]:
    """One reminder per unit with someone to chase; reminders of earlier runs are removed."""
    chase = chase_of(assessment)
    units = list(dict.fromkeys(chase.pending["unit"]))
    names = [f"{UNSAFE_NAME.sub('_', str(unit)).strip() or '_'}.txt" for unit in units]
    people = dict(list(chase.pending.groupby("unit", sort=False)))  # each unit's, split once
    nobody = chase.pending.iloc[:0]
    rates: dict[object, dict[str, object]] = {}
    for rate in records(chase.rates):
        rates.setdefault(rate["unit"], rate)
    texts = {
        folder / name: _crlf(reminder_text(assessment, unit, people.get(unit, nobody), rates.get(unit, {})))
        for unit, name in zip(units, names, strict=True)
    }  # fmt: skip
    paths = write_texts_atomic(texts, encoding=ENCODING)
    if folder.is_dir():
        for stale in folder.glob("*.txt"):
            if stale.name not in names:
                stale.unlink()
    return paths


def write_chase_sheet(ws: Worksheet, formats: Formats, assessment: Assessment) -> None:
    """Rates per unit, then who is to be chased (the list's header repeats on every page)."""
    chase = chase_of(assessment)
    write_text(ws, 0, 0, f"催交名单：截止 {_day(chase.deadline)}，{countdown(chase)}", formats.line)
    rates = [[r[c] for c in RATE_COLUMNS] for r in [*records(chase.rates), chase.total]]
    column_formats = [formats.text, *[formats.number] * 3, formats.percent, formats.percent]
    end = write_table(ws, 2, RATE_HEADERS, rates, formats, column_formats)
    people = [[p[f] for f in LIST_FIELDS] for p in records(chase.pending)]
    header = end + 1
    people = people or [["无", None, None, None, None]]
    write_table(ws, header, LIST_HEADERS, people, formats)
    fit_columns(ws, LIST_HEADERS, [*people, *rates], maximum=50, first_row=header + 1)
    title = f"{SHEET}（{assessment.year}年{assessment.period.value}）"
    left, right = page_sides(assessment)
    setup_print(ws, False, 1, title, first_header_row=header, left=left, right=right)


def page_sides(assessment: Assessment) -> tuple[str, str]:
    """The 填报单位 and date lines printed left and right of the title on every page."""
    return "填报单位（盖章）：__________", _day(assessment.as_of)


def _rate_text(rates: dict[str, object]) -> dict[str, object]:
    rate = rates.get("on_time_rate")
    shown = f"{float(rate):.0%}" if isinstance(rate, float) and not pd.isna(rate) else "—"
    return {
        **{k: rates.get(k, 0) for k in ("expected", "reported", "on_time")},
        "on_time_rate": shown,
    }


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _crlf(text: str) -> str:
    return NEWLINE.join(text.splitlines()) + NEWLINE
