"""Write stage front door: 汇总表, 排名, 回执 and run.json into one output folder, atomically."""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pipeline.compute.assessment import Assessment
from pipeline.outcomes import FileOutcome
from pipeline.timings import stage
from pipeline.write.annotate import Source
from pipeline.write.briefing import write_briefing
from pipeline.write.files import write_text_atomic
from pipeline.write.pace import pace_notes
from pipeline.write.ranking import write_ranking
from pipeline.write.receipts import write_receipt, write_receipt_index, write_receipts
from pipeline.write.reminders import write_reminders
from pipeline.write.summary import write_summary

__all__ = [
    "RANKING",
    "RECEIPTS_DIR",
    "RECEIPT_INDEX",
    "RUN_INFO",
    "SUMMARY",
    "Outputs",
    "write_outputs",
    "write_ranking",
    "write_receipt",
    "write_receipt_index",
    "write_run_info",
    "write_summary",
]

SUMMARY, RANKING, RECEIPT_INDEX, RUN_INFO = "汇总表.xlsx", "排名.xlsx", "回执清单.xlsx", "run.json"
RECEIPTS_DIR, REMINDERS_DIR, BRIEFING = "回执", "催交", "通报.html"
SIDE_PROCESS_CADRES = 2000  # from this many cadres 排名 is written in a process of its own


class Outputs:
    """The write stage of one output folder, begun before compute ends.

    Beginning it starts the process that writes 回执清单 (it needs only the outcomes) and then
    排名, so that the process's start-up and the index overlap the assessment; `finish`
    writes the rest here. Use as a context manager.
    """

    def __init__(self, out_dir: Path, outcomes: list[FileOutcome], *, cadres: int) -> None:
        self.out_dir, self.outcomes = out_dir, outcomes
        self._side = _side(cadres)
        self._index = self._side.submit(write_receipt_index, outcomes, out_dir / RECEIPT_INDEX)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *_: object) -> None:
        self._side.shutdown(cancel_futures=True)

    def finish(
        self, assessment: Assessment, *, run_info: dict[str, object], filing_unit: str = "",
        sources: Mapping[str, Source] | None = None,
    ) -> list[Path]:  # fmt: skip
        """Write every other output and return all the paths written (see `write_outputs`)."""
        out_dir, outcomes = self.out_dir, self.outcomes
        notes = pace_notes(assessment)
        with stage("write"), ThreadPoolExecutor(1) as background:
            # the 批注回执 are made in child processes, 排名 in the side process: this one
            # writes the rest
            receipts = background.submit(
                write_receipts, outcomes, out_dir / RECEIPTS_DIR, sources=sources, notes=notes
            )
            ranking = self._side.submit(write_ranking, assessment, out_dir / RANKING)
            summary = write_summary(assessment, out_dir / SUMMARY, filing_unit=filing_unit)
            reminders = write_reminders(assessment, out_dir / REMINDERS_DIR)
            briefing = write_briefing(assessment, out_dir / BRIEFING)
            written = receipts.result()
            index, ranked = self._index.result(), ranking.result()
        run = write_run_info(run_info, out_dir / RUN_INFO)
        return [summary, ranked, briefing, *written, *reminders, index, run]


def write_outputs(
    assessment: Assessment,
    outcomes: list[FileOutcome],
    out_dir: Path,
    *,
    run_info: dict[str, object],
    filing_unit: str = "",
    sources: Mapping[str, Source] | None = None,
) -> list[Path]:
    """Write every output of a run into ``out_dir`` and return the paths written.

    Each file is replaced atomically; run.json is written last, so its presence with this run's
    counts says the other files are complete. ``sources`` are the submitted workbooks, by
    display path, that come back annotated (批注回执) when they have problems.
    """
    with Outputs(out_dir, outcomes, cadres=len(assessment.cadres)) as outputs:
        return outputs.finish(
            assessment, run_info=run_info, filing_unit=filing_unit, sources=sources
        )


def _side(cadres: int) -> Executor:
    """A process for 回执清单 and 排名 when the run is large enough to repay starting one."""
    if cadres >= SIDE_PROCESS_CADRES:
        return ProcessPoolExecutor(1, get_context("spawn"))
    return ThreadPoolExecutor(1)


def write_run_info(run_info: dict[str, object], path: Path) -> Path:
    """run.json: the run's counts, sorted and indented; dates and paths as their text."""
    text = json.dumps(run_info, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return write_text_atomic(path, text + "\n")
