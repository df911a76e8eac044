"""What the fork server imports for the run's child processes, the garbage collector off meanwhile.

Importing pandas and pandera makes hundreds of thousands of objects and none of them garbage:
collecting while they are made costs a tenth of the imports (0.72 → 0.63 s, measured), and the
fork server's imports are what a rerun's first reader waits for. The objects are then frozen
(`gc.freeze`): a child's collections never walk them.
"""

import gc

gc.disable()
try:
    import pipeline.checking
    import pipeline.compute
    import pipeline.ingest.worker
    import pipeline.validate  # noqa: F401  (the checks' pandera, with its backends loaded)
finally:
    gc.freeze()
    gc.enable()
