"""The naive baseline: pandas.read_excel (openpyxl) file by file, then pandera file by file, one process.

Each file's sheets are read with one `read_excel(sheet_name=None, engine="openpyxl")` call, its
columns normalised and checked with lianxi's own pandera schemas (pipeline/validate/schemas.py),
one file at a time. `python bench/baseline.py INBOX [--sample K]` times K files spread evenly
over the inbox (all by default) and prints one JSON line: files timed, rows, failures, times.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from pipeline.forms.spec import META_SHEET, TEMPLATES, Sheet
from pipeline.ingest.normalise import normalise_column
from pipeline.ingest.reader import header_key
from pipeline.validate.schemas import Typed, sheet_schema

AS_OF = date(2026, 11, 30)


def check_file(path: Path) -> tuple[int, int]:
    """Read and validate one workbook; its (rows, failure cases)."""
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None, dtype=object)
    template = TEMPLATES.get(str(sheets[META_SHEET].iat[0, 1])) if META_SHEET in sheets else None
    if template is None:
        return 0, 1
    frames = {spec.name: _frame(spec, sheets[spec.name]) for spec in template.sheets}
    info = frames.get("基本信息")
    year = pd.Series(info["年度"].iloc[0] if info is not None else None, index=[0], dtype=object)
    rows = failures = 0
    for spec in template.sheets:
        frame = frames[spec.name]
        frame["_file"] = 0
        rows += len(frame)
        typed = Typed(frame)
        try:
            schema = sheet_schema(spec, typed, frame["_file"].map(year), AS_OF, AS_OF.year)
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            failures += len(errors.failure_cases)
        finally:
            typed.release()
    return rows, failures


def _frame(spec: Sheet, raw: pd.DataFrame) -> pd.DataFrame:
    """A sheet's fields by header (key-value sheets: labels in column A), normalised."""
    if spec.key_value:
        values = {header_key(k): v for k, v in zip(raw[0], raw[1], strict=True)}
        frame = pd.DataFrame([[values.get(header_key(f.name)) for f in spec.fields]],
                             columns=list(spec.field_names), dtype=object)  # fmt: skip
    else:
        raw = raw.dropna(how="all")
        header = {header_key(v): c for c, v in raw.iloc[0].items()}
        body = raw.iloc[1:]
        frame = pd.DataFrame({f.name: body[header[header_key(f.name)]] if header_key(f.name) in header
                              else None for f in spec.fields}, index=body.index, dtype=object)  # fmt: skip
        frame.index = frame.index + 1  # the Excel row
    for f in spec.fields:
        frame[f.name] = normalise_column(frame[f.name], f)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inbox", type=Path)
    parser.add_argument("--sample", type=int, default=0, help="time this many files (0: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    paths = sorted(args.inbox.rglob("*.xlsx"))
    if 0 < args.sample < len(paths):
        paths = [paths[i * len(paths) // args.sample] for i in range(args.sample)]
    working = time.perf_counter()
    rows = failures = 0
    for path in paths:
        r, f = check_file(path)
        rows, failures = rows + r, failures + f
    done = time.perf_counter()
    print(json.dumps({"files": len(paths), "rows": rows, "failures": failures,
                      "setup": working - started, "work": done - working}))  # fmt: skip


if __name__ == "__main__":
    main()
