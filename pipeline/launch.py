"""The `lianxi` console script's entry point, a module that imports nothing at import time.

Readers and writers run in spawned processes, and a spawned child first re-runs the imports of
the script that started its parent (multiprocessing's main-module fix-up). A script importing
the command line would make every reader, annotator and side process load all of lianxi and
its libraries, most of a second each, before doing its own job.
"""

from __future__ import annotations

import gc
import sys

# The commands that start readers, annotators or the side process: for them the fork server
# (`pipeline.processes`) starts first and imports what its children need beside ours.
WORKBOOK_COMMANDS = {"run", "watch", "demo", "rebuild", "check"}


def main() -> None:
    from pipeline import processes

    if _command(sys.argv[1:]) in WORKBOOK_COMMANDS and not {"-h", "--help"} & set(sys.argv):
        processes.start()
    gc.disable()  # the imports make objects by the hundred thousand, none of them garbage
    try:
        from pipeline.cli import main as command_line
    finally:
        processes.collect_less()
        gc.enable()
    try:
        command_line(prog_name="lianxi")
    finally:
        # The interpreter's last garbage collection would walk every object the run made, a
        # third of a second at a province's scale, to free memory the exit frees anyway.
        gc.freeze()


def _command(arguments: list[str]) -> str:
    """The command's name: the first argument that is not an option (``--debug`` comes first)."""
    return next((a for a in arguments if not a.startswith("-")), "")
