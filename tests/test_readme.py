"""The README documents every problem code with its fixed severity."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.problems import CATALOGUE

README = Path(__file__).resolve().parents[1] / "README.md"


def documented_severities() -> dict[str, str]:
    """Code → severity from the README's problem-code table (a row may list several codes)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Problem codes") :]
    found: dict[str, str] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1] in ("错误", "警告"):
            for code in re.findall(r"[a-z]+(?:-[a-z]+)+", cells[0]):
                found[code] = cells[1]
    return found


def test_every_code_is_in_the_readme_with_its_severity() -> None:
    documented = documented_severities()
    assert {code: entry.severity.value for code, entry in CATALOGUE.items()} == documented
