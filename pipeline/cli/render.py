"""How results are shown in the terminal: problem lines, the outcome table, a progress bar."""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from pipeline.ingest.worker import FileRead
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Problem

PROGRESS_THRESHOLD = 5


def echo_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))


def echo_outcomes(outcomes: list[FileOutcome]) -> None:
    """Each fate and its number of files as a small aligned table, the total last."""
    counts = Counter(o.status for o in outcomes)
    rows = [(status.value, str(counts[status])) for status in Status if counts[status]]
    click.echo(f"共读取 {len(outcomes)} 个文件：")
    for line in aligned([("处理结果", "文件数"), *rows, ("合计", str(len(outcomes)))]):
        click.echo(line)


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    """Two columns, the first padded to its widest cell (CJK characters are two wide)."""
    first = max(_width(label) for label, _ in rows)
    second = max(_width(number) for _, number in rows)
    return [
        f"  {label}{' ' * (first - _width(label))}  {' ' * (second - _width(number))}{number}"
        for label, number in rows
    ]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@contextmanager
def progress(total: int) -> Iterator[Callable[[FileRead], None] | None]:
    """A progress bar on stderr for runs over more than a few files."""
    if total <= PROGRESS_THRESHOLD:
        yield None
        return
    bar: Any = click.progressbar(length=total, label="读取文件", file=sys.stderr)
    with bar:
        yield lambda _read: bar.update(1)
