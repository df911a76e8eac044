"""Where the bundled rule files and blank templates live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"  # filled by the wheel build (pyproject force-include)
_CHECKOUT = _PACKAGE.parent  # a source checkout or editable install


def _first_existing(*candidates: Path) -> Path:
    return next((p for p in candidates if p.is_dir()), candidates[0])


def rules_dir() -> Path:
    return _first_existing(_BUNDLED / "rules", _CHECKOUT / "rules")


def templates_dir() -> Path:
    return _first_existing(_BUNDLED / "templates", _CHECKOUT / "templates" / "xlsx")
