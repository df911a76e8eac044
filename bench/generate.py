"""A seeded inbox of N realistic cadre ledgers and a roster, cached under bench/.cache/<seed>-<N>/.

Contents come from the demo generator (pipeline/demo/generator.py): its per-role targets, made
larger (~150 活动记录 and ~100 联系青年名册 rows), for distinct cadres in units of about a hundred.
Files are written into the template's own layout with xlsxwriter (the generator of the blank
templates, pipeline/forms/build.py), which is ~30× faster than filling with openpyxl, on every core.
File k depends only on the seed and k, so a smaller inbox links files from a larger cached one.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from multiprocessing import Pool
from pathlib import Path

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.demo import generator as demo
from pipeline.demo.fill import LedgerContent, fill_roster
from pipeline.forms import build
from pipeline.forms.spec import ACTIVITIES, LEDGER, META_SHEET, Kind, Sheet

YEAR = 2026
CADRES_PER_UNIT = 100
ROLES = {"compliant": 60, "borderline": 20, "deficient": 14, "severe": 4, "bad-values": 2}
MESSY_SHARE = 0.1  # text dates, full-width digits, "3人", stray spaces
ABSENT_SHARE = 0.02  # roster cadres who never submit: the 未报送名单
DONE = "complete"  # written last: a cache without it is regenerated
CACHE = Path(__file__).resolve().parent / ".cache"


@dataclasses.dataclass(frozen=True)
class Inbox:
    root: Path  # bench/.cache/<seed>-<N>
    files: int

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def extra(self) -> Path:
        """One more cadre's ledger, for the incremental measurement."""
        return self.root / "extra" / cadre_path(self.files)


def unit_name(k: int) -> str:
    return f"第{k // CADRES_PER_UNIT + 1:03d}团县委"


def cadre_name(k: int) -> str:
    """Unique within a unit (20 surnames × 5 given names for its 100 cadres)."""
    i = k % CADRES_PER_UNIT
    return demo.SURNAMES[i % 20] + demo.GIVEN[(i // 20 + 3 * (k // CADRES_PER_UNIT)) % 40]


def cadre_path(k: int) -> str:
    return f"{unit_name(k)}/{unit_name(k)}-{cadre_name(k)}-联系青年台账.xlsx"


def ensure_inbox(seed: int, files: int, workers: int) -> tuple[Inbox, bool]:
    """The cached inbox of ``files`` ledgers; True when it had to be generated now."""
    inbox = Inbox(CACHE / f"{seed}-{files}", files)
    if (inbox.root / DONE).exists():
        return inbox, False
    inbox.inbox.mkdir(parents=True, exist_ok=True)
    donors = [p / "inbox" for p in CACHE.glob(f"{seed}-*") if (p / DONE).exists()]
    jobs = [(seed, k, str(inbox.inbox), [str(d) for d in donors]) for k in range(files)]
    jobs.append((seed, files, str(inbox.extra.parents[1]), []))
    with Pool(workers) as pool:
        for _ in pool.imap_unordered(_write_cadre, jobs, chunksize=64):
            pass
    roster = inbox.inbox / demo.ROSTER_NAME
    roster.unlink(missing_ok=True)
    fill_roster(_roster(files), roster)
    (inbox.root / DONE).write_text(f"{files} ledgers, seed {seed}\n", encoding="utf-8")
    return inbox, True


def _roster(files: int) -> list[dict[str, object]]:
    absent = round(files * ABSENT_SHARE)
    return [
        {"姓名": cadre_name(k), "单位": unit_name(k), "干部类别": "专职", "职务": "干事",
         "参加考核": "是", "联系电话": f"0917{k:07d}"}
        for k in range(files + 1 + absent)  # the incremental cadre, then those who never submit
    ]  # fmt: skip


def _write_cadre(job: tuple[int, int, str, Sequence[str]]) -> None:
    seed, k, folder, donors = job
    target = Path(folder) / cadre_path(k)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    for donor in donors:
        if (Path(donor) / cadre_path(k)).exists():
            os.link(Path(donor) / cadre_path(k), target)
            return
    rng = random.Random(seed * 1_000_003 + k)
    content, filed = cadre_content(rng, k)
    partial = target.with_name(f".{target.name}.part")
    write_ledger(content, partial)
    stamp = datetime(filed.year, filed.month, filed.day, 10).timestamp()
    os.utime(partial, (stamp, stamp))
    os.replace(partial, target)


def cadre_content(rng: random.Random, k: int) -> tuple[LedgerContent, date]:
    """The demo generator's ledger for one cadre, made as large as a full year's."""
    role = rng.choices(list(ROLES), weights=list(ROLES.values()))[0]
    shape_unit = list(demo.UNITS)[k % len(demo.UNITS)]
    cadre = demo.Cadre(shape_unit, k, cadre_name(k), "专职", "是", "干事", demo._phone(rng), role)
    _, targets, _ = demo._targets(rng, role, YEAR)
    visits = targets.visits + rng.randint(105, 120)  # a year of weekly visits and more
    targets = dataclasses.replace(
        targets,
        visits=visits,
        other_youth=targets.other_youth + rng.randint(80, 88),
        days=max(targets.days, visits / 2 + 20),
        youth=max(targets.youth, visits + 20),
    )  # every row needs at least half a day and one young person
    filed = date(YEAR, 11, rng.randint(21, 28))
    content = demo._ledger(rng, cadre, targets, YEAR, filed)
    _distinct(content.activities)
    demo._break(rng, content, role, YEAR)
    content.info["单位"] = unit_name(k)
    if rng.random() < MESSY_SHARE and role != "bad-values":  # text dates would hide its 2月30日
        content = demo._make_messy(content, rng.choice([*sorted(demo.DATE_STYLES), "suffix"]))
    return content, filed


def _distinct(activities: list[dict[str, object]]) -> None:
    """A hundred visits drawn at random repeat one another; a cadre's real rows differ."""
    seen: set[tuple[object, ...]] = set()
    for n, row in enumerate(activities, start=1):
        key = tuple(row.get(name) for name in ACTIVITIES.unique_by)
        if key in seen:
            row["内容摘要"] = f"{row['内容摘要']}（第{n}条）"
        seen.add(tuple(row.get(name) for name in ACTIVITIES.unique_by))


def write_ledger(content: LedgerContent, path: Path) -> None:
    """The blank ledger template as build.py writes it, with ``content`` typed in."""
    workbook = Workbook(str(path), build.WORKBOOK_OPTIONS)
    workbook.set_properties({"title": LEDGER.title, "author": "lianxi", "created": build.CREATED})
    styles = build._Styles.add_to(workbook)
    build._write_instructions(workbook.add_worksheet(build.INSTRUCTIONS_SHEET), LEDGER, styles)
    tables = dict(zip([s.name for s in LEDGER.sheets[1:]],
                      (content.tasks, content.points, content.activities, content.youth), strict=True))  # fmt: skip
    for sheet in LEDGER.sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        if sheet.key_value:
            build._write_key_value(worksheet, sheet, styles)
            _fill(worksheet, sheet, [content.info], styles, key_value=True)
        else:
            build._write_table(worksheet, sheet, styles)
            _fill(worksheet, sheet, tables[sheet.name], styles, key_value=False)
    build._write_meta(workbook.add_worksheet(META_SHEET), LEDGER)
    workbook.close()


def _fill(
    worksheet: Worksheet, sheet: Sheet, rows: Sequence[Mapping[str, object]],
    styles: build._Styles, *, key_value: bool,
) -> None:  # fmt: skip
    for offset, row in enumerate(rows):
        for column, field in enumerate(sheet.fields):
            value = row.get(field.name)
            cell = (column, 1) if key_value else (offset + 1, column)
            date_format = styles.date if field.kind is Kind.DATE else None
            if isinstance(value, date):
                worksheet.write_datetime(
                    *cell, datetime.combine(value, datetime.min.time()), date_format
                )
            elif isinstance(value, int | float) and not isinstance(value, bool):
                worksheet.write_number(*cell, value)
            elif value is not None:
                worksheet.write_string(*cell, str(value))
