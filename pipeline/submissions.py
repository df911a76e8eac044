"""From validated files to submissions: the roster, each file's fate, the current version per cadre.

A ledger without errors is accepted; among a cadre's accepted ledgers the latest 填报日期 wins,
then the latest received (file mtime), then the file name, so a rerun always picks the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.forms.spec import COUNTY_MONTHLY, LEDGER, ROSTER, Kind, Template
from pipeline.ingest import Batch, segment
from pipeline.ingest.normalise import as_datetimes, as_floats
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Location, Problem, has_errors

_FILE_FIELDS = ("display", "sha256", "template_id", "mtime")  # batch.files columns a _File takes


@dataclass(frozen=True)
class _File:
    number: int
    display: str
    sha256: str
    template_id: str | None
    name: str
    unit: str
    fill_date: pd.Timestamp | None
    mtime: float


def read_roster(batch: Batch, problems: dict[str, list[Problem]]) -> pd.DataFrame | None:
    """The union of the error-free rosters in the inbox; the newest file wins a duplicate row."""
    files = batch.files[batch.files["template_id"] == ROSTER.id]
    usable = [n for n, display in files["display"].items() if not has_errors(problems[display])]
    if not usable:
        return None
    rows = batch.sheets["干部名册"]
    rows = rows[rows["_file"].isin(usable)]
    rows = rows.assign(_mtime=rows["_file"].map(batch.files["mtime"])).sort_values("_mtime")
    rows = rows.drop_duplicates(["单位", "姓名"], keep="last")
    return pd.DataFrame({
        "name": rows["姓名"], "unit": rows["单位"], "category": rows["干部类别"],
        "post": rows["职务"].fillna(""), "phone": rows["联系电话"].fillna(""),
        "assessed": rows["参加考核"] == "是",
        "level": rows["职级"].fillna(""), "unit_type": rows["单位类别"].fillna(""),
    }).reset_index(drop=True)  # fmt: skip


def reconcile(
    batch: Batch, problems: dict[str, list[Problem]], roster: pd.DataFrame | None
) -> tuple[list[FileOutcome], list[int]]:
    """Each file's outcome, and the file numbers of the current submission of every cadre."""
    files = _files(batch)
    found = {f.display: list(problems[f.display]) for f in files}
    ledgers = [f for f in files if f.template_id == LEDGER.id]
    for f, problem in _roster_findings(batch, ledgers, roster):
        found[f.display].append(problem)
    accepted = [f for f in ledgers if not has_errors(found[f.display])]
    current: dict[tuple[str, str], _File] = {}
    for f in sorted(accepted, key=_recency):
        current[(f.unit, f.name)] = f
    chosen = {f.number for f in current.values()}
    outcomes = [_outcome(f, tuple(found[f.display]), chosen, current) for f in files]
    return outcomes, sorted(chosen)


def _files(batch: Batch) -> list[_File]:
    info = batch.sheets["基本信息"]
    numbers = info["_file"].tolist()  # dicts of lists: `to_dict` boxes a value at a time
    names, units = (dict(zip(numbers, info[c].tolist(), strict=True)) for c in ("姓名", "单位"))
    fills = dict(zip(numbers, info["填报日期"], strict=True))  # Timestamps, NaT where blank
    files = batch.files
    return [
        _File(
            number=int(n), display=display, sha256=sha256,
            template_id=template_id if isinstance(template_id, str) else None,
            name=_text(names.get(n)), unit=_text(units.get(n)),
            fill_date=_stamp(fills.get(n)), mtime=float(mtime),
        )
        for n, display, sha256, template_id, mtime in zip(
            files.index.tolist(), *(files[c].tolist() for c in _FILE_FIELDS), strict=True
        )
    ]  # fmt: skip


def _roster_findings(
    batch: Batch, ledgers: list[_File], roster: pd.DataFrame | None
) -> list[tuple[_File, Problem]]:
    if roster is None:
        return (
            [(ledgers[0], Problem("roster-missing", Location(ledgers[0].display)))]
            if ledgers
            else []
        )
    listed = set(zip(roster["unit"], roster["name"], strict=True))
    return [
        (
            f,
            Problem(
                "cadre-not-on-roster",
                batch.locate("基本信息", f.number, "姓名", 0),
                f"{f.unit} {f.name}",
            ),
        )
        for f in ledgers
        if f.name and f.unit and (f.unit, f.name) not in listed
    ]


def _recency(f: _File) -> tuple[pd.Timestamp, float, str]:
    return (f.fill_date or pd.Timestamp.min, f.mtime, f.display)


def _outcome(
    f: _File, problems: tuple[Problem, ...], chosen: set[int], current: dict[tuple[str, str], _File]
) -> FileOutcome:
    errors = has_errors(list(problems))
    if f.template_id == ROSTER.id and not errors:
        status = Status.ROSTER
    elif errors or f.template_id not in (LEDGER.id, COUNTY_MONTHLY.id):
        status = Status.RETURNED
    elif f.number in chosen or f.template_id == COUNTY_MONTHLY.id:  # unit forms merge by row
        status = Status.ACCEPTED_WITH_WARNINGS if problems else Status.ACCEPTED
    else:
        status = Status.SUPERSEDED
    newer = current[(f.unit, f.name)].display if status is Status.SUPERSEDED else ""
    fill_date = f.fill_date.date().isoformat() if f.fill_date is not None else ""  # not strftime
    return FileOutcome(f.display, f.sha256, status, f.name, f.unit, fill_date, problems, newer)


def current_cadres(batch: Batch, current: list[int]) -> pd.DataFrame:
    """The current submissions, one row per cadre, indexed by file number."""
    info = batch.sheets["基本信息"].set_index("_file").loc[current]
    return pd.DataFrame({
        "submission": batch.files.loc[current, "sha256"].str[:12],
        "file": batch.files.loc[current, "display"],
        "name": info["姓名"], "unit": info["单位"], "category": info["干部类别"],
        "post": info["职务"].fillna(""), "phone": info["联系电话"].fillna(""),
        "level": info["职级"].fillna(""), "unit_type": info["单位类别"].fillna(""),
    }, index=pd.Index(current, name="_file"))  # fmt: skip


def current_sheets(
    batch: Batch, files: list[int], only: set[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The ledger table rows of ``files``, typed; of the sheets in ``only`` when it is given."""
    return {
        spec.name: _typed(batch.rows(spec.name, files), spec.name)
        for spec in LEDGER.sheets
        if not spec.key_value and (only is None or spec.name in only)
    }


def unit_forms(batch: Batch, outcomes: list[FileOutcome]) -> dict[str, pd.DataFrame]:
    """The accepted monthly county forms' rows (推动情况), each with its form's 对接部门.

    A county's month reported in several files is taken from the newest (填报日期, then file time).
    """
    info_sheet, rows_sheet = (s.name for s in COUNTY_MONTHLY.sheets)
    accepted = {
        o.file for o in outcomes if o.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS)
    }
    files = batch.files[
        (batch.files["template_id"] == COUNTY_MONTHLY.id) & batch.files["display"].isin(accepted)
    ]
    info = batch.sheets[info_sheet].set_index("_file")
    rows = _typed(batch.rows(rows_sheet, list(files.index)), rows_sheet, COUNTY_MONTHLY)
    order = pd.DataFrame({
        "unit": rows["_file"].map(info["对接部门"]), "county": rows["县（市、区）"],
        "month": rows["月份"].dt.to_period("M"), "mtime": rows["_file"].map(files["mtime"]),
        "fill": rows["_file"].map(info["填报日期"]).fillna(pd.Timestamp.min),
    })  # fmt: skip
    newest = order.sort_values(["fill", "mtime"], kind="stable")
    kept = newest.drop_duplicates(["unit", "county", "month"], keep="last").index.sort_values()
    return {rows_sheet: rows.loc[kept].assign(对接部门=order["unit"])}


def _typed(rows: pd.DataFrame, sheet: str, template: Template = LEDGER) -> pd.DataFrame:
    """Validated object columns as real dtypes: dates as datetime64, numbers as float64.

    The text columns are the batch's own (not copied: millions of rows at a province's scale).
    """
    typed: dict[str, pd.Series] = {}
    for f in template.sheet(sheet).fields:
        kinds = segment.kinds_in(rows, f.name)
        if f.kind is Kind.DATE:
            typed[f.name] = as_datetimes(rows[f.name], kinds, segment.days_in(rows, f.name))
        elif f.kind in (Kind.INTEGER, Kind.NUMBER):
            typed[f.name] = as_floats(rows[f.name], kinds)
    kept = [name for name in rows.columns if not name.startswith(segment.KIND)]
    return pd.DataFrame({name: typed.get(name, rows[name]) for name in kept}, copy=False)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _stamp(value: object) -> pd.Timestamp | None:
    return value if isinstance(value, pd.Timestamp) else None
