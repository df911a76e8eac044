"""The floor: python-calamine reading every template sheet of the inbox on all cores, nothing else.

`python bench/floor.py INBOX [--workers K]` prints one JSON line: files, rows, setup and work time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from multiprocessing import Pool
from pathlib import Path

from python_calamine import CalamineWorkbook

from pipeline.forms.spec import META_SHEET, TEMPLATES

SHEETS = {META_SHEET} | {sheet.name for t in TEMPLATES.values() for sheet in t.sheets}


def read_sheets(path: str) -> int:
    """Every template sheet of one workbook as Python rows; the number of rows."""
    workbook = CalamineWorkbook.from_path(path)
    rows = 0
    for name in workbook.sheet_names:
        if name in SHEETS:
            rows += len(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    started = time.perf_counter()
    paths = sorted(str(p) for p in args.inbox.rglob("*.xlsx"))
    chunk = max(1, len(paths) // (args.workers * 32))
    working = time.perf_counter()
    with Pool(args.workers) as pool:
        rows = sum(pool.imap_unordered(read_sheets, paths, chunksize=chunk))
    done = time.perf_counter()
    print(json.dumps({"files": len(paths), "rows": rows, "setup": working - started,
                      "work": done - working}))  # fmt: skip


if __name__ == "__main__":
    main()
