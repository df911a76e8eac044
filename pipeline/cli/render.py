"""How results are shown in the terminal: problem lines, the outcome table, a progress bar."""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import click

from pipeline.ingest.worker import FileRead
from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Problem

PROGRESS_THRESHOLD = 5
READING_DONE = "读取完毕，正在核对、评定等次并生成报表……"


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


class Progress:
    """What stderr shows while a run works on more than a few files: a bar while they are read,
    then a line saying that the run goes on (recording, grading and writing take seconds at a
    province's scale, with nothing else on the screen until the summary)."""

    def __init__(self, total: int) -> None:
        self._shown = ExitStack()
        self._bar: Any = None
        if total > PROGRESS_THRESHOLD:
            bar = click.progressbar(length=total, label="读取文件", file=sys.stderr)
            self._bar = self._shown.enter_context(bar)

    def read(self, _read: FileRead) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def reading_done(self) -> None:
        if self._bar is not None:
            self.close()
            click.echo(READING_DONE, err=True)

    def close(self) -> None:
        self._shown.close()
        self._bar = None


@contextmanager
def progress(total: int) -> Iterator[Progress]:
    shown = Progress(total)
    try:
        yield shown
    finally:
        shown.close()
