"""A deterministic demo inbox for the 宝鸡 2018 rules: good, borderline, deficient and broken files."""

from __future__ import annotations

import dataclasses
import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.demo.fill import LedgerContent, fill_ledger, fill_roster
from pipeline.forms.spec import ACTIVITIES, BASIC_INFO, CONTACT_POINT_TYPES, YOUTH_FIELDS
from pipeline.ingest.reader import column_letter

CONTACT_TYPES = ("走访基层", "集体座谈", "个别谈心")
EXTRA_TYPES = ("志愿服务", "线下活动", "开放日", "结对帮扶", "社区报到")
DAY_WEIGHTS = {"驻点": 12.0, "调研": 3.0, "走访基层": 1.2, "推动工作": 1.0, "集体座谈": 0.6}
# Rows whose 时长（天） is not time at the grassroots: online time is typed but never counted,
# and writing the report is left blank, so every reading of the 2-month quota gives one sum.
NOT_GRASSROOTS_DAYS: dict[str, float | None] = {"线上互动": 0.5, "调研报告": None}
YOUTH_WEIGHTS = {"走访基层": 1.0, "集体座谈": 2.5, "个别谈心": 0.1}
CADRE_WEIGHTS = {"走访基层": 0.5, "集体座谈": 1.0, "个别谈心": 0.8}
GENERIC_NAME = "新建 Microsoft Excel 工作表.xlsx"
ROSTER_NAME = "干部名册.xlsx"

# Per unit, the role of each of its ten cadres (see _submit for what each role writes).
PLANS: dict[str, tuple[str, ...]] = {
    "渭滨区团委": ("compliant", "compliant", "compliant", "compliant", "borderline-all",
                   "borderline", "deficient", "severe", "bad-values", "absent"),
    "金台区团委": ("compliant", "compliant", "twice", "compliant", "borderline", "borderline",
                   "borderline", "deficient", "severe", "not-workbook"),
    "团市委组织部": ("compliant", "compliant", "compliant", "borderline", "borderline",
                     "deficient", "deficient", "deficient", "no-unit", "absent"),
}  # fmt: skip
# (unit, position) -> (干部类别, 参加考核) for the few cadres who are not full-time
CATEGORIES = {("渭滨区团委", 5): ("兼职", "是"), ("团市委组织部", 2): ("挂职", "是"),
              ("团市委组织部", 7): ("兼职", "否")}  # fmt: skip
# (unit, position) -> how that cadre's file is messy but valid
MESSY = {("渭滨区团委", 0): "cn", ("金台区团委", 0): "dot", ("团市委组织部", 0): "slash",
         ("渭滨区团委", 1): "fullwidth", ("金台区团委", 4): "suffix", ("金台区团委", 1): "space",
         ("团市委组织部", 1): "ideographic-space", ("渭滨区团委", 2): "equals"}  # fmt: skip


@dataclass(frozen=True)
class DemoFile:
    """One file written into the demo inbox and what it is meant to be."""

    name: str
    unit: str
    cadre: str
    kind: str  # compliant / borderline / deficient / malformed / superseded / roster
    note: str = ""
    figures: dict[str, object] = field(default_factory=dict)  # Targets as designed, pre-damage


@dataclass
class DemoManifest:
    """Everything the demo wrote, so tests can check the pipeline's verdict against the intent."""

    year: int
    files: list[DemoFile] = field(default_factory=list)
    non_submitters: list[tuple[str, str]] = field(default_factory=list)  # (单位, 姓名)
    roster: list[dict[str, object]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[DemoFile]:
        return [f for f in self.files if f.kind == kind]


@dataclass(frozen=True)
class Cadre:
    unit: str
    position: int
    name: str
    category: str
    assessed: str
    title: str
    phone: str
    role: str
    messy: str = ""


@dataclass(frozen=True)
class Targets:
    """The figures one cadre's ledger is built to reach (quotas of 宝市团发〔2018〕84号)."""

    points: int
    key_youth: int
    other_youth: int
    lectures: int
    visits: int
    talks: int
    days: float
    youth: int
    cadres: int
    report: date | None
    push_tasks: int
    push_acts: int
    research_task: bool = True
    lecture_task: bool = True


SEVERE = Targets(
    points=1, key_youth=2, other_youth=3, lectures=1, visits=3, talks=1, days=15.0, youth=30,
    cadres=5, report=None, push_tasks=1, push_acts=0, research_task=False, lecture_task=False,
)  # fmt: skip
"""A clear 差: nearly every quota missed by far."""


def make_demo_inbox(inbox: Path, *, year: int = 2026, seed: int = 2026) -> DemoManifest:
    """Write a realistic, reproducible set of submissions and the cadre roster into ``inbox``."""
    rng = random.Random(seed)
    inbox.mkdir(parents=True, exist_ok=True)
    cadres = _cadres(rng)
    manifest = DemoManifest(year=year, roster=[_roster_row(c) for c in cadres])
    _touch(fill_roster(manifest.roster, inbox / ROSTER_NAME), date(year, 11, 1))
    manifest.files.append(DemoFile(ROSTER_NAME, "", "", "roster", f"{len(cadres)} 名干部"))
    used: set[str] = set()
    for cadre in cadres:
        if cadre.role == "absent":
            manifest.non_submitters.append((cadre.unit, cadre.name))
            continue
        manifest.files.extend(_submit(rng, cadre, inbox, year, used))
    return manifest


def _cadres(rng: random.Random) -> list[Cadre]:
    names = iter(_unique_names(rng, sum(len(plan) for plan in PLANS.values())))
    cadres = []
    for unit, plan in PLANS.items():
        for position, role in enumerate(plan):
            category, assessed = CATEGORIES.get((unit, position), ("专职", "是"))
            title = TITLES[unit][position]
            messy = MESSY.get((unit, position), "")
            cadres.append(Cadre(unit, position, next(names), category, assessed, title,
                                _phone(rng), role, messy))  # fmt: skip
    return cadres


def _roster_row(cadre: Cadre) -> dict[str, object]:
    return {"姓名": cadre.name, "单位": cadre.unit, "干部类别": cadre.category,
            "职务": cadre.title, "参加考核": cadre.assessed, "联系电话": cadre.phone}  # fmt: skip


def _submit(
    rng: random.Random, cadre: Cadre, inbox: Path, year: int, used: set[str]
) -> list[DemoFile]:
    """Write the file(s) one cadre submits and describe them."""
    name = _file_name(rng, cadre, year, used)
    if cadre.role == "not-workbook":
        (inbox / name).write_text(_not_a_workbook(cadre), encoding="utf-8")
        return [DemoFile(name, cadre.unit, cadre.name, "malformed", "不是 Excel 工作簿")]
    kind, targets, note = _targets(rng, cadre.role, year)
    filed = date(year, 11, rng.randint(21, 28))
    content = _ledger(rng, cadre, targets, year, filed)
    notes = [n for n in (note, _break(rng, content, cadre.role, year), cadre.messy) if n]
    files = []
    if cadre.role == "twice":
        early = _as_of(content, date(year, 6, 25), date(year, 6, 28))
        early_name = name.replace(".xlsx", "（半年）.xlsx")
        _write(early, inbox / early_name, date(year, 6, 28))
        files.append(DemoFile(early_name, cadre.unit, cadre.name, "superseded", "6 月版本"))
    _write(_make_messy(content, cadre.messy), inbox / name, filed)
    figures = dataclasses.asdict(targets)
    return [*files, DemoFile(name, cadre.unit, cadre.name, kind, "；".join(notes), figures)]


def _targets(rng: random.Random, role: str, year: int) -> tuple[str, Targets, str]:
    """What the cadre's ledger is built to reach, its kind, and which quotas are on the edge."""
    good = Targets(
        points=rng.choice((3, 4)), key_youth=rng.randint(8, 9), other_youth=rng.randint(6, 18),
        lectures=rng.randint(5, 8), visits=rng.randint(12, 17), talks=rng.randint(3, 6),
        days=rng.randint(130, 180) / 2, youth=rng.randint(125, 220), cadres=rng.randint(24, 40),
        report=date(year, rng.randint(8, 10), rng.randint(1, 20)),
        push_tasks=rng.choice((2, 3)), push_acts=rng.randint(3, 4),
    )  # fmt: skip
    if role.startswith("borderline"):
        edge = _borderline(rng, good, year, every=role == "borderline-all")
        return "borderline", dataclasses.replace(good, **edge), _labelled("恰好达标", edge)
    if role == "severe":
        return "deficient", SEVERE, "各项均远未达标"
    if role == "deficient":
        short = _deficient(rng, year)
        return "deficient", dataclasses.replace(good, **short), _labelled("未达标", short)
    return ("malformed" if role in ("bad-values", "no-unit") else "compliant"), good, ""


def _labelled(prefix: str, quotas: dict[str, Any]) -> str:
    return prefix + "：" + "、".join(QUOTA_LABELS[key] for key in quotas)


def _borderline(rng: random.Random, good: Targets, year: int, *, every: bool) -> dict[str, Any]:
    """Exactly on the threshold for several quotas (all of them when ``every``)."""
    exact: dict[str, Any] = {
        "points": rng.choice((3, 4)), "key_youth": rng.choice((7, 10)), "lectures": 4,
        "visits": 10, "days": 60.0, "youth": 100, "cadres": 20, "report": date(year, 10, 31),
        "push_tasks": rng.choice((2, 3)), "push_acts": 2,
    }  # fmt: skip
    chosen = list(exact) if every else sorted(rng.sample(list(exact), rng.randint(4, 7)))
    return {key: exact[key] for key in exact if key in chosen}


def _deficient(rng: random.Random, year: int) -> dict[str, Any]:
    """Short of three to five quotas, by a little or a lot."""
    misses: dict[str, Any] = {
        "points": rng.choice((2, 5)), "key_youth": rng.randint(3, 6),
        "lectures": rng.randint(2, 3), "visits": rng.randint(5, 8),
        "days": rng.randint(70, 110) / 2, "youth": rng.randint(55, 90),
        "cadres": rng.randint(8, 17), "report": rng.choice((None, date(year, 11, 15))),
        "push_acts": 1,
    }  # fmt: skip
    chosen = rng.sample(list(misses), rng.randint(3, 5))
    return {key: misses[key] for key in misses if key in chosen}


def _ledger(rng: random.Random, cadre: Cadre, t: Targets, year: int, filed: date) -> LedgerContent:
    topic, *works = rng.sample(TOPICS, 1) + rng.sample(WORKS, t.push_tasks)
    points = _points(rng, cadre.unit, t.points)
    info: dict[str, object] = {
        "姓名": cadre.name, "单位": cadre.unit, "干部类别": cadre.category, "职务": cadre.title,
        "联系电话": cadre.phone, "年度": year, "填报日期": filed,
    }  # fmt: skip
    return LedgerContent(
        info=info,
        tasks=_tasks(t, year, topic, works),
        points=points,
        activities=_activities(rng, t, year, points, topic, works),
        youth=_youth(rng, t, year, cadre.unit),
    )


def _tasks(t: Targets, year: int, topic: str, works: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if t.lecture_task:
        rows.append({"任务类别": "理论宣讲", "主要内容": LECTURE_TASK,
                     "计划完成时间": date(year, 11, 20)})  # fmt: skip
    rows.append({"任务类别": "交流谈心", "主要内容": TALK_TASK, "计划完成时间": date(year, 11, 20)})
    if t.research_task:
        rows.append({"任务类别": "调查研究", "主要内容": f"调研课题：{topic}",
                     "计划完成时间": date(year, 10, 31)})  # fmt: skip
    for month, work in zip((9, 10, 11), works, strict=False):
        rows.append({"任务类别": "推动工作", "主要内容": f"帮助联系点{work}",
                     "计划完成时间": date(year, month, 30)})  # fmt: skip
    return rows


def _points(rng: random.Random, unit: str, n: int) -> list[dict[str, object]]:
    district, towns = UNITS[unit]
    rows: dict[str, dict[str, object]] = {}
    while len(rows) < n:
        town = rng.choice(towns)
        kind = rng.choice(CONTACT_POINT_TYPES)
        name = _point_name(rng, kind, town)
        rows.setdefault(name, {"联系点名称": name, "联系点类型": kind, "所在地": district + town})
    return list(rows.values())


def _activity_types(rng: random.Random, t: Targets) -> list[str]:
    lectures = [rng.choice(("理论宣讲", "主题团课")) for _ in range(t.lectures)]
    talks = [rng.choice(("集体座谈", "个别谈心")) for _ in range(t.talks)]
    research = ["调研"] * (2 if t.research_task else 0) + (["调研报告"] if t.report else [])
    extras = rng.sample(EXTRA_TYPES, rng.randint(1, 3)) + ["线上互动"] * rng.randint(2, 4)
    stays = ["驻点"] * int(t.days // 25)
    return [*lectures, *["走访基层"] * t.visits, *talks, *research,
            *["推动工作"] * t.push_acts, *extras, *stays]  # fmt: skip


def _activities(
    rng: random.Random,
    t: Targets,
    year: int,
    points: list[dict[str, object]],
    topic: str,
    works: list[str],
) -> list[dict[str, object]]:
    kinds = _activity_types(rng, t)
    counted = [i for i, kind in enumerate(kinds) if kind not in NOT_GRASSROOTS_DAYS]
    halves = _apportion(int(t.days * 2), [DAY_WEIGHTS.get(kinds[i], 0.5) for i in counted], 1)
    days: dict[int, float] = {i: h / 2 for i, h in zip(counted, halves, strict=True)}
    contact = [i for i, kind in enumerate(kinds) if kind in CONTACT_TYPES]
    youth = _apportion(t.youth, [YOUTH_WEIGHTS[kinds[i]] for i in contact], 1)
    cadres = _apportion(t.cadres, [CADRE_WEIGHTS[kinds[i]] for i in contact], 0)
    people = {i: (y, c) for i, y, c in zip(contact, youth, cadres, strict=True)}
    rows = []
    for i, kind in enumerate(kinds):
        point = rng.choice(points)
        day = _activity_date(rng, kind, year, t.report)
        young, leaders = people.get(i) or _bystanders(rng, kind)
        rows.append({
            "日期": day, "活动类型": kind, "联系点": point["联系点名称"],
            "地点": _place(rng, point), "青年人数": young, "团干部人数": leaders,
            "时长（天）": _number(days[i]) if i in days else NOT_GRASSROOTS_DAYS[kind],
            "内容摘要": _summary(rng, kind, str(point["联系点名称"]), topic, works),
            "佐证材料": _evidence(rng, kind),
        })  # fmt: skip
    return sorted(rows, key=lambda row: (_day(row["日期"]), str(row["活动类型"])))


def _bystanders(rng: random.Random, kind: str) -> tuple[object, object]:
    """青年人数 and 团干部人数 of a row that the contact quotas do not count."""
    if kind in ("理论宣讲", "主题团课"):
        return rng.randint(30, 120), rng.choice((None, rng.randint(2, 6)))
    if kind in ("调研报告", "推动工作"):
        return None, None
    return rng.randint(5, 40), rng.choice((None, 0, rng.randint(1, 3)))


def _activity_date(rng: random.Random, kind: str, year: int, report: date | None) -> date:
    last = date(year, 11, 20)
    if kind == "调研报告" and report:
        return report
    if kind == "调研":
        return _day_between(rng, date(year, 3, 1), (report or last) - timedelta(days=14))
    return _day_between(rng, date(year, 1, 8), last)


def _youth(rng: random.Random, t: Targets, year: int, unit: str) -> list[dict[str, object]]:
    count = t.key_youth + t.other_youth
    rows: list[dict[str, object]] = []
    for number, name in enumerate(_unique_names(rng, count)):
        domain = rng.choice(YOUTH_FIELDS)
        first = _day_between(rng, date(year, 1, 5), date(year, 10, 31))
        rows.append({
            "姓名": name, "领域": domain, "工作单位或学校": _workplace(rng, domain, unit),
            "联系方式": _phone(rng), "联系渠道": rng.choice(("线上", "线下")),
            "首次联系日期": first, "最近联系日期": _day_between(rng, first, date(year, 11, 20)),
            "重点联系": "是" if number < t.key_youth else "否",
        })  # fmt: skip
    rng.shuffle(rows)
    return rows


def _break(rng: random.Random, content: LedgerContent, role: str, year: int) -> str:
    """Spoil a malformed cadre's content on purpose; return where, for the manifest."""
    if role == "no-unit":
        content.info["单位"] = None
        return f"基本信息!B{BASIC_INFO.field_names.index('单位') + 1} 单位为空"
    if role != "bad-values":
        return ""
    rows = content.activities
    day, kind, young = rng.sample(range(len(rows)), 3)
    rows[day]["日期"] = f"{year}年2月30日"
    rows[kind]["活动类型"] = "慰问走访"
    rows[young]["青年人数"] = -12
    cells = [f"{_column('日期')}{day + 2}", f"{_column('活动类型')}{kind + 2}",
             f"{_column('青年人数')}{young + 2}"]  # fmt: skip
    return "活动记录!" + "、".join(cells) + "：不存在的日期、未知活动类型、负的青年人数"


def _column(header: str) -> str:
    return column_letter(ACTIVITIES.field_names.index(header))


def _as_of(content: LedgerContent, cutoff: date, filed: date) -> LedgerContent:
    """The same ledger as it stood earlier in the year: fewer activities and contacts."""
    youth = [
        {**row, "最近联系日期": min(_day(row["最近联系日期"]), cutoff)}
        for row in content.youth
        if _day(row["首次联系日期"]) <= cutoff
    ]
    return LedgerContent(
        info={**content.info, "填报日期": filed},
        tasks=content.tasks,
        points=content.points,
        activities=[row for row in content.activities if _day(row["日期"]) <= cutoff],
        youth=youth,
    )


def _make_messy(content: LedgerContent, style: str) -> LedgerContent:
    """Retype some values the way people do (text dates, full-width digits, stray spaces)."""
    info = dict(content.info)
    rows = [dict(row) for row in content.activities]
    if style in DATE_STYLES:
        for row in rows[::3]:
            row["日期"] = _date_text(_day(row["日期"]), style)
        info["填报日期"] = _date_text(_day(info["填报日期"]), style)
    elif style == "fullwidth":
        for row in rows[::2]:
            if isinstance(row["青年人数"], int):
                row["青年人数"] = str(row["青年人数"]).translate(FULL_WIDTH)
    elif style == "suffix":
        for row in rows[::2]:
            if isinstance(row["团干部人数"], int):
                row["团干部人数"] = f"{row['团干部人数']}人"
    elif style in ("space", "ideographic-space"):
        pad = " " if style == "space" else "\u3000"
        info["姓名"] = f"{pad}{info['姓名']}{pad}"
    elif style == "equals":
        rows[0]["内容摘要"] = "=座谈会记录见附件"
        rows[1]["佐证材料"] = "=SUM(照片3张)"
    return dataclasses.replace(content, info=info, activities=rows)


def _date_text(day: date, style: str) -> str:
    return DATE_STYLES[style].format(y=day.year, m=day.month, d=day.day)


def _write(content: LedgerContent, path: Path, filed: date) -> None:
    _touch(fill_ledger(content, path), filed)


def _touch(path: Path, day: date) -> None:
    """Give the file a plausible modification time: the day it was filed."""
    stamp = datetime(day.year, day.month, day.day, 10).timestamp()
    os.utime(path, (stamp, stamp))


def _file_name(rng: random.Random, cadre: Cadre, year: int, used: set[str]) -> str:
    if (cadre.unit, cadre.position) == GENERIC_AT:
        name = GENERIC_NAME
    else:
        name = rng.choice(FILE_PATTERNS).format(unit=cadre.unit, name=cadre.name, year=year)
    if name in used:
        raise AssertionError(f"demo file name used twice: {name}")
    used.add(name)
    return name


def _not_a_workbook(cadre: Cadre) -> str:
    """What a clerk gets when someone renames a CSV export to .xlsx."""
    return f"姓名,单位,日期,活动类型\n{cadre.name},{cadre.unit},2026-03-05,走访基层\n"


def _apportion(total: int, weights: list[float], floor: int) -> list[int]:
    """Split ``total`` into integers of at least ``floor``, roughly by ``weights``, exactly."""
    rest = total - floor * len(weights)
    if rest < 0 or not weights:
        raise ValueError(f"cannot split {total} into {len(weights)} parts of at least {floor}")
    shares = [rest * w / sum(weights) for w in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(parts)), key=lambda i: parts[i] - shares[i])
    for i in by_remainder[: rest - sum(parts)]:
        parts[i] += 1
    return [floor + part for part in parts]


def _day(value: object) -> date:
    """A date this module put into a row itself (before any retyping)."""
    if not isinstance(value, date):
        raise TypeError(f"expected a date, got {value!r}")
    return value


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _number(value: float) -> float | int:
    return int(value) if value == int(value) else value


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def _unique_names(rng: random.Random, count: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < count:
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        names.setdefault(rng.choice(SURNAMES) + given, None)
    return list(names)


# Vocabulary: plausible but fictional places, organisations and wording.

QUOTA_LABELS = {
    "points": "联系点数", "key_youth": "重点联系青年", "lectures": "宣讲和团课",
    "visits": "走访基层", "days": "基层天数", "youth": "面对面青年", "cadres": "谈心团干部",
    "report": "调研报告时限", "push_tasks": "推动工作任务", "push_acts": "推动工作活动",
}  # fmt: skip

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁魏薛叶余潘杜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玉飞鹏辉婷欣怡浩然涵萱博文雨轩思远佳琪鸣晨曦楠瑶"
DATE_STYLES = {"cn": "{y}年{m}月{d}日", "dot": "{y}.{m}.{d}", "slash": "{y}/{m}/{d}"}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
GENERIC_AT = ("团市委组织部", 1)
FILE_PATTERNS = (
    "{unit}-{name}-联系青年台账.xlsx", "{unit}-{name}-联系青年台账.xlsx",
    "{unit}-{name}-联系青年台账.xlsx", "{name}-联系青年工作台账{year}.xlsx",
    "{unit}{name}台账（年底）.xlsx", "联系青年工作台账（{name}）.xlsx",
)  # fmt: skip
UNITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "渭滨区团委": ("宝鸡市渭滨区", ("经二路街道", "清姜街道", "桥南街道", "姜谭路街道",
                                    "马营镇", "石鼓镇", "神农镇", "高家镇")),
    "金台区团委": ("宝鸡市金台区", ("中山东路街道", "西关街道", "东风路街道", "群众路街道",
                                    "陈仓镇", "蟠龙镇", "金河镇", "硖石镇")),
    "团市委组织部": ("宝鸡市", ("陈仓区虢镇街道", "凤翔区城关镇", "岐山县蔡家坡镇",
                                "眉县首善街道", "扶风县城关街道", "千阳县城关镇")),
}  # fmt: skip
_DISTRICT_TITLES = ("副书记", "组织部部长", "宣传部部长", "学少部部长", "青工农工部部长",
                    "办公室主任", "组织部干事", "宣传部干事", "权益部干事", "志工部干事")  # fmt: skip
TITLES = {
    "渭滨区团委": _DISTRICT_TITLES,
    "金台区团委": _DISTRICT_TITLES,
    "团市委组织部": ("部长", "副部长", "一级主任科员", "二级主任科员", "三级主任科员",
                     "四级主任科员", "一级科员", "一级科员", "二级科员", "干事"),
}  # fmt: skip
TOPICS = ("新兴领域青年群体思想状况", "农村青年返乡创业现状", "非公企业团建工作现状",
          "高校毕业生留宝就业意向", "青年婚恋交友需求", "社区青年参与基层治理情况",
          "中职学生团员发展质量", "网络青年群体特征与引导")  # fmt: skip
WORKS = ("规范“三会两制一课”", "做好团员发展和团籍注册", "建设青春驿站阵地",
         "组织“青年大学习”", "组建青年志愿服务队", "规范智慧团建信息录入",
         "开展青年就业技能培训")  # fmt: skip
LECTURE_TASK = "围绕习近平新时代中国特色社会主义思想和团的十九大精神，到联系点宣讲不少于4次"
TALK_TASK = "联系团干部、团员青年分类开展谈心谈话，面对面交流普通青年不少于100名、团干部不少于20名"
VILLAGES = ("新庄村", "王家村", "柳林村", "杨家沟村", "红星村", "马家湾村", "东岭村")
COMMUNITIES = ("滨河", "和平", "新民", "公园路", "汉中路", "银河", "十里铺")
SOCIETIES = ("青年志愿者协会", "青年创业联合会", "青年书画协会", "青年摄影协会")
NETWORKS = ("秦岭青年", "宝鸡青年说", "渭水青声", "青春宝鸡")
VENUES = ("党群服务中心", "团支部活动室", "会议室", "青年之家", "")
SUMMARIES = {
    "理论宣讲": ("在{point}宣讲习近平总书记关于青年工作的重要思想", "在{point}宣讲团的十九大精神"),
    "主题团课": ("为{point}团员讲授主题团课“青春心向党”", "为{point}讲授主题团课“强国有我”"),
    "走访基层": ("走访{point}，了解青年就业创业需求", "走访{point}团员青年，收集意见建议",
                 "走访{point}，指导团组织规范化建设"),
    "集体座谈": ("在{point}召开青年座谈会，倾听青年心声", "组织{point}团员青年座谈"),
    "个别谈心": ("与{point}团支部书记谈心谈话", "与{point}青年个别谈心，了解思想动态"),
    "调研": ("围绕“{topic}”到{point}实地调研", "就“{topic}”在{point}召开调研座谈会"),
    "调研报告": ("形成调研报告《关于{topic}的调研报告》",),
    "推动工作": ("指导{point}{work}", "推动{point}{work}"),
    "线上互动": ("在{point}微信群解答青年疑问", "线上回复{point}青年留言"),
    "驻点": ("驻点{point}，参与团组织日常工作",),
}  # fmt: skip
WORKPLACES = {
    "企业": ("宝鸡恒达机械有限公司", "宝鸡宏远物流有限公司", "秦川电子科技有限公司"),
    "机关": ("区人力资源和社会保障局", "区市场监督管理局", "镇人民政府"),
    "学校": ("宝鸡文理学院", "宝鸡职业技术学院", "宝鸡市第一中学"),
    "社会组织": ("宝鸡市青年志愿者协会", "渭水青年创业联合会"),
    "新媒体": ("自媒体创作者", "网络主播"),
    "其他": ("自由职业", "个体经营"),
}  # fmt: skip


def _point_name(rng: random.Random, kind: str, town: str) -> str:
    if kind == "团支部":
        return f"{town}{rng.choice(VILLAGES)}团支部"
    if kind == "社区团支部":
        return f"{town}{rng.choice(COMMUNITIES)}社区团支部"
    if kind == "青春驿站":
        return f"{town}青春驿站"
    if kind == "青年社会组织":
        return f"{town}{rng.choice(SOCIETIES)}"
    if kind == "青年网络组织":
        return f"“{rng.choice(NETWORKS)}”青年网络社群"
    return f"{town}青年之家"


def _place(rng: random.Random, point: dict[str, object]) -> str:
    if point["联系点类型"] == "青年网络组织":
        return "线上"
    return f"{point['所在地']}{rng.choice(VENUES)}"


def _summary(rng: random.Random, kind: str, point: str, topic: str, works: list[str]) -> str:
    default = ("参加{point}青年活动",) if kind != "志愿服务" else ("带领{point}青年开展志愿服务",)
    text = rng.choice(SUMMARIES.get(kind, default))
    return text.format(point=point, topic=topic, work=rng.choice(works) if works else "")


def _evidence(rng: random.Random, kind: str) -> str:
    if kind == "调研报告":
        return "调研报告全文"
    if kind == "线上互动":
        return f"聊天记录截图{rng.randint(2, 6)}张"
    if kind == "个别谈心":
        return "谈心谈话记录"
    text = rng.choice(
        ("照片{n}张、签到表", "照片{n}张", "签到表、会议记录", "照片{n}张、新闻稿链接")
    )
    return text.format(n=rng.randint(2, 8))


def _workplace(rng: random.Random, domain: str, unit: str) -> str:
    towns = UNITS[unit][1]
    if domain == "农村":
        return f"{rng.choice(towns)}{rng.choice(VILLAGES)}"
    if domain == "街道社区":
        return f"{rng.choice(towns)}{rng.choice(COMMUNITIES)}社区"
    return rng.choice(WORKPLACES[domain])
