"""Read one workbook into columns of cell values with their real cell addresses.

The only module that opens a workbook (python-calamine: correct for dates, numbers, Strict Open
XML and merged ranges, and it never trusts declared dimensions). A table sheet is taken apart
column-wise (a few C-level passes a column, not a Python step a cell: its rows are many).
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
from python_calamine import CalamineSheet, CalamineWorkbook, PasswordError

from pipeline.forms.spec import LEDGER, META_SHEET, TEMPLATES, Sheet, Template
from pipeline.ingest.codebook import Cell, Codebook, Codebooks
from pipeline.problems import Location, Problem

HEADER_SEARCH_ROWS = 20


@dataclass
class RawSheet:
    """One template sheet as read: values aligned to the spec's fields, with their addresses.

    `anchors` maps a field to its column letter (table sheets: the address is anchor + row) or
    to its absolute cell (key-value sheets, whose single row has number 0). `columns` holds one
    array a field, its rows numbered by `numbers`: every row below a table's header, blank ones
    too (typing finds blank cells array-wise over many files, `pipeline.ingest.chunk`). A table
    field's array holds its cells' numbers in its book, `books` (`pipeline.ingest.codebook`); a
    key-value sheet's, which has no books, its one cell.
    """

    name: str
    anchors: dict[str, str]
    numbers: np.ndarray  # int64: each row's number in the sheet (1-based)
    columns: list[np.ndarray]
    books: Sequence[Codebook | None]  # a field's


@dataclass
class ParsedFile:
    template_id: str | None = None
    template_version: int | None = None
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_workbook(
    source: Path | bytes, display: str, books: Codebooks | None = None
) -> ParsedFile:
    """Read a workbook's template id and every sheet of its template, from its path or bytes;
    its table sheets' cells are numbered in ``books`` (a task's files share them), or in books
    of its own."""
    parsed, books = ParsedFile(), Codebooks() if books is None else books
    try:
        workbook = _open(source) if isinstance(source, Path) else _open_bytes(source, display)
    except PasswordError:  # a protection the sniffer did not recognise
        parsed.problems.append(Problem("file-encrypted", Location(display)))
        return parsed
    template = _recognise(workbook, parsed, display)
    if template is None:
        return parsed
    for spec in template.sheets:
        if spec.name not in workbook.sheet_names:
            parsed.problems.append(
                Problem("sheet-missing", Location(display, spec.name), params={"detail": spec.name})
            )
            continue
        grid = _grid(workbook.get_sheet_by_name(spec.name))
        if spec.key_value:
            sheet: RawSheet | None = _read_key_values(spec, grid, parsed, display)
        else:
            sheet = _read_table(spec, grid, parsed, display, books.of(spec))
        if sheet is not None:
            parsed.sheets[spec.name] = sheet
    return parsed


def _open(path: Path) -> CalamineWorkbook:
    """Open by the file's name, or by its bytes when the name lies (an .xls renamed .xlsx).

    `from_path` picks the format from the extension and keeps calamine's precise errors;
    `from_filelike` tries every format in turn and only says "Cannot detect file format".
    """
    try:
        return CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise
    except Exception as by_name:
        try:
            with path.open("rb") as handle:
                return CalamineWorkbook.from_filelike(handle)
        except Exception:
            raise by_name from None


def _open_bytes(data: bytes, display: str) -> CalamineWorkbook:
    """`_open` of a file's bytes: read as they are, or, when calamine cannot, saved under the
    file's name for `_open` to tell why (`from_filelike` only says it cannot)."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        with tempfile.TemporaryDirectory(prefix="lianxi-") as folder:
            path = Path(folder, f"file{Path(display).suffix}")
            path.write_bytes(data)
            return _open(path)


def _recognise(workbook: CalamineWorkbook, parsed: ParsedFile, display: str) -> Template | None:
    names = workbook.sheet_names
    if META_SHEET in names:
        meta = _grid(workbook.get_sheet_by_name(META_SHEET))
        template_id = str(_at(meta, 0, 1) or "").strip()
        version = _at(meta, 1, 1)
        if template_id in TEMPLATES:
            parsed.template_id = template_id
            parsed.template_version = int(version) if isinstance(version, int | float) else None
            return _check_version(TEMPLATES[template_id], parsed, display)
    for template in TEMPLATES.values():
        if all(s.name in names for s in template.sheets):
            parsed.template_id = template.id
            parsed.problems.append(
                Problem("template-id-missing", Location(display), params={"detail": template.title})
            )
            return template
    parsed.problems.append(Problem("template-unknown", Location(display)))
    return None


def _check_version(template: Template, parsed: ParsedFile, display: str) -> Template | None:
    if parsed.template_version is not None and parsed.template_version <= template.version:
        return template
    parsed.problems.append(
        Problem(
            "template-version-unknown",
            Location(display, META_SHEET, "B2"),
            found=str(parsed.template_version),
            params={"expected": template.version},
        )
    )
    return None


def _grid(sheet: CalamineSheet) -> list[list[Cell]]:
    """All cells from A1 (no leading rows or columns skipped, "" if empty), merged ranges filled."""
    grid = cast(list[list[Cell]], sheet.to_python(skip_empty_area=False))
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        value = _at(grid, top, left)
        for r in range(top, min(bottom, len(grid) - 1) + 1):
            row = grid[r]
            row.extend([None] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                row[c] = value
    return grid


def _at(grid: list[list[Cell]], row: int, col: int) -> Cell:
    value = grid[row][col] if row < len(grid) and col < len(grid[row]) else None
    return None if value == "" else value


def header_key(value: Cell) -> str:
    """A header as compared with the spec: width-folded, without spaces, asterisks or breaks."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(ch for ch in text if not ch.isspace() and ch != "*")


# by the spec's id; the spec is kept beside its headers, so that no other object takes its id
_WANTED: dict[int, tuple[Sheet, dict[str, str]]] = {}


def _wanted(spec: Sheet) -> dict[str, str]:
    """The spec's fields by `header_key`: what a cell must read to be a field's header.

    Kept by the spec's identity, not its hash: a frozen spec hashes every one of its fields,
    and each file asks for five specs.
    """
    held = _WANTED.get(id(spec))
    if held is None:
        held = _WANTED[id(spec)] = (spec, {header_key(f.name): f.name for f in spec.fields})
    return held[1]


def _field_of(wanted: dict[str, str], value: Cell) -> str | None:
    """The field whose header (or label) ``value`` is, if any."""
    return wanted.get(_text_key(value) if type(value) is str else header_key(value))


@lru_cache(maxsize=4096)
def _text_key(text: str) -> str:
    """`header_key` of a text cell: the same headers and labels come back in every file."""
    return header_key(text)


def _read_table(
    spec: Sheet, grid: list[list[Cell]], parsed: ParsedFile, display: str,
    books: list[Codebook],
) -> RawSheet | None:  # fmt: skip
    wanted = _wanted(spec)
    header_row, columns = _find_header(grid, wanted)
    missing = [f.name for f in spec.fields if f.name not in columns and not f.optional_column]
    for name in missing:
        parsed.problems.append(
            Problem("column-missing", Location(display, spec.name), params={"detail": name})
        )
    if missing:
        return None
    anchors = {name: column_letter(index) for name, index in columns.items()}
    body = _columns(grid[header_row + 1 :])
    blank = (None,) * (len(body[0]) if body else 0)
    indices = [columns.get(f.name) for f in spec.fields]
    cells = [
        book.number(blank if i is None or i >= len(body) else body[i])
        for i, book in zip(indices, books, strict=True)
    ]
    numbers = np.arange(len(blank), dtype=np.int64) + header_row + 2
    return RawSheet(spec.name, anchors, numbers, cells, books)


def _columns(rows: list[list[Cell]]) -> list[tuple[Cell, ...]]:
    """The rows' cells column by column; short rows padded with blanks."""
    lengths = list(map(len, rows))
    width = max(lengths, default=0)
    if lengths and min(lengths) < width:  # a merged range filled past the used area
        rows = [row + [None] * (width - len(row)) for row in rows]
    return list(zip(*rows, strict=True))


def _find_header(grid: list[list[Cell]], wanted: dict[str, str]) -> tuple[int, dict[str, int]]:
    """The first row holding most of the wanted headers, and each header's column index."""
    best: tuple[int, dict[str, int]] = (0, {})
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            name = _field_of(wanted, value)
            if name is not None and name not in found:
                found[name] = c
        if len(found) > len(best[1]):
            best = (r, found)
        if len(found) == len(wanted):
            break
    return best


def _read_key_values(
    spec: Sheet, grid: list[list[Cell]], parsed: ParsedFile, display: str
) -> RawSheet:
    """Labels anywhere in the first columns; each value is the first cell right of its label."""
    wanted = _wanted(spec)
    anchors: dict[str, str] = {}
    values: dict[str, Cell] = {}
    for r, row in enumerate(grid):
        for c, label in enumerate(row[:3]):
            name = _field_of(wanted, label)
            if name is not None and name not in anchors:
                anchors[name] = f"{column_letter(c + 1)}{r + 1}"
                values[name] = _at(grid, r, c + 1)
    for f in spec.fields:
        if f.name not in anchors and f.required:
            parsed.problems.append(
                Problem("column-missing", Location(display, spec.name), params={"detail": f.name})
            )
        anchors.setdefault(f.name, "")
    columns = [np.empty(1, dtype=object) for _ in spec.fields]
    for column, f in zip(columns, spec.fields, strict=True):
        column[0] = values.get(f.name)
    books: list[Codebook | None] = [None] * len(spec.fields)  # one row: its cells as they are
    return RawSheet(spec.name, anchors, np.zeros(1, dtype=np.int64), columns, books)


assert LEDGER.sheets[0].key_value  # the reader's key-value path is exercised by every ledger
