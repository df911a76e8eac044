"""Write stage front door: 汇总表, 排名, 回执 and run.json into one output folder, atomically."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from pipeline import processes
from pipeline.compute.assessment import Assessment
from pipeline.outcomes import FileOutcome
from pipeline.timings import stage
from pipeline.write.annotate import Annotators, Source, ready
from pipeline.write.briefing import write_briefing
from pipeline.write.files import write_text_atomic
from pipeline.write.pace import pace_notes
from pipeline.write.ranking import ranking_view, write_ranking
from pipeline.write.receipts import (
    annotate_receipts,
    remove_stale_receipts,
    write_receipt,
    write_receipt_index,
    write_receipts,
    write_receipts_at,
)
from pipeline.write.reminders import write_reminders
from pipeline.write.summary import write_summary
from pipeline.write.texts import compile_templates

__all__ = [
    "RANKING",
    "RECEIPTS_DIR",
    "RECEIPT_INDEX",
    "RUN_INFO",
    "SUMMARY",
    "Outputs",
    "compile_templates",
    "write_outputs",
    "write_ranking",
    "write_receipt",
    "write_receipt_index",
    "write_receipts_at",
    "write_run_info",
    "write_summary",
]

SUMMARY, RANKING, RECEIPT_INDEX, RUN_INFO = "汇总表.xlsx", "排名.xlsx", "回执清单.xlsx", "run.json"
RECEIPTS_DIR, REMINDERS_DIR, BRIEFING = "回执", "催交", "通报.html"
T = TypeVar("T")
SIDE_PROCESS_FILES = 2000  # from this many files 回执清单 and 排名 are written in a process of their own
EARLY_ANNOTATORS = 500  # from this many files new to the ledger the 批注回执 processes start early


class Outputs:
    """The write stage of one output folder, begun before the rest of the run ends.

    Beginning it starts the side process that writes 回执清单 and 排名 (for large runs), and
    the processes that make 批注回执 when many files are ``fresh`` (new to the ledger: some
    will come back annotated), so that their start-up overlaps validation; `index` writes 回执清单
    there and begins the 批注回执 as soon as the outcomes are known, overlapping the
    assessment; `finish` writes the rest.
    Use as a context manager.
    """

    def __init__(self, out_dir: Path, *, files: int, fresh: int = 0) -> None:
        self.out_dir = out_dir
        self._side = _side(files)
        self._side.submit(ready)  # start the process now: it imports this package meanwhile
        self._annotators = Annotators()
        if fresh >= EARLY_ANNOTATORS:
            self._annotators.start()
        # one thread waits on the processes making 批注回执, one writes the text receipts
        self._background = ThreadPoolExecutor(2)
        self._index: Future[Path] | None = None
        self._annotated: Future[list[Path]] | None = None
        self._outcomes: list[FileOutcome] = []

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *_: object) -> None:
        self._side.shutdown(cancel_futures=True)
        self._background.shutdown(cancel_futures=True)
        self._annotators.close()

    def index(
        self, outcomes: list[FileOutcome], sources: Mapping[str, Source] | None = None
    ) -> None:
        """Begin writing 回执清单 of ``outcomes`` and the 批注回执 of ``sources``, the submitted
        workbooks by display path: both overlap the assessment. `finish` writes the rest."""
        self._outcomes = outcomes
        self._index = self._side.submit(write_receipt_index, outcomes, self.out_dir / RECEIPT_INDEX)
        receipts = self.out_dir / RECEIPTS_DIR
        self._annotated = self._background.submit(
            annotate_receipts, outcomes, receipts, sources or {}, self._annotators
        )

    def finish(
        self, assessment: Assessment, *, run_info: dict[str, object], filing_unit: str = ""
    ) -> list[Path]:
        """Write every other output and return all the paths written (see `write_outputs`)."""
        assert self._index is not None and self._annotated is not None, "index() comes first"
        out_dir, outcomes = self.out_dir, self._outcomes
        with stage("write"):  # 排名 in the side process, 批注回执 in theirs: this one the rest
            ranking = _submit_pickled(  # first
                self._side, write_ranking, ranking_view(assessment), out_dir / RANKING
            )
            notes = pace_notes(assessment)
            # thousands of small files, mostly the kernel's work: beside 汇总表
            receipts = self._background.submit(
                write_receipts, outcomes, out_dir / RECEIPTS_DIR, notes=notes
            )
            summary = write_summary(assessment, out_dir / SUMMARY, filing_unit=filing_unit)
            reminders = write_reminders(assessment, out_dir / REMINDERS_DIR)
            briefing = write_briefing(assessment, out_dir / BRIEFING)
            written = receipts.result() + self._annotated.result()  # 批注回执 made meanwhile
            remove_stale_receipts(out_dir / RECEIPTS_DIR, written)
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
    with Outputs(out_dir, files=len(outcomes)) as outputs:
        outputs.index(outcomes, sources)
        return outputs.finish(assessment, run_info=run_info, filing_unit=filing_unit)


def _side(files: int) -> Executor:
    """A process for 回执清单 and 排名 when the run is large enough to repay starting one."""
    if files >= SIDE_PROCESS_FILES:
        return ProcessPoolExecutor(1, processes.context())
    return ThreadPoolExecutor(1)


def _submit_pickled(side: Executor, function: Callable[..., T], *args: object) -> Future[T]:
    """``side.submit(function, *args)``, the arguments pickled here and now for a process: the
    executor's own thread would pickle them beside this one's writing, the two taking turns
    at the interpreter (排名's 8 MB reached its process 0.13-0.19 s after being sent, against
    0.06 s pickled and unpickled alone)."""
    if not isinstance(side, ProcessPoolExecutor):
        return side.submit(function, *args)
    return side.submit(_unpickled, function, pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))


def _unpickled(function: Callable[..., T], data: bytes) -> T:
    return function(*pickle.loads(data))


def write_run_info(run_info: dict[str, object], path: Path) -> Path:
    """run.json: the run's counts, sorted and indented; dates and paths as their text."""
    text = json.dumps(run_info, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return write_text_atomic(path, text + "\n")
