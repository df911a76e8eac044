"""A field's cells as numbers into the distinct values of every file one worker task reads.

A task's thousand workbooks hold ~150,000 activity rows, and a field of choices, days or counts
a few hundred distinct values among them. A reader numbers such a column's cells as it takes
the sheet apart, into the task's book of the field (`Codebook`); typing
(`pipeline.ingest.normalise.normalise_coded`) then works once per distinct value and spreads
its results by the numbers, with no column of objects to gather, hash and inspect again. Text
fields (names, phone numbers, summaries: as many distinct values as rows) are kept as cells.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Container, Sequence
from itertools import count

import numpy as np

from pipeline.forms.spec import Kind, Sheet

Cell = str | float | int | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None
BOOKED = {Kind.CHOICE, Kind.DATE, Kind.INTEGER, Kind.NUMBER, Kind.YEAR}  # few distinct values


class Codebook:
    """One field's distinct cells over a task's files, numbered in the order first seen.

    TRUE equals 1 and 1.0 as a key (FALSE 0), so the cells of a column holding a TRUE or FALSE
    are kept by their type and value (`number`); no plain key is ever TRUE or FALSE.
    """

    def __init__(self) -> None:
        self._numbers: defaultdict[Cell | tuple[type, Cell], int] = defaultdict(count().__next__)
        self._typed = False  # whether some cell is kept by its type and value
        self._cells: np.ndarray | None = None

    def number(self, cells: Sequence[Cell]) -> np.ndarray:
        """Each of ``cells``' numbers (int32), new numbers for new values.

        The column is numbered first on its own (a dictionary of a few entries, where each
        cell's look-up is cheap), then its distinct values in the book.
        """
        mine: defaultdict[Cell, int] = defaultdict(count().__next__)
        local = np.fromiter(map(mine.__getitem__, cells), np.int32, len(cells))
        if holds_truth(mine, cells):
            self._typed = True  # whichever came first is the key the other was numbered as
            typed = zip(map(type, cells), cells, strict=True)
            return np.fromiter(map(self._numbers.__getitem__, typed), np.int32, len(cells))
        numbers = np.fromiter(map(self._numbers.__getitem__, mine), np.int32, len(mine))
        return numbers[local]

    def cells(self) -> np.ndarray:
        """Each number's cell, an object array (made again only once the book has grown)."""
        if self._cells is None or len(self._cells) != len(self._numbers):
            keys = list(self._numbers)
            self._cells = np.empty(len(keys), dtype=object)
            self._cells[:] = [k[1] if type(k) is tuple else k for k in keys] if self._typed else keys
        return self._cells


def holds_truth(distinct: Container[Cell], cells: Sequence[Cell]) -> bool:
    """Whether ``cells`` hold TRUE or FALSE, looked for only where their ``distinct`` values (a
    dictionary of them) hold one equal to TRUE or FALSE: True equals 1 as a key, and a
    dictionary keeps whichever of the two came first for both."""
    return (True in distinct or False in distinct) and bool in set(map(type, cells))


class Codebooks(dict[str, list[Codebook | None]]):
    """The books of one task's files: by sheet, a book for each field of few distinct values
    (`BOOKED`), None for the others."""

    def of(self, sheet: Sheet) -> list[Codebook | None]:
        books = self.get(sheet.name)
        if books is None:
            books = self[sheet.name] = [Codebook() if f.kind in BOOKED else None for f in sheet.fields]
        return books
