"""The `lianxi` console script's entry point, a module that imports nothing at import time.

Readers and writers run in spawned processes, and a spawned child first re-runs the imports of
the script that started its parent (multiprocessing's main-module fix-up). A script importing
the command line would make every reader, annotator and side process load all of lianxi and
its libraries, most of a second each, before doing its own job.
"""

from __future__ import annotations

import gc


def main() -> None:
    from pipeline.cli import main as command_line

    try:
        command_line(prog_name="lianxi")
    finally:
        # The interpreter's last garbage collection would walk every object the run made, a
        # third of a second at a province's scale, to free memory the exit frees anyway.
        gc.freeze()
