"""Validation as the readers run it: what a file's problems depend on, and a picklable check.

A file's validation problems depend on nothing but the file, the as-of date and the assessment
year, so each reader task can check the files it has just typed (on every core, while the run
waits for reading anyway) and the ledger keeps the result under `check_context`. The check is
handed to the readers as data (`Checking`), so ingest never imports validation itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipeline import __version__
from pipeline.ingest import FileRead, batch_of
from pipeline.problems import Problem


def check_context(as_of: date, year: int | None) -> str:
    """What a file's validation problems depend on besides the file: for caching them."""
    return f"lianxi {__version__}; as of {as_of.isoformat()}; year {year or ''}"


@dataclass(frozen=True)
class Checking:
    """Validate files as read, and their typed rows, under one as-of date and year: the check
    `pipeline.ingest.chunk.pack` runs in the reader processes."""

    as_of: date
    year: int | None

    @property
    def context(self) -> str:
        return check_context(self.as_of, self.year)

    def __call__(
        self, reads: list[FileRead], sheets: Mapping[str, pd.DataFrame]
    ) -> dict[str, list[Problem]]:
        from pipeline.validate import validate  # pandera: only where a check runs

        return validate(batch_of(reads, sheets), as_of=self.as_of, year=self.year)
