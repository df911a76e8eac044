"""A field's cells as numbers into the distinct values of every file one worker task reads.

A task's thousand workbooks hold ~150,000 activity rows, and a field of choices, days or counts
a few hundred distinct values among them. A reader numbers such a column's cells as it takes
the sheet apart, into the task's book of the field (`Codebook`); typing
(`pipeline.ingest.normalise.normalise_coded`) then works once per distinct value and spreads
its results by the numbers, with no column of objects to gather, hash and inspect again. A
text field (names, phone numbers, summaries) has nearly as many distinct values as rows over a
task, but far fewer in one file (a contact point, a place fills a cadre's rows): its book
numbers each file's cells on their own (`FileCodebook`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from itertools import count

import numpy as np

from pipeline.forms.spec import Kind, Sheet

Cell = str | float | int | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None
Key = Cell | tuple[type, Cell]  # a cell, or one kept by its type and value (`_kept_apart`)
BOOKED = {Kind.CHOICE, Kind.DATE, Kind.INTEGER, Kind.NUMBER, Kind.YEAR}  # few distinct values


class Codebook:
    """One field's distinct cells over a task's files, numbered in the order first seen.

    TRUE equals 1 and 1.0 as a key (FALSE 0), so the cells of a column holding a TRUE or FALSE
    are kept by their type and value (`number`); no plain key is ever TRUE or FALSE.
    """

    def __init__(self) -> None:
        self._numbers: defaultdict[Key, int] = defaultdict(count().__next__)
        self._typed = False  # whether some cell is kept by its type and value
        self._cells: np.ndarray | None = None

    def number(self, cells: Sequence[Cell]) -> np.ndarray:
        """Each of ``cells``' numbers (int32), new numbers for new values.

        The column is numbered first on its own (a dictionary of a few entries, where each
        cell's look-up is cheap), then its distinct values in the book.
        """
        mine: defaultdict[Key, int] = defaultdict(count().__next__)
        local = _numbered(mine, cells, len(cells))
        if _holds_truth(mine, cells):
            self._typed = True  # whichever came first is the key the other was numbered as
            return _numbered(self._numbers, _kept_apart(cells), len(cells))
        return _numbered(self._numbers, mine, len(mine))[local]

    def cells(self) -> np.ndarray:
        """Each number's cell, an object array (made again only once the book has grown)."""
        keys = self._keys()
        if self._cells is None or len(self._cells) != len(keys):
            self._cells = np.empty(len(keys), dtype=object)
            listed = list(keys)
            self._cells[:] = [k[1] if type(k) is tuple else k for k in listed] if self._typed else listed
        return self._cells

    def _keys(self) -> Collection[Key]:
        """The cells numbered, in their numbers' order (kept by type and value, some of them)."""
        return self._numbers


class FileCodebook(Codebook):
    """A text field's book: each column numbered on its own, its distinct cells appended (a
    value in two files has two numbers). Typing then works once per cell distinct in its file,
    and no dictionary of a task's ~100,000 names and phone numbers is made, where each look-up
    would miss the processor's cache."""

    def __init__(self) -> None:
        super().__init__()
        self._appended: list[Key] = []

    def number(self, cells: Sequence[Cell]) -> np.ndarray:
        """Each of ``cells``' numbers (int32): the column's distinct cells, appended."""
        start = len(self._appended)
        mine: defaultdict[Key, int] = defaultdict(count(start).__next__)
        numbers = _numbered(mine, cells, len(cells))
        if _holds_truth(mine, cells):
            self._typed = True
            mine = defaultdict(count(start).__next__)
            numbers = _numbered(mine, _kept_apart(cells), len(cells))
        self._appended.extend(mine)
        return numbers

    def _keys(self) -> Collection[Key]:
        return self._appended


def _numbered(book: Mapping[Key, int], keys: Iterable[Key], size: int) -> np.ndarray:
    """Each of the ``size`` keys' numbers in ``book`` (int32), new ones made as it makes them."""
    return np.fromiter(map(book.__getitem__, keys), np.int32, size)


def _kept_apart(cells: Sequence[Cell]) -> Iterator[tuple[type, Cell]]:
    """Each cell as a key of its type and value: TRUE apart from 1, FALSE from 0."""
    return zip(map(type, cells), cells, strict=True)


def _holds_truth(distinct: Container[Key], cells: Sequence[Cell]) -> bool:
    """Whether ``cells`` hold TRUE or FALSE, looked for only where their ``distinct`` values (a
    dictionary of them) hold one equal to TRUE or FALSE: True equals 1 as a key, and a
    dictionary keeps whichever of the two came first for both."""
    return (True in distinct or False in distinct) and bool in set(map(type, cells))


class Codebooks(dict[str, list[Codebook]]):
    """The books of one task's files: by table sheet, each field's, shared by the files for a
    field of few distinct values (`BOOKED`), a `FileCodebook` for the others."""

    def of(self, sheet: Sheet) -> list[Codebook]:
        books = self.get(sheet.name)
        if books is None:
            books = self[sheet.name] = [
                Codebook() if f.kind in BOOKED else FileCodebook() for f in sheet.fields
            ]
        return books
