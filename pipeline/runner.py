"""The only module that knows the order of the stages: ingest → validate → compute → write."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.compute import Assessment, assess
from pipeline.errors import PipelineError
from pipeline.ingest import ingest
from pipeline.ingest.worker import FileRead
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Problem
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period
from pipeline.submissions import current_frames, read_roster, reconcile
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
    workers: int = field(default_factory=lambda: RunOptions.default_workers())

    @staticmethod
    def default_workers() -> int:
        return max(os.cpu_count() or 1, 1)

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
        raise PipelineError(
            f"找不到收件箱目录 {inbox}：请先运行 `lianxi init` 或创建 inbox/ 文件夹"
        )
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
    roster = read_roster(batch, problems)
    outcomes, current = reconcile(batch, problems, roster)
    cadres, sheets = current_frames(batch, current)
    assessment = assess(
        rule_set, options.run_period, options.run_year, options.as_of, cadres, sheets, roster
    )
    out_dir = options.workspace / "outbox" / f"{options.run_year}-{options.run_period.value}"
    outputs = write_outputs(
        assessment, outcomes, out_dir, run_info=_run_info(options, outcomes, assessment, skipped)
    )
    return RunResult(out_dir, outputs, outcomes, assessment, skipped)


def _run_info(
    options: RunOptions, outcomes: list[FileOutcome], assessment: Assessment, skipped: list[str]
) -> dict[str, object]:
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
