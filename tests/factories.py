"""Test data built from figures, and helpers to read the pipeline's workbooks back by header.

`compliant_content` describes one cadre by the figures the 宝鸡 2018 rules count (lectures,
visits, youth met face to face, …) and generates the ledger rows that produce exactly those
figures; every figure can be set to sit on, above or below a quota. Nothing here is
hand-copied from a workbook: change a figure and the rows follow.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from pipeline.demo.fill import LedgerContent, fill_ledger, fill_roster
from pipeline.forms.spec import CONTACT_POINT_TYPES, YOUTH_FIELDS
from pipeline.ingest.chunk import FileRead
from pipeline.ingest.worker import WorkerLimits, read_chunks
from pipeline.resources import rules_dir, templates_dir

RULES_FILE = "baoji-2018.yaml"
LECTURE_TYPES = ("理论宣讲", "主题团课")
CONTACT_TYPES = ("走访基层", "集体座谈", "个别谈心")
TALKS = ("集体座谈", "集体座谈", "个别谈心", "个别谈心")  # always present, so youth has rows
RESEARCH_VISITS = 2  # 调研 rows: count towards days only
OTHER_YOUTH = 4  # 联系青年名册 rows with 重点联系=否
MAX_DAYS_PER_ROW = 20  # more days than this per row go to extra 驻点 rows
FIRST_DAY = (1, 10)  # month, day of the first activity
LAST_DAY = (11, 20)  # month, day of the last activity (or the fill date if earlier)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀英", "霞", "平")  # fmt: skip
_DEFAULT: Any = object()  # "the year's default", for date knobs whose None means "none"


@dataclass(frozen=True)
class Figures:
    """What the 宝鸡 2018 rules will measure in one cadre's year-end ledger.

    lectures: 理论宣讲/主题团课 rows; visits: 走访基层 rows; youth / cadres_talked: sums of
    青年人数 / 团干部人数 over 走访基层, 集体座谈 and 个别谈心; days: sum of 时长（天） over every
    row except 线上互动 (and 调研报告, which has none); report_date: the 调研报告 row's date or
    None for no report; points: 基层联系点 rows; key_contacts: 重点联系=是 youth; work_items:
    任务清单 rows of 推动工作; work_pursued: 活动记录 rows of 推动工作; fill_date: 填报日期
    (None leaves it blank).
    """

    lectures: int = 6
    visits: int = 14
    youth: int = 160
    cadres_talked: int = 30
    days: float = 80.0
    report_date: date | None = _DEFAULT
    points: int = 3
    key_contacts: int = 8
    work_items: int = 2
    work_pursued: int = 3
    fill_date: date | None = _DEFAULT
    category: str = "专职"
    post: str = "副部长"
    phone: str = "13800000000"

    def resolved(self, year: int) -> Figures:
        """The year's defaults put in: a report on 09-30, filed on 11-25."""
        report = date(year, 9, 30) if self.report_date is _DEFAULT else self.report_date
        filed = date(year, 11, 25) if self.fill_date is _DEFAULT else self.fill_date
        return dataclasses.replace(self, report_date=report, fill_date=filed)


def compliant_content(name: str, unit: str, *, year: int = 2026, **overrides: Any) -> LedgerContent:
    """A 专职 cadre meeting every year-end quota with a margin; ``overrides`` set exact figures.

    The keywords are the fields of `Figures` (an unknown one raises TypeError).
    """
    figures = dataclasses.replace(Figures(), **overrides).resolved(year)
    return ledger_content(name, unit, figures, year=year)


def ledger_content(name: str, unit: str, figures: Figures, *, year: int) -> LedgerContent:
    """The ledger rows that make the rules measure exactly ``figures``."""
    _check(figures)
    points = _points(unit, figures.points)
    info: dict[str, object] = {
        "姓名": name, "单位": unit, "干部类别": figures.category, "职务": figures.post,
        "联系电话": figures.phone, "年度": year,
    }  # fmt: skip
    if figures.fill_date is not None:
        info["填报日期"] = figures.fill_date
    return LedgerContent(
        info=info,
        tasks=_tasks(figures, year),
        points=points,
        activities=_activities(figures, year, [str(p["联系点名称"]) for p in points]),
        youth=_youth(name, figures, year),
    )


def roster_rows(
    cadres: Sequence[tuple[str, str]], *, category: str = "专职", assessed: str = "是"
) -> list[dict[str, object]]:
    """干部名册 rows for (姓名, 单位) pairs."""
    return [
        {"姓名": name, "单位": unit, "干部类别": category, "职务": "干部", "参加考核": assessed,
         "联系电话": f"0917{n:07d}"}
        for n, (name, unit) in enumerate(cadres, start=1)
    ]  # fmt: skip


def make_workspace(tmp_path: Path) -> Path:
    """A clerk's workspace: inbox/, outbox/ and state/ under ``tmp_path``."""
    for folder in ("inbox", "outbox", "state"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    return tmp_path


def submit(
    workspace: Path, content: LedgerContent, file_name: str, *, mtime: datetime | None = None
) -> Path:
    """Fill a ledger into the workspace's inbox, optionally with a given modification time."""
    path = fill_ledger(content, workspace / "inbox" / file_name)
    if mtime is not None:
        stamp = mtime.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def submit_roster(
    workspace: Path, rows: Sequence[Mapping[str, object]], file_name: str = "干部名册.xlsx"
) -> Path:
    return fill_roster(rows, workspace / "inbox" / file_name)


def template_column(sheet: str, header: str) -> str:
    """The column letter of ``header`` in the blank ledger template's ``sheet`` (row 1)."""
    workbook = load_workbook(templates_dir() / "联系青年工作台账.xlsx", read_only=True)
    try:
        for cell in next(workbook[sheet].iter_rows(min_row=1, max_row=1)):
            if cell.value == header:
                return str(cell.column_letter)
    finally:
        workbook.close()
    raise KeyError(f"{sheet}: no header {header!r}")


# --- generation -----------------------------------------------------------------------------


def _check(f: Figures) -> None:
    counts = (f.lectures, f.visits, f.youth, f.cadres_talked, f.points, f.key_contacts,
              f.work_items, f.work_pursued)  # fmt: skip
    if any(c < 0 for c in counts) or f.days < 0:
        raise ValueError(f"negative figure in {f}")
    if (f.days * 2) % 1:
        raise ValueError(f"days must be a multiple of 0.5: {f.days}")


def _tasks(f: Figures, year: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"任务类别": "理论宣讲", "主要内容": "到联系点宣讲党的创新理论，讲主题团课", "计划完成时间": date(year, 11, 20)},
        {"任务类别": "交流谈心", "主要内容": "走访联系点，与团员青年和基层团干部谈心", "计划完成时间": date(year, 11, 20)},
        {"任务类别": "调查研究", "主要内容": "调研课题：新就业形态青年思想状况", "计划完成时间": date(year, 10, 31)},
    ]  # fmt: skip
    rows += [
        {"任务类别": "推动工作", "主要内容": f"帮助联系点推动第{n}项工作：青年之家阵地建设",
         "计划完成时间": date(year, 6 + n % 5, 30)}
        for n in range(1, f.work_items + 1)
    ]  # fmt: skip
    return rows


def _points(unit: str, n: int) -> list[dict[str, object]]:
    return [
        {"联系点名称": f"{unit}第{i}联系点", "联系点类型": CONTACT_POINT_TYPES[(i - 1) % len(CONTACT_POINT_TYPES)],
         "所在地": f"宝鸡市{unit}"}
        for i in range(1, n + 1)
    ]  # fmt: skip


def split(total: float, parts: int, step: float = 1) -> list[float]:
    """``total`` in ``parts`` shares of whole ``step``s, the larger shares first."""
    if parts == 0:
        if total:
            raise ValueError(f"cannot put {total} into no rows")
        return []
    units = round(total / step)
    base, extra = divmod(units, parts)
    return [(base + (i < extra)) * step for i in range(parts)]


def _kinds(f: Figures) -> list[str]:
    kinds = [LECTURE_TYPES[i % 2] for i in range(f.lectures)]
    kinds += ["走访基层"] * f.visits + list(TALKS) + ["调研"] * RESEARCH_VISITS
    kinds += ["推动工作"] * f.work_pursued + ["线上互动"]
    counted = sum(k != "线上互动" for k in kinds)
    kinds += ["驻点"] * max(0, math.ceil(f.days / MAX_DAYS_PER_ROW) - counted)
    return kinds


def _activities(f: Figures, year: int, points: list[str]) -> list[dict[str, object]]:
    kinds = _kinds(f)
    counted = [i for i, k in enumerate(kinds) if k != "线上互动"]
    contact = [i for i, k in enumerate(kinds) if k in CONTACT_TYPES]
    days = dict(zip(counted, split(f.days, len(counted), 0.5), strict=True))
    youth = dict(zip(contact, split(f.youth, len(contact)), strict=True))
    cadres = dict(zip(contact, split(f.cadres_talked, len(contact)), strict=True))
    dates = _spread(year, len(kinds), f.fill_date)
    rows = []
    for i, kind in enumerate(kinds):
        if kind in LECTURE_TYPES:
            young, leaders = 40, None  # the audience: not counted as face-to-face youth
        elif kind == "线上互动":
            young, leaders = 50, None
        else:
            young, leaders = youth.get(i), cadres.get(i)
        rows.append({
            "日期": dates[i], "活动类型": kind, "联系点": points[i % len(points)] if points else None,
            "地点": "联系点活动室", "青年人数": _whole(young), "团干部人数": _whole(leaders),
            "时长（天）": _whole(1.0 if kind == "线上互动" else days.get(i)),
            "内容摘要": f"第{i + 1}次活动：{kind}", "佐证材料": f"照片{i + 1}.jpg",
        })  # fmt: skip
    if f.report_date is not None:
        rows.append({"日期": f.report_date, "活动类型": "调研报告", "地点": "团市委",
                     "内容摘要": "形成调研报告并报送", "佐证材料": "调研报告.docx"})  # fmt: skip
    return rows


def _spread(year: int, n: int, filed: date | None) -> list[date]:
    """``n`` dates from 01-10 to 11-20 (or the fill date if earlier), in order, distinct if room."""
    first, last = date(year, *FIRST_DAY), date(year, *LAST_DAY)
    if filed is not None and first < filed < last:
        last = filed
    span = (last - first).days
    return [first + timedelta(days=(i * span) // max(n - 1, 1)) for i in range(n)]


def _whole(value: float | None) -> float | int | None:
    return int(value) if value is not None and float(value).is_integer() else value


def _youth(cadre: str, f: Figures, year: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(f.key_contacts + OTHER_YOUTH):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7 + len(cadre)) % len(GIVEN)]
        first = date(year, 1 + i % 10, 5)
        rows.append({
            "姓名": name, "领域": YOUTH_FIELDS[i % len(YOUTH_FIELDS)],
            "工作单位或学校": f"宝鸡市第{i + 1}青年单位", "联系方式": f"139{i:08d}",
            "联系渠道": ("线上", "线下")[i % 2], "首次联系日期": first,
            "最近联系日期": first + timedelta(days=20),
            "重点联系": "是" if i < f.key_contacts else "否",
        })  # fmt: skip
    return rows


# --- reading outputs back -------------------------------------------------------------------


def rule_titles() -> dict[str, str]:
    """Rule id → title, straight from the baoji-2018 rule file."""
    data = yaml.safe_load((rules_dir() / RULES_FILE).read_text(encoding="utf-8"))
    return {rule["id"]: rule["title"] for rule in data["rules"]}


def header_name(value: object) -> str:
    """A header as a key: its first line (rule columns add the requirement on a second line)."""
    return str(value or "").split("\n")[0].strip()


def sheet_cells(path: Path, sheet: str) -> list[dict[str, Cell]]:
    """The rows of a table sheet (header in row 1) as header → cell, blank rows left out."""
    workbook = load_workbook(path)
    ws = workbook[sheet]
    rows = list(ws.iter_rows())
    headers = [header_name(c.value) for c in rows[0]]
    return [
        dict(zip(headers, row, strict=False))
        for row in rows[1:]
        if any(c.value not in (None, "") for c in row)
    ]


def sheet_values(path: Path, sheet: str) -> list[dict[str, object]]:
    return [{k: c.value for k, c in row.items()} for row in sheet_cells(path, sheet)]


def by_name(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows keyed by their 姓名 (which must be unique)."""
    keyed: dict[str, Any] = {}
    for row in rows:
        name = row["姓名"]
        name = name.value if isinstance(name, Cell) else name
        assert name not in keyed, f"two rows for {name}"
        keyed[str(name)] = row
    return keyed


def read_files(
    jobs: Sequence[tuple[str, str]], workers: int, limits: WorkerLimits | None = None
) -> list[FileRead]:
    """Each file of ``jobs`` as the isolated workers read it (its rows packed into segments)."""
    return [read for chunk in read_chunks(jobs, workers, limits) for read in chunk.reads]
