"""The work the readers do on the files they have just typed: validation, and the figures.

A file's validation problems depend on nothing but the file, the as-of date and the assessment
year; its figures on the file, the rules, the period and the calendar. So each reader task
checks and measures the files it has just typed (on every core, while the run waits for reading
anyway) and the ledger keeps both under their contexts. The work is handed to the readers as
data (`Checking`), so ingest never imports validation or compute itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipeline import __version__
from pipeline.forms.spec import LEDGER
from pipeline.ingest import Batch, FileRead, batch_of
from pipeline.ingest.chunk import Checked
from pipeline.rules.model import Period, RuleSet


def check_context(as_of: date, year: int | None) -> str:
    """What a file's validation problems depend on besides the file: for caching them."""
    return f"lianxi {__version__}; as of {as_of.isoformat()}; year {year or ''}"


@dataclass(frozen=True)
class Measuring:
    """The rules and calendar the cadres' figures are measured under."""

    rule_set: RuleSet
    period: Period
    year: int
    as_of: date


@dataclass(frozen=True)
class Checking:
    """Validate files as read, and their typed rows, under one as-of date and year, and measure
    the ledgers' figures under ``measuring`` (if given): what `pipeline.ingest.chunk.pack` runs
    in the reader processes."""

    as_of: date
    year: int | None
    measuring: Measuring | None = None

    @property
    def context(self) -> str:
        return check_context(self.as_of, self.year)

    def __call__(self, reads: list[FileRead], sheets: Mapping[str, pd.DataFrame]) -> Checked:
        from pipeline.validate import validate  # pandera: only where a check runs

        batch = batch_of(reads, sheets)
        problems = validate(batch, as_of=self.as_of, year=self.year)
        return Checked(problems, [] if self.measuring is None else _measured(self.measuring, batch))


def _measured(measuring: Measuring, batch: Batch) -> list[object]:
    """The figures of the batch's ledgers that have a 基本信息 (any other is never current);
    none if measuring fails on something unforeseen: the run then measures what it needs."""
    from pipeline.compute import figures_context, measure
    from pipeline.compute.figures import Measured
    from pipeline.submissions import current_cadres, current_sheets

    info = batch.sheets[LEDGER.sheets[0].name]
    ledgers = batch.files.index[batch.files["template_id"] == LEDGER.id]
    numbers = sorted(set(ledgers) & set(info["_file"]))
    if not numbers:
        return []
    calendar = (measuring.period, measuring.year, measuring.as_of)
    try:
        figures = measure(
            measuring.rule_set, *calendar, current_cadres(batch, numbers),
            current_sheets(batch, numbers), locate=batch.locate,
        )  # fmt: skip
    except Exception:
        return []
    context = figures_context(measuring.rule_set, *calendar)
    return [Measured(context, figures, batch.checksums(numbers))]
