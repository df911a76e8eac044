"""The only xlsxwriter user: atomic, deterministic, formula-free workbooks and typed cell writing."""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
import zipfile
from collections import namedtuple
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import RowInfo, Worksheet

from pipeline.write.files import atomic_path

__all__ = [
    "Cell",
    "Format",
    "Formats",
    "Worksheet",
    "atomic_workbook",
    "fit_columns",
    "merged_line",
    "records",
    "setup_print",
    "sheet_names",
    "write_table",
    "write_text",
    "write_value",
]

DEFAULT_CREATED = datetime(2000, 1, 1)
PART_COMPRESSION = 1  # zlib level of the parts of every workbook we write (`_QuickZipFile`)
OPTIONS = {
    "strings_to_formulas": False,  # user text is never a live formula (formula injection)
    "strings_to_urls": False,
    "strings_to_numbers": False,  # phone numbers keep their leading zeros
    "in_memory": True,  # no scratch files outside the output folder
}
A4 = 9
FOOTER = "&C第 &P 页，共 &N 页"
HEADER_LIMIT = 200  # Excel allows 255 characters in a page header, codes included
SHEET_NAME_LIMIT = 31
INVALID_SHEET_CHARACTERS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
RESERVED_SHEET_NAMES = {"history"}  # Excel refuses a sheet called History
YES, NO = "是", "否"
SHORT_TEXT = 16383  # characters: no longer text can exceed Excel's 32,767 UTF-16 units


ROW_HEIGHT = 16  # points per line of 11-point text (CJK fonts set lines about 1.45 em apart)
ROW_PADDING = 3  # points above and below the lines of a wrapped cell


# Shared strings written in one piece (`_SharedStrings`): texts joined by a control character,
# which no plain text holds. What xlsxwriter would escape or mark in a text of its own makes it
# write them text by text: a control character (or a non-character), an escape-like "_x0041_"
# (turned into escapes), leading or trailing white space (marked to be kept), a rich text's
# "<r>". Each is looked for on its own: one regular expression of all took 50 ms a workbook.
SEPARATOR = "\x01"
CONTROL = re.compile(r"[\x00\x02-\x08\x0b-\x1f\ufffe\uffff]")
XML_ESCAPES = re.compile(r"[&<>]")

_Rendered = namedtuple("_Rendered", "xml, format")  # a table row's cells as XML: no format


class _Worksheet(Worksheet):
    """xlsxwriter's worksheet, with a table's rows rendered as they are put.

    xlsxwriter keeps a tuple per cell and writes its XML at close, building and escaping an
    attribute list each time: some 7 µs a cell, and a ranking of 10,000 cadres has 190,000.
    `put_rows` renders a row's cells at once (shared strings and styles as xlsxwriter numbers
    them) and keeps the row's XML in its first cell; its last cell holds nothing, so the row's
    span is the same. `_write_rows` writes such a row with its tag in one piece, and
    `set_heights` sets the heights fitted to a table's text in bulk; the sheet's XML is byte
    for byte what xlsxwriter writes (tests/test_write_summary.py). Cells written one by one,
    and rows with a format or option of their own, are written as xlsxwriter writes them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._rendered: set[int] = set()

    def put_rows(self, first_row: int, rows: Iterable[Sequence[Any]], formats: Sequence[Format]) -> int:
        """Write a table's rows from ``first_row``, each value with its column's format unless
        it is a `Cell`, as `write_value` would; return the row after the last. No cell of these
        rows may be written before or after."""
        rows = list(rows)
        styles = [f' s="{fmt._get_xf_index()}"' for fmt in formats]
        letters = [xl_col_to_name(col) for col in range(len(formats))]
        shared, isfinite = self.str_table._get_shared_string_index, math.isfinite
        row = first_row
        for values in rows:
            if self.constant_memory or not values or self.table.get(row):
                for col, value in enumerate(values):
                    write_value(self, row, col, value, formats[col])
                row += 1
                continue
            cells, number = [], row + 1
            for col, value in enumerate(values):
                kind = type(value)
                if kind is str and 0 < len(value) <= SHORT_TEXT:
                    cells.append(f'<c r="{letters[col]}{number}"{styles[col]} t="s"><v>{shared(value)}</v></c>')
                elif (kind is float and isfinite(value)) or kind is int:  # bool is not int here
                    cells.append(f'<c r="{letters[col]}{number}"{styles[col]}><v>{float(value):.16G}</v></c>')
                elif value is None or (kind is str and not value):
                    cells.append(f'<c r="{letters[col]}{number}"{styles[col]}/>')
                else:
                    cells.append(_cell_xml(self, f"{letters[col]}{number}", value, formats[col]))
            # the last cell first: in a row of one cell, the first is the one kept
            self.table[row] = {len(values) - 1: _Rendered("", None), 0: _Rendered("".join(cells), None)}
            self._rendered.add(row)
            row += 1
        widest = max(map(len, rows), default=0)
        if widest:  # the rendered cells were stored without xlsxwriter's check
            self._check_dimensions(row - 1, widest - 1)
        return row

    def set_heights(self, rows: Iterable[int], heights: Iterable[float]) -> None:
        """`set_row(row, height)` for each of ``rows`` (``heights`` in points, none 0): a
        table's rows fitted to their text, without xlsxwriter's handling of the options and
        formats `set_row` takes, ~4 µs a row."""
        for row, height in zip(rows, heights, strict=True):
            if self._check_dimensions(row, self.dim_colmin or 0):
                continue  # beyond Excel's last row, which `set_row` ignores too
            pixels = int(height * 4.0 / 3.0 + 0.5)
            self.row_info[row] = RowInfo(height=pixels)
            self.row_sizes[row] = [pixels, False]

    def _write_rows(self) -> None:
        """xlsxwriter's loop over the sheet's rows, a rendered row written in one piece:
        xlsxwriter's looks up every column of every row and builds each row's tag from a list
        of attributes, some 5 µs a row (排名 and 汇总表 have tens of thousands)."""
        if not self._rendered or self.comments or self.excel_version != 2007:
            super()._write_rows()
            return
        self._calculate_spans()
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            span, cells, info = self.row_spans.get(row // 16), self.table.get(row), self.row_info.get(row)
            if row in self._rendered and _intact(cells) and _height_only(info):
                self.fh.write(f"{self._row_tag(row, span, info)}{cells[0].xml}</row>")
            elif cells:
                self._write_row(row, span, info)
                for col in sorted(cells):
                    self._write_cell(row, col, cells[col])
                self._xml_end_tag("row")
            elif info is not None:
                self._write_empty_row(row, span, info)

    def _row_tag(self, row: int, span: str | None, info: RowInfo | None) -> str:
        """The <row> tag xlsxwriter's `_write_row` writes for a row set at most a height."""
        spans = f' spans="{span}"' if span else ""
        height = self.default_row_height if info is None or info.height is None else info.height
        if height == self.original_row_height == self.default_row_height:
            return f'<row r="{row + 1}"{spans}>'
        return f'<row r="{row + 1}"{spans} ht="{height * 0.75:.16g}" customHeight="1">'

    def _calculate_spans(self) -> None:
        """xlsxwriter's spans (each block of 16 rows' first and last column, 1-based), found
        from each row's own first and last cell, not by looking up every column of it."""
        if self.comments:
            super()._calculate_spans()
            return
        bounds: dict[int, tuple[int, int]] = {}
        for row, cells in self.table.items():
            if not cells:
                continue
            block, first, last = row // 16, min(cells), max(cells)
            if block in bounds:
                first, last = min(first, bounds[block][0]), max(last, bounds[block][1])
            bounds[block] = (first, last)
        self.row_spans = {block: f"{first + 1}:{last + 1}" for block, (first, last) in bounds.items()}

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        if type(cell) is _Rendered:
            self.fh.write(cell.xml)
        elif row in self._rendered:
            raise RuntimeError(f"工作表“{self.name}”第 {row + 1} 行已整行写出，不能再单独写入单元格")
        else:
            super()._write_cell(row, col, cell)


def _intact(cells: dict[int, Any]) -> bool:
    """Whether a rendered row's cells are as `put_rows` left them (none written into it)."""
    return all(type(cell) is _Rendered for cell in cells.values())


def _height_only(info: RowInfo | None) -> bool:
    """Whether a row was set no more than a height (`set_row` with no format or option)."""
    return info is None or not (info.row_format or info.hidden or info.level or info.collapsed)


def _cell_xml(ws: Worksheet, reference: str, value: object, fmt: Format | None) -> str:
    """A cell's XML as xlsxwriter writes `write_value`'s cell (with a format: a table's); the
    common text and number cells `put_rows` renders itself."""
    if isinstance(value, Cell):
        fmt, value = value.format or fmt, value.value
    if _is_blank(value):
        return f'<c r="{reference}"{_style(fmt)}/>' if fmt is not None else ""
    if isinstance(value, bool | np.bool_):
        value = YES if value else NO
    elif isinstance(value, numbers.Real):
        return f'<c r="{reference}"{_style(fmt)}><v>{float(value):.16G}</v></c>'
    elif isinstance(value, date):
        value = value.isoformat()
    text = _excel_text(str(value))
    return f'<c r="{reference}"{_style(fmt)} t="s"><v>{_shared(ws, text)}</v></c>'


def _style(fmt: Format | None) -> str:
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


def _shared(ws: Worksheet, text: str) -> int:
    return int(ws.str_table._get_shared_string_index(text))


def _excel_text(text: str) -> str:
    """Text as Excel can hold it: at most 32,767 UTF-16 units (xlsxwriter cuts it so too)."""
    if len(text) > SHORT_TEXT and len(text.encode("utf-16-le")) // 2 > 2 * SHORT_TEXT + 1:
        return text.encode("utf-16-le")[: 2 * (2 * SHORT_TEXT + 1)].decode("utf-16-le", "ignore")
    return text


class _SharedStrings(SharedStrings):
    """xlsxwriter's shared strings part, written in one piece when no text needs more than
    escaping (the common case); otherwise text by text, as xlsxwriter writes them.

    xlsxwriter checks and writes each text on its own, some 7 µs a text, and 汇总表 and 排名 of
    10,000 cadres hold tens of thousands of distinct texts (names, units, notes).
    """

    def _write_sst_strings(self) -> None:
        texts = self.string_table.string_array
        joined = SEPARATOR.join(texts)
        if not _plain(texts, joined):
            super()._write_sst_strings()
            return
        if XML_ESCAPES.search(joined):
            joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.fh.write("<si><t>" + joined.replace(SEPARATOR, "</t></si><si><t>") + "</t></si>")


def _plain(texts: list[str], joined: str) -> bool:
    """Whether xlsxwriter would write each of ``texts`` (``joined`` by `SEPARATOR`) escaped and
    nothing more (a text with "_x" or "<r>" anywhere is not, to be safe)."""
    return (
        joined.count(SEPARATOR) == len(texts) - 1
        and not CONTROL.search(joined)
        and "_x" not in joined
        and "<r>" not in joined
        and all(text == text.strip() for text in texts)
    )


class _Packager(Packager):
    """xlsxwriter's packager, its shared strings part written by `_SharedStrings`."""

    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        strings = _SharedStrings()
        strings.string_table = self.workbook.str_table
        strings._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        strings._assemble_xml_file()


class _QuickZipFile(zipfile.ZipFile):
    """The zip xlsxwriter writes a workbook into, its parts deflated at level 1, not zlib's
    default 6: a third of the time (汇总表 and 排名 of 10,000 cadres: 0.10 -> 0.03 s each),
    files a third larger (1.0 -> 1.3 MB). xlsxwriter has no setting for it, so its module's
    name for the class is pointed here once, below; nothing else in lianxi writes through it.
    """

    def writestr(  # type: ignore[override]
        self, zinfo_or_arcname: str | zipfile.ZipInfo, data: bytes | str,
        compress_type: int | None = None, compresslevel: int | None = None,
    ) -> None:  # fmt: skip
        level = PART_COMPRESSION if compresslevel is None else compresslevel
        super().writestr(zinfo_or_arcname, data, compress_type, level)


xlsxwriter.workbook.ZipFile = _QuickZipFile  # type: ignore[misc]


class _Workbook(xlsxwriter.Workbook):
    worksheet_class = _Worksheet

    def _get_packager(self) -> Packager:  # xlsxwriter's hook for its own packager
        return _Packager()


@contextmanager
def atomic_workbook(
    path: Path, *, created: datetime = DEFAULT_CREATED, title: str = ""
) -> Iterator[xlsxwriter.Workbook]:
    """Yield a workbook that lands at ``path`` only if the block completes.

    It is written to a hidden ``.tmp`` file beside ``path``, flushed to disk and renamed into
    place; on an exception the temporary file is removed and an existing ``path`` is kept.
    The document properties are fixed, so the same data gives byte-identical files.
    """
    with atomic_path(path) as temporary:
        workbook = _Workbook(str(temporary), OPTIONS)
        workbook.set_properties({"title": title, "author": "lianxi", "created": created})
        yield workbook
        workbook.close()


@dataclass(frozen=True)
class Formats:
    """The cell formats of one workbook, made once (xlsxwriter formats belong to a workbook)."""

    title: Format
    line: Format  # a plain line of text above or below a table
    note: Format  # a wrapped line of text
    header: Format
    text: Format
    wrap: Format
    number: Format  # whole numbers: counts
    figure: Format  # measured figures as they are (days may be fractional)
    percent: Format
    score: Format
    unmet: Format  # a figure below its requirement
    flagged: Format  # a tie a person must settle
    returned: Format  # a file sent back

    @classmethod
    def add_to(cls, workbook: xlsxwriter.Workbook) -> Formats:
        cell = {"border": 1, "valign": "vcenter"}
        red = {**cell, "bg_color": "#FFC7CE", "font_color": "#9C0006"}
        amber = {**cell, "bg_color": "#FFEB9C", "font_color": "#9C5700", "text_wrap": True}
        header = {**cell, "bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center"}
        add = workbook.add_format
        return cls(
            title=add({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
            line=add({"valign": "vcenter"}),
            note=add({"text_wrap": True, "valign": "top"}),
            header=add(header),
            text=add(cell),
            wrap=add({**cell, "text_wrap": True}),
            number=add({**cell, "num_format": "0"}),
            figure=add({**cell, "num_format": "General"}),
            percent=add({**cell, "num_format": "0.0%"}),
            score=add({**cell, "num_format": "0.00"}),
            unmet=add({**red, "num_format": "General"}),
            flagged=add(amber),
            returned=add(red),
        )


@dataclass(frozen=True)
class Cell:
    """A value with its own format, overriding its column's (a red or amber cell)."""

    value: object
    format: Format | None = None


def write_value(ws: Worksheet, row: int, col: int, value: object, fmt: Format | None) -> None:
    """Write one value by its type; text always as a string, never parsed as a formula or link."""
    if type(value) is str and value:  # the common cases first: 10⁵ cells and more a run
        ws.write_string(row, col, value, fmt)
        return
    if type(value) is float and math.isfinite(value):
        ws.write_number(row, col, value, fmt)
        return
    if isinstance(value, Cell):
        fmt = value.format or fmt
        value = value.value
    if _is_blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool | np.bool_):
        ws.write_string(row, col, YES if value else NO, fmt)
    elif isinstance(value, numbers.Real):
        ws.write_number(row, col, float(value), fmt)
    elif isinstance(value, date):  # a datetime is a date too
        ws.write_string(row, col, value.isoformat(), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def write_text(ws: Worksheet, row: int, col: int, text: str, fmt: Format | None = None) -> None:
    """Write a string, whatever it looks like."""
    ws.write_string(row, col, text, fmt)


def write_table(
    ws: Worksheet,
    first_row: int,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    formats: Formats,
    column_formats: Sequence[Format | None] = (),
) -> int:
    """Write a header row and the rows below it; return the index of the row after the last.

    ``column_formats`` gives each column's cell format (default: bordered text); a ``Cell``
    value overrides it for one cell.
    """
    for col, header in enumerate(headers):
        ws.write_string(first_row, col, header, formats.header)
    rows = list(rows)
    widest = max(map(len, rows), default=0)
    by_column = [fmt or formats.text for fmt in column_formats]
    by_column += [formats.text] * (widest - len(by_column))
    if isinstance(ws, _Worksheet):
        return ws.put_rows(first_row + 1, rows, by_column)
    for row, values in enumerate(rows, start=first_row + 1):
        for col, value in enumerate(values):
            write_value(ws, row, col, value, by_column[col])
    return first_row + 1 + len(rows)


def merged_line(ws: Worksheet, row: int, last_col: int, text: str, fmt: Format) -> None:
    """A line of text across columns 0..last_col (merged first, then written as a string)."""
    if last_col > 0:
        ws.merge_range(row, 0, row, last_col, "", fmt)
    ws.write_string(row, 0, text, fmt)


def setup_print(
    ws: Worksheet, landscape: bool, header_rows: int, title: str, *, first_header_row: int = 0,
    left: str = "", right: str = "",
) -> None:  # fmt: skip
    """A4, one page wide, header rows repeated, the title on top and page numbers below.

    ``left`` and ``right`` go beside the title on every page (the 填报单位 and the date).
    """
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    if header_rows > 0:
        ws.repeat_rows(first_header_row, first_header_row + header_rows - 1)
    parts = (("&L", left), ("&C", title), ("&R", right))
    ws.set_header("".join(code + text[: HEADER_LIMIT // 3].replace("&", "&&")
                          for code, text in parts if text))  # fmt: skip
    ws.set_footer(FOOTER)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)


def fit_columns(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    minimum: float = 6,
    maximum: float = 40,
    first_row: int | None = None,
    fixed: Mapping[int, float] | None = None,
) -> None:
    """Set each column's width from its widest line (CJK characters count double).

    With ``first_row`` (the first data row), rows whose text wraps get the height it needs.
    ``fixed`` columns get the width it gives them and are not measured: their values must
    never wrap (numbers).
    """
    fixed = fixed or {}
    measured = measured_widths(rows, len(headers), skip=fixed.keys())
    heading = np.array([_width(h) for h in headers], dtype=float)
    widths = np.maximum(heading, measured.max(axis=0)) if len(measured) else heading
    fitted = [fixed[col] if col in fixed else min(max(width + 2, minimum), maximum)
              for col, width in enumerate(widths.tolist())]  # fmt: skip
    for col, width in enumerate(fitted):
        ws.set_column(col, col, width)
    if first_row is not None:
        fit_measured_rows(ws, first_row, measured, fitted)


def fit_rows(
    ws: Worksheet, first_row: int, rows: Iterable[Sequence[object]], widths: Sequence[float]
) -> None:
    """Give each row the height its wrapped text needs (no spreadsheet measures it for us)."""
    fit_measured_rows(ws, first_row, measured_widths(rows, len(widths)), widths)


def measured_widths(
    rows: Iterable[Sequence[object]], columns: int, skip: Collection[int] = ()
) -> np.ndarray:
    """Each value's width (`_width`) in the first ``columns`` columns: rows × columns, short
    rows padded with zero widths (for `fit_measured_rows`); columns in ``skip`` not measured
    (zero widths)."""
    rows = list(rows)
    widths = np.zeros((len(rows), columns))
    for col in range(columns):
        if col not in skip:
            widths[:, col] = _widths([row[col] if col < len(row) else None for row in rows])
    return widths


def fit_measured_rows(
    ws: Worksheet, first_row: int, measured: np.ndarray, widths: Sequence[float]
) -> None:
    """`fit_rows` for rows measured before (`measured_widths`): the same rows on several
    sheets are measured once."""
    if not measured.size:
        return
    room = np.maximum(np.array(widths, dtype=float) - 1, 1)
    lines = np.ceil(measured / room).max(axis=1)
    tall = np.flatnonzero(lines > 1)
    rows, heights = (first_row + tall).tolist(), (ROW_HEIGHT * lines[tall] + ROW_PADDING).tolist()
    if isinstance(ws, _Worksheet):
        ws.set_heights(rows, heights)
        return
    for row, height in zip(rows, heights, strict=True):
        ws.set_row(row, height)


def sheet_names(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, distinct Excel sheet names for ``names``, in order, avoiding ``taken``."""
    used = {t.lower() for t in taken} | RESERVED_SHEET_NAMES  # Excel ignores case
    result = []
    for name in names:
        base = INVALID_SHEET_CHARACTERS.sub("_", str(name))[:SHEET_NAME_LIMIT].strip().strip("'")
        base = base or "未填单位"
        candidate, n = base, 1
        while candidate.lower() in used:
            n += 1
            suffix = f"({n})"
            candidate = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        used.add(candidate.lower())
        result.append(candidate)
    return result


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A frame's rows as dicts keyed by column name."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        return [{} for _ in range(len(frame))]
    values = (frame.iloc[:, n].tolist() for n in range(len(columns)))  # Python scalars
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _is_blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT or value == "":
        return True
    return isinstance(value, float) and not math.isfinite(value)


def _width(value: object) -> float:
    if type(value) is str:  # the common cases first, as in `write_value`
        return text_width(value) if value else 0
    if type(value) is float:
        return len(f"{value:.2f}") if math.isfinite(value) else 0
    if type(value) is int:
        return len(f"{float(value):.2f}")
    if isinstance(value, Cell):
        value = value.value
    if _is_blank(value):
        return 0
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return len(f"{float(value):.2f}")
    return text_width(str(value))


def _widths(values: list[object]) -> np.ndarray | list[float]:
    """`_width` of each value: a column of texts alone measured at once (`text_widths`)."""
    if values and set(map(type, values)) == {str}:
        return text_widths(values)  # type: ignore[arg-type]
    return [_width(value) for value in values]


def text_widths(texts: Sequence[str]) -> np.ndarray:
    """`text_width` of each of ``texts``, found over them all at once: their characters as
    code points, each looked up in a table of the wide ones; a 汇总表's ten thousand digests of
    ~100 characters took 0.15 s measured one by one."""
    joined = "\0".join(texts)
    try:
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # a lone surrogate
        codes = None
    if codes is None or joined.count("\0") != len(texts) - 1:  # a text holds the separator
        return np.array([text_width(text) for text in texts], dtype=float)
    wide = _wide_bmp()[np.minimum(codes, 0xFFFF)]
    astral = np.flatnonzero(codes > 0xFFFF)
    wide[astral] = [_CHAR_WIDTHS[chr(code)] == 2 for code in codes[astral].tolist()]
    breaks = (codes == 0) | (codes == ord("\n"))  # a text's end, or a line's
    cells = np.where(breaks, 0, 1 + wide)
    lines = np.bincount(np.cumsum(breaks), weights=cells, minlength=int(breaks.sum()) + 1)
    text_of_line = np.concatenate([[0], np.cumsum(codes[breaks] == 0)])  # every text has one
    return np.maximum.reduceat(lines, np.searchsorted(text_of_line, np.arange(len(texts))))


@lru_cache(maxsize=1)
def _wide_bmp() -> np.ndarray:  # made on first use: ~10 ms
    """Whether each character of the Basic Multilingual Plane is wide (`_CHAR_WIDTHS`)."""
    return np.fromiter(
        (unicodedata.east_asian_width(chr(code)) in "WF" for code in range(0x10000)), bool, 0x10000
    )


class _CharWidths(dict[str, int]):
    """A character's width in cells (East Asian wide and fullwidth: 2), looked up once."""

    def __missing__(self, char: str) -> int:
        width = self[char] = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        return width


_CHAR_WIDTHS = _CharWidths()


@lru_cache(maxsize=1 << 16)  # a column of ten thousand rows holds a few hundred distinct texts
def text_width(text: str) -> int:
    """The widest line of ``text`` in character cells (CJK characters count double)."""
    if text.isascii():
        return max(len(line) for line in text.split("\n"))
    return max(sum(map(_CHAR_WIDTHS.__getitem__, line)) for line in text.split("\n"))
