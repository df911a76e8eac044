"""How results are shown in the terminal: problem lines, the outcome table, a progress bar."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from pipeline.ingest.worker import FileRead
from pipeline.outcomes import FileOutcome
from pipeline.problems import Problem

PROGRESS_THRESHOLD = 5


def echo_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))


def echo_outcomes(outcomes: list[FileOutcome]) -> None:
    counts = Counter(o.status.value for o in outcomes)
    click.echo(
        f"共读取 {len(outcomes)} 个文件："
        + "，".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )


@contextmanager
def progress(total: int) -> Iterator[Callable[[FileRead], None] | None]:
    """A progress bar on stderr for runs over more than a few files."""
    if total <= PROGRESS_THRESHOLD:
        yield None
        return
    bar: Any = click.progressbar(length=total, label="读取文件", file=sys.stderr)
    with bar:
        yield lambda _read: bar.update(1)
