"""一数一源: next year's ledger for each cadre, prefilled from their last accepted submission.

The stable facts carry over — 基本信息 (with the new 年度 and 填报日期 left blank), 基层联系点
and 联系青年名册 (without last year's contact dates) — so nobody types the same hundred names twice. The submissions come from the
workspace's ledger (state/), or, in a workspace without one, from reading the inbox again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.demo.fill import LedgerContent, fill_ledger
from pipeline.forms.spec import BASIC_INFO, CONTACT_POINTS, YOUTH_ROSTER, Kind
from pipeline.ingest import Batch, ingest
from pipeline.ledger import Ledger
from pipeline.ledger.store import DB_FILE
from pipeline.submissions import read_roster, reconcile
from pipeline.validate import validate
from pipeline.write.files import atomic_path
from pipeline.write.receipts import UNSAFE_NAME

CARRIED = ("姓名", "单位", "干部类别", "职务", "联系电话")
# Contact dates belong to the year they happened in: a ledger only accepts dates of its own year.
YOUTH_DATES = {f.name for f in YOUTH_ROSTER.fields if f.kind is Kind.DATE}
SKIPPED_PREFIXES = ("~$", ".")


def prefill(workspace: Path, year: int, out_dir: Path | None = None) -> list[Path]:
    """Write a prefilled ledger for ``year`` per cadre into ``out_dir`` (default outbox/{year}-预填)."""
    with submissions(workspace) as batch:
        problems = validate(batch, as_of=date(year, 1, 1))
        _, current = reconcile(batch, problems, read_roster(batch, problems))
        target = out_dir or workspace / "outbox" / f"{year}-预填"
        return [_write(carried_over(batch, number, year), target) for number in current]


@contextmanager
def submissions(workspace: Path) -> Iterator[Batch]:
    """Every file the workspace has received: from the ledger (open while the batch is used, its
    rows fetched as they are asked for), else read from the inbox."""
    if (workspace / "state" / DB_FILE).is_file():
        with Ledger(workspace) as ledger:
            yield ledger.batch()
        return
    paths = sorted(p for p in (workspace / "inbox").rglob("*")
                   if p.is_file() and not p.name.startswith(SKIPPED_PREFIXES))  # fmt: skip
    yield ingest([(str(p), p.relative_to(workspace).as_posix()) for p in paths])


def carried_over(batch: Batch, number: int, year: int) -> LedgerContent:
    """The stable facts of file ``number`` as next year's ledger content."""
    info = _rows(batch, BASIC_INFO.name, number)[0]
    return LedgerContent(
        info={**{k: info[k] for k in CARRIED if info.get(k) is not None}, "年度": year},
        points=_rows(batch, CONTACT_POINTS.name, number),
        youth=[{k: v for k, v in row.items() if k not in YOUTH_DATES}
               for row in _rows(batch, YOUTH_ROSTER.name, number)],
    )  # fmt: skip


def _rows(batch: Batch, sheet: str, number: int) -> list[dict[str, object]]:
    frame = batch.sheets[sheet]
    mine = frame[frame["_file"] == number].sort_values("_row")
    fields = [c for c in mine.columns if not c.startswith("_")]
    return [{f: _cell(row[f]) for f in fields} for row in mine.to_dict("records")]


def _cell(value: object) -> object:
    """A normalised value as a cadre would type it: dates as dates, blanks as nothing."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _write(content: LedgerContent, folder: Path) -> Path:
    unit, name = (str(content.info.get(k, "")) for k in ("单位", "姓名"))
    stem = UNSAFE_NAME.sub("_", f"{unit}-{name}-{content.info['年度']}年联系青年工作台账")
    path = folder / f"{stem.strip('. ') or '_'}.xlsx"
    with atomic_path(path) as temporary:
        fill_ledger(content, temporary)
    return path
