"""`python -m pipeline` is `lianxi`."""

from __future__ import annotations

from pipeline.cli import main

main(prog_name="lianxi")
