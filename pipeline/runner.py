"""The only module that knows the order of the stages: ingest → validate → compute → write."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.checking import Checking, Measuring
from pipeline.compute import (
    Assessment,
    Figures,
    assess,
    combine_figures,
    figures_context,
    follow_up,
    measure,
    unit_sheets,
)
from pipeline.forms.spec import LEDGER, ROSTER
from pipeline.inbox import RETURNED, Left, Taking, file_away, inbox_dir
from pipeline.ingest import Batch, ingest, receive
from pipeline.ingest.executors import executor_for
from pipeline.ingest.worker import FileRead
from pipeline.ledger import Ledger, Repeat, require_ledger, workspace_lock
from pipeline.ledger.archive import discard_unrecorded
from pipeline.ledger.checkpoint import checkpoint
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Problem
from pipeline.rules.loader import DEFAULT_RULES, load_rules
from pipeline.rules.model import Period, RuleSet
from pipeline.submissions import (
    current_cadres,
    current_sheets,
    read_roster,
    reconcile,
    unit_forms,
)
from pipeline.timings import stage
from pipeline.write import Outputs, compile_templates
from pipeline.write.annotate import Source
from pipeline.write.files import discard_temporaries

Settled = tuple[Batch, list[FileOutcome], pd.DataFrame | None, list[int]]
AHEAD_SHEETS = (LEDGER.sheets[0].name, ROSTER.sheets[0].name)  # 基本信息, 干部名册: every file's


@dataclass(frozen=True)
class RunOptions:
    workspace: Path
    rules: str = DEFAULT_RULES
    period: Period | None = None  # None: inferred from the as-of date
    as_of: date = field(default_factory=date.today)
    year: int | None = None  # None: the as-of date's year
    workers: int = field(default_factory=lambda: RunOptions.default_workers())
    wait: bool = False  # wait for another run on the workspace to end instead of refusing
    settle: float = 2.0  # seconds a file must be unmodified to be taken (unless a complete zip)
    executor: str = "local"  # where workbooks are read: local processes or "dask"
    scheduler: str | None = None  # the dask scheduler's address, with executor="dask"

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
    skipped: list[Left]  # left in the inbox for a later run
    repeats: list[Repeat] = field(default_factory=list)  # content already in the ledger
    received: int = 0  # files new to the ledger in this run


def infer_period(as_of: date) -> Period:
    """January: filing; February to October: mid-year progress; November on: year-end."""
    if as_of.month == 1:
        return Period.FILING
    return Period.MID_YEAR if as_of.month <= 10 else Period.YEAR_END


def check_files(paths: list[Path], *, as_of: date, workers: int = 2) -> dict[str, list[Problem]]:
    """Every problem of each file on its own (no roster, no run year)."""
    from pipeline.validate import validate

    batch = ingest([(str(p), str(p)) for p in paths], workers=workers)
    return validate(batch, as_of=as_of)


def run(
    options: RunOptions, progress: Callable[[FileRead], None] | None = None,
    read_all: Callable[[], None] | None = None,
) -> RunResult:  # fmt: skip
    """Archive and record what is new in the inbox, file it away, write outputs from the ledger.

    ``progress`` is called with each file as it is read, ``read_all`` once they all are.

    Each step can be killed and the run started again: archiving is by content, the ledger
    changes in transactions, moves are planned before they are made (tests/test_crash.py).
    """
    rule_set = load_rules(options.rules, options.workspace / "rules")
    inbox = inbox_dir(options.workspace)
    reader = executor_for(options.executor, workers=options.workers, scheduler=options.scheduler)
    with workspace_lock(options.workspace, wait=options.wait), Ledger(options.workspace) as ledger:
        # the old files' rows that reconciling needs, and their figures, while readers work
        context = figures_context(rule_set, options.run_period, options.run_year, options.as_of)
        ledger.decode_ahead(AHEAD_SHEETS, context)
        discard_unrecorded(ledger.archive, ledger.packs())
        # receipts beside returned files, half-written by a killed run (已处理 has none: at a
        # province's scale it holds every file of the year, not worth walking)
        discard_temporaries(inbox / RETURNED)
        taking = Taking(inbox, ledger.archive, settle=options.settle, known=ledger.originals())
        jobs = ((arrival.archived, display) for arrival, display in ledger.fresh(taking))
        measuring = Measuring(rule_set, options.run_period, options.run_year, options.as_of)
        check = Checking(options.as_of, options.run_year, measuring)  # in the readers
        # while this process waits for its readers: the templates the outputs are rendered from
        threading.Thread(target=compile_templates, daemon=True).start()
        # one transaction: each task's rows are stored as it arrives, the rest once all are read
        with ledger.recording(check.context) as recording:
            with stage("archive and read"):  # each original is read while the next are kept
                received = receive(
                    jobs, progress=progress, executor=reader, expected=taking.expected,
                    check=check, store=recording.store,
                )  # fmt: skip
            if read_all is not None:
                read_all()
            intake = taking.intake
            checkpoint("archived")
            with stage("record"):
                repeats = recording.finish(intake.arrivals, received)
        checkpoint("recorded")
        # the side process starts after reading: beside a rerun's one reader it would slow both
        with _outputs(options, ledger.size(), fresh=len(received.reads)) as outputs:
            settled = _settle(options, ledger)
            checkpoint("settled")
            _begin_receipts(outputs, settled)  # beside filing away and the assessment
            with stage("file away"):
                file_away(ledger, {o.sha256: o for o in settled[1]}, intake.arrivals)
            checkpoint("filed")
            result = _assess_and_write(options, rule_set, ledger, settled, intake.left, outputs)
    return replace(result, repeats=repeats, received=len(received.reads))


def rebuild(options: RunOptions) -> RunResult:
    """Every output again from the ledger alone: no workbook is read, no inbox file is moved."""
    rule_set = load_rules(options.rules, options.workspace / "rules")
    require_ledger(options.workspace)
    with (
        workspace_lock(options.workspace, wait=options.wait),
        Ledger(options.workspace) as ledger,
        _outputs(options, ledger.size()) as outputs,
    ):
        settled = _settle(options, ledger)
        _begin_receipts(outputs, settled)
        return _assess_and_write(options, rule_set, ledger, settled, [], outputs)


def _outputs(options: RunOptions, files: int, fresh: int = 0) -> Outputs:
    """The run's output folder, cleared of what killed runs half-wrote, its writing begun
    (``fresh``: the files new to the ledger, `Outputs`)."""
    out_dir = options.workspace / "outbox" / f"{options.run_year}-{options.run_period.value}"
    discard_temporaries(out_dir)
    return Outputs(out_dir, files=files, fresh=fresh)


def _settle(options: RunOptions, ledger: Ledger) -> Settled:
    """Validate every file the ledger holds, decide each one's fate and record it."""
    with stage("load"):
        batch = ledger.batch()
    with stage("validate"):
        problems = _validated(Checking(options.as_of, options.run_year), ledger, batch)
    with stage("reconcile"):
        roster = read_roster(batch, problems)
        outcomes, current = reconcile(batch, problems, roster)
        ledger.record_outcomes(outcomes)
    return batch, outcomes, roster, current


def _validated(check: Checking, ledger: Ledger, batch: Batch) -> dict[str, list[Problem]]:
    """Every file's problems: those the ledger keeps under the same check (most found by the
    readers), the rest validated now and kept."""
    known = ledger.checked(check.context, batch)
    displays = batch.files["display"].tolist()
    if len(known) == len(displays):  # pandera is not even imported
        return {display: known[display] for display in displays}
    from pipeline.validate import validate

    problems = validate(batch, as_of=check.as_of, year=check.year, known=known)
    ledger.record_checked(check.context, batch, {d: p for d, p in problems.items() if d not in known})
    return problems


def _begin_receipts(writer: Outputs, settled: Settled) -> None:
    """Begin 回执清单 and the 批注回执 as soon as every file's outcome is known."""
    batch, outcomes, _, _ = settled
    writer.index(outcomes, workbook_sources(batch, {o.file for o in outcomes if o.needs_receipt}))


def _assess_and_write(
    options: RunOptions, rule_set: RuleSet, ledger: Ledger, settled: Settled, skipped: list[Left],
    writer: Outputs,
) -> RunResult:  # fmt: skip
    batch, outcomes, roster, current = settled
    period, year, as_of = options.run_period, options.run_year, options.as_of
    with stage("assess"):
        cadres = current_cadres(batch, current)
        figures = _figures(options, rule_set, ledger, batch, cadres)
        sheets = current_sheets(batch, current, only=unit_sheets(rule_set, period, year, as_of))
        sheets |= unit_forms(batch, outcomes)
        assessment = assess(
            rule_set, period, year, as_of, cadres, sheets, roster, locate=batch.locate,
            figures=figures,
        )  # fmt: skip
        assessment = follow_up(assessment, outcomes, roster)
    outputs = writer.finish(
        assessment, run_info=_run_info(options, outcomes, assessment, skipped)
    )
    return RunResult(writer.out_dir, outputs, outcomes, assessment, skipped)


def _figures(
    options: RunOptions, rule_set: RuleSet, ledger: Ledger, batch: Batch, cadres: pd.DataFrame
) -> Figures:
    """The cadres' figures: those the ledger kept under the same rules and dates, the rest
    measured now from their rows (and kept for the next run)."""
    period, year, as_of = options.run_period, options.run_year, options.as_of
    context = figures_context(rule_set, period, year, as_of)
    kept = ledger.figures(context, batch, cadres.index)
    todo = cadres.index.difference(kept.files)
    if todo.empty:  # the readers measured them all: measuring none costs pandas 40 ms
        return combine_figures([kept], rule_set, period, year, as_of)
    fresh = measure(
        rule_set, period, year, as_of, cadres.loc[todo], current_sheets(batch, list(todo)),
        locate=batch.locate,
    )  # fmt: skip
    ledger.record_figures(context, batch, fresh)
    return combine_figures([kept, fresh], rule_set, period, year, as_of)


def workbook_sources(batch: Batch, displays: set[str]) -> dict[str, Source]:
    """The path as read and the fields' anchors of each recognised file of ``displays``, for
    the 批注回执 (only files that get a receipt can come back annotated)."""
    files = batch.files[batch.files["display"].isin(displays)]
    return {
        str(display): Source(
            str(path), template_id,
            {sheet: anchors[number] for sheet, anchors in batch.anchors.items() if number in anchors},
            str(sha256),
        )
        for number, display, path, template_id, sha256 in zip(
            files.index, files["display"], files["path"], files["template_id"], files["sha256"],
            strict=True,
        )
        if isinstance(template_id, str)
    }  # fmt: skip


def _run_info(
    options: RunOptions, outcomes: list[FileOutcome], assessment: Assessment, skipped: list[Left]
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
