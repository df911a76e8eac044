"""The only module that knows the order of the stages: ingest → validate → compute → write."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.compute import Assessment, assess
from pipeline.errors import PipelineError
from pipeline.forms.spec import LEDGER
from pipeline.ingest import Batch, ingest
from pipeline.ingest.worker import FileRead
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Location, Problem, has_errors
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period
from pipeline.validate import validate
from pipeline.write import write_outputs

SKIPPED_PREFIXES = ("~$", ".")  # Excel owner files, hidden and temporary files
ARCHIVE_DIRS = ("已处理", "退回")


@dataclass(frozen=True)
class RunOptions:
    workspace: Path
    rules: str = "baoji-2018"
    period: Period | None = None  # None: inferred from the as-of date
    as_of: date = field(default_factory=date.today)
    year: int | None = None  # None: the as-of date's year
    workers: int = max(os.cpu_count() or 1, 1)

    @property
    def run_year(self) -> int:
        return self.year or self.as_of.year

    @property
    def run_period(self) -> Period:
        return self.period or infer_period(self.as_of)


@dataclass(frozen=True)
class RunResult:
    out_dir: Path
    outputs: list[Path]
    outcomes: list[FileOutcome]
    assessment: Assessment
    skipped: list[str]


def infer_period(as_of: date) -> Period:
    """January: filing; February to October: mid-year progress; November on: year-end."""
    if as_of.month == 1:
        return Period.FILING
    return Period.MID_YEAR if as_of.month <= 10 else Period.YEAR_END


def inbox_files(inbox: Path) -> tuple[list[Path], list[str]]:
    """Files to read, and the names left alone (owner files, hidden files) with the reason."""
    if not inbox.is_dir():
        raise PipelineError(f"找不到收件箱目录 {inbox}：请先运行 `lianxi init` 或创建 inbox/ 文件夹")
    files, skipped = [], []
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if not path.is_file() or relative.parts[0] in ARCHIVE_DIRS:
            continue
        if path.name.startswith(SKIPPED_PREFIXES):
            skipped.append(f"{relative}：临时文件或 Excel 正在打开时的锁定文件，已跳过")
            continue
        files.append(path)
    return files, skipped


def check_files(paths: list[Path], *, as_of: date, workers: int = 2) -> dict[str, list[Problem]]:
    """Every problem of each file on its own (no roster, no run year)."""
    batch = ingest([(str(p), str(p)) for p in paths], workers=workers)
    return validate(batch, as_of=as_of)


def run(options: RunOptions, progress: Callable[[FileRead], None] | None = None) -> RunResult:
    rule_set = load_rules(options.rules, options.workspace / "rules")
    paths, skipped = inbox_files(options.workspace / "inbox")
    jobs = [(str(p), str(p.relative_to(options.workspace))) for p in paths]
    batch = ingest(jobs, workers=options.workers, progress=progress)
    problems = validate(batch, as_of=options.as_of, year=options.run_year)
    roster = _roster(batch, problems)
    outcomes, current = _reconcile(batch, problems, roster)
    cadres, sheets = _current_frames(batch, current)
    assessment = assess(rule_set, options.run_period, options.run_year, options.as_of, cadres, sheets, roster)
    out_dir = options.workspace / "outbox" / f"{options.run_year}-{options.run_period.value}"
    outputs = write_outputs(assessment, outcomes, out_dir, run_info=_run_info(options, outcomes, assessment, skipped))
    return RunResult(out_dir, outputs, outcomes, assessment, skipped)


def _files_of(batch: Batch, template_id: str) -> pd.DataFrame:
    return batch.files[batch.files["template_id"] == template_id]


def _roster(batch: Batch, problems: dict[str, list[Problem]]) -> pd.DataFrame | None:
    """The union of all error-free rosters in the inbox; the newest file wins a duplicate."""
    usable = [n for n, f in _files_of(batch, "roster").iterrows() if not has_errors(problems[f["display"]])]
    if not usable:
        return None
    rows = batch.sheets["干部名册"]
    rows = rows[rows["_file"].isin(usable)].assign(_mtime=lambda r: r["_file"].map(batch.files["mtime"]))
    rows = rows.sort_values("_mtime").drop_duplicates(["单位", "姓名"], keep="last")
    return pd.DataFrame({
        "name": rows["姓名"], "unit": rows["单位"], "category": rows["干部类别"], "post": rows["职务"].fillna(""),
        "phone": rows["联系电话"].fillna(""), "assessed": rows["参加考核"] == "是",
    }).reset_index(drop=True)  # fmt: skip


def _reconcile(
    batch: Batch, problems: dict[str, list[Problem]], roster: pd.DataFrame | None
) -> tuple[list[FileOutcome], list[int]]:
    """Each file's fate; the current submission per cadre (latest 填报日期, then latest received)."""
    info = batch.sheets["基本信息"].set_index("_file")
    files = batch.files.join(info[["姓名", "单位", "填报日期"]])
    files["_problems"] = files["display"].map(lambda d: list(problems[d]))
    ledgers = files[files["template_id"] == LEDGER.id]
    if roster is not None:
        listed = set(zip(roster["unit"], roster["name"], strict=True))
        for n, f in ledgers.iterrows():
            if (f["单位"], f["姓名"]) not in listed and pd.notna(f["姓名"]) and pd.notna(f["单位"]):
                files.at[n, "_problems"].append(Problem("cadre-not-on-roster", Location(f["display"], "基本信息", batch.locate("基本信息", n, "姓名", 0).cell), f"{f['单位']} {f['姓名']}"))
    elif len(ledgers):
        first = ledgers.iloc[0]["display"]
        files.at[ledgers.index[0], "_problems"].append(Problem("roster-missing", Location(first)))
    accepted = ledgers[~ledgers["_problems"].map(has_errors)]
    ordered = accepted.assign(_date=pd.to_datetime(accepted["填报日期"])).sort_values(
        ["_date", "mtime", "display"], na_position="first"
    )
    latest = ordered.drop_duplicates(["单位", "姓名"], keep="last")
    newest = dict(zip(zip(latest["单位"], latest["姓名"], strict=True), latest["display"], strict=True))
    outcomes = [_outcome(f, set(latest.index), newest) for _, f in files.assign(_n=files.index).iterrows()]
    return outcomes, sorted(latest.index)


def _outcome(f: pd.Series, current: set[int], newest: dict[tuple[str, str], str]) -> FileOutcome:
    problems = tuple(f["_problems"])
    if f["template_id"] == "roster" and not has_errors(list(problems)):
        status = Status.ROSTER
    elif has_errors(list(problems)) or f["template_id"] != LEDGER.id:
        status = Status.RETURNED
    elif f["_n"] in current:
        status = Status.ACCEPTED_WITH_WARNINGS if problems else Status.ACCEPTED
    else:
        status = Status.SUPERSEDED
    fill_date = f["填报日期"].strftime("%Y-%m-%d") if isinstance(f["填报日期"], pd.Timestamp) else ""
    superseded_by = newest.get((f["单位"], f["姓名"]), "") if status is Status.SUPERSEDED else ""
    return FileOutcome(
        file=f["display"], sha256=f["sha256"], status=status, name=_text(f["姓名"]), unit=_text(f["单位"]),
        fill_date=fill_date, problems=problems, superseded_by=superseded_by,
    )  # fmt: skip


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _current_frames(batch: Batch, current: list[int]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The accepted current submissions: one row per cadre, and their typed table rows."""
    info = batch.sheets["基本信息"].set_index("_file").loc[current]
    cadres = pd.DataFrame({
        "submission": batch.files.loc[current, "sha256"].str[:12], "file": batch.files.loc[current, "display"],
        "name": info["姓名"], "unit": info["单位"], "category": info["干部类别"],
        "post": info["职务"].fillna(""), "phone": info["联系电话"].fillna(""),
    }, index=pd.Index(current, name="_file"))  # fmt: skip
    sheets = {}
    for spec in LEDGER.sheets:
        if not spec.key_value:
            frame = batch.sheets[spec.name]
            sheets[spec.name] = _typed(frame[frame["_file"].isin(current)], spec.name)
    return cadres, sheets


def _typed(frame: pd.DataFrame, sheet: str) -> pd.DataFrame:
    """Validated object columns as real dtypes: dates as datetime64, numbers as float64."""
    spec = LEDGER.sheet(sheet)
    typed = frame.copy()
    for f in spec.fields:
        if f.kind.value == "date":
            typed[f.name] = pd.to_datetime(typed[f.name])
        elif f.kind.value in ("integer", "number"):
            typed[f.name] = pd.to_numeric(typed[f.name]).astype("float64")
    return typed


def _run_info(options: RunOptions, outcomes: list[FileOutcome], assessment: Assessment, skipped: list[str]) -> dict[str, object]:
    counts = {status.name.lower(): sum(o.status is status for o in outcomes) for status in Status}
    graded = assessment.cadres[assessment.cadres["grade"] != ""]
    grades = {str(k): int(v) for k, v in graded["grade"].value_counts().items()}
    return {
        "rules": assessment.rule_set.id, "rules_version": assessment.rule_set.version,
        "year": options.run_year, "period": options.run_period.value, "as_of": options.as_of.isoformat(),
        "files_read": len(outcomes), "files_skipped": len(skipped), "outcomes": counts,
        "cadres_assessed": int(assessment.cadres["assessed"].sum()), "grades": grades,
        "interviews": len(assessment.interviews), "missing": len(assessment.missing),
    }  # fmt: skip
