"""What the fork server imports for the run's child processes, the garbage collector off meanwhile.

Importing pandas and pandera makes hundreds of thousands of objects and none of them garbage:
collecting while they are made costs a tenth of the imports (0.72 → 0.63 s, measured), and the
fork server's imports are what a rerun's first reader waits for. The objects are then frozen
(`gc.freeze`): a child's collections never walk them.
"""

import gc
import sys

from pipeline.processes import collect_less

# pandera imports its data-synthesis strategies, and they hypothesis where it is installed
# (test and bench environments): 80 ms of the server's imports (0.71 → 0.63 s, measured) that
# no reader uses, and a rerun's one reader waits for the server. Hidden here, `import
# hypothesis` raises the ImportError pandera expects where it is not installed.
if "hypothesis" not in sys.modules:
    sys.modules["hypothesis"] = None  # type: ignore[assignment]
gc.disable()
try:
    import pipeline.checking
    import pipeline.compute
    import pipeline.ingest.worker
    import pipeline.validate  # noqa: F401  (the checks' pandera, with its backends loaded)
finally:
    collect_less()  # for every child forked from here
    gc.enable()
