"""Text and HTML rendered from the jinja2 templates shipped in pipeline/write/templates/."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    """HTML templates escape every value (unit and cadre names are user text); text ones don't."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


def compile_templates() -> None:
    """Compile every template now, so that rendering finds them ready (a run does this while
    its readers work: compiling takes a tenth of a second, every run)."""
    templates = environment()
    for name in templates.list_templates(extensions=["j2"]):
        templates.get_template(name)
