"""Write stage front door: 汇总表, 排名, 回执 and run.json into one output folder, atomically."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.compute.assessment import Assessment
from pipeline.outcomes import FileOutcome
from pipeline.write.files import write_text_atomic
from pipeline.write.ranking import write_ranking
from pipeline.write.receipts import write_receipt, write_receipt_index, write_receipts
from pipeline.write.summary import write_summary

__all__ = [
    "RANKING",
    "RECEIPTS_DIR",
    "RECEIPT_INDEX",
    "RUN_INFO",
    "SUMMARY",
    "write_outputs",
    "write_ranking",
    "write_receipt",
    "write_receipt_index",
    "write_run_info",
    "write_summary",
]

SUMMARY, RANKING, RECEIPT_INDEX, RUN_INFO = "汇总表.xlsx", "排名.xlsx", "回执清单.xlsx", "run.json"
RECEIPTS_DIR = "回执"


def write_outputs(
    assessment: Assessment,
    outcomes: list[FileOutcome],
    out_dir: Path,
    *,
    run_info: dict[str, object],
    filing_unit: str = "",
) -> list[Path]:
    """Write every output of a run into ``out_dir`` and return the paths written.

    Each file is replaced atomically; run.json is written last, so its presence with this run's
    counts says the other files are complete.
    """
    receipts = write_receipts(outcomes, out_dir / RECEIPTS_DIR)
    index = write_receipt_index(outcomes, out_dir / RECEIPT_INDEX)
    summary = write_summary(assessment, out_dir / SUMMARY, filing_unit=filing_unit)
    ranking = write_ranking(assessment, out_dir / RANKING)
    run = write_run_info(run_info, out_dir / RUN_INFO)
    return [summary, ranking, *receipts, index, run]


def write_run_info(run_info: dict[str, object], path: Path) -> Path:
    """run.json: the run's counts, sorted and indented; dates and paths as their text."""
    text = json.dumps(run_info, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return write_text_atomic(path, text + "\n")
