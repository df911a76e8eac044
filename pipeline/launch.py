"""The `lianxi` console script's entry point, a module that imports nothing at import time.

Readers and writers run in spawned processes, and a spawned child first re-runs the imports of
the script that started its parent (multiprocessing's main-module fix-up). A script importing
the command line would make every reader, annotator and side process load all of lianxi and
its libraries, most of a second each, before doing its own job.
"""

from __future__ import annotations


def main() -> None:
    from pipeline.cli import main as command_line

    command_line(prog_name="lianxi")
