"""The cadres' figures kept between runs, so that a rerun measures only the files it has not.

Figures depend on a file's rows and on what they were measured under (the rules, period, year
and as-of date: `pipeline.compute.figures_context`); only the latest context's are kept. Each
part is stored as a segment (`pipeline.ingest.segment`) naming its files by content hash.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.compute.figures import Figures, conform
from pipeline.ingest import segment

PARTS = ("measures", "digests", "breaches")


def store_figures(
    db: sqlite3.Connection, context: str, parts: Sequence[tuple[Figures, Mapping[int, str]]]
) -> None:
    """Keep the figures of ``parts`` (each numbering its files as its ``shas`` names them) under
    ``context``, as one segment a kind (not one a reader task), and drop any other context's."""
    db.execute("DELETE FROM figures WHERE context != ?", (context,))
    keys: list[str] = []
    frames: dict[str, list[pd.DataFrame]] = {part: [] for part in PARTS}
    for figures, shas in parts:
        position = {number: len(keys) + n for n, number in enumerate(figures.files)}
        keys += [shas[number] for number in figures.files]
        for part, frame in zip(PARTS, _frames(figures), strict=True):
            frames[part].append(frame.assign(_file=frame[segment.FILE].map(position)))
    if not keys:
        return
    for part, pieces in frames.items():
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        fields = [c for c in frame.columns if c not in (segment.FILE, segment.ROW)]
        db.execute(
            "INSERT INTO figures (context, part, data) VALUES (?, ?, ?)",
            (context, part, segment.encode(frame, keys, fields)),
        )


def load_figures(
    db: sqlite3.Connection, context: str, number: Mapping[str, int],
    decoded: Mapping[int, segment.Decoded] | None = None,
) -> Figures:  # fmt: skip
    """The figures kept under ``context`` of the files in ``number`` (sha256 → file number);
    those in ``decoded`` (by id: `batch.decode_ahead`) are not decoded again."""
    parts, number, ahead = {}, dict(number), decoded or {}
    for part in PARTS:
        query = "SELECT id, data FROM figures WHERE context = ? AND part = ? ORDER BY id"
        frames = [
            segment.decoded_frame(ahead[row], number) if row in ahead else segment.decode(blob, number)
            for row, blob in db.execute(query, (context, part))
        ]
        parts[part] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {segment.FILE: np.array([], dtype=np.int64), segment.ROW: np.array([], dtype=np.int64)}
        )
    measures, digests = (parts[p].set_index(segment.FILE).drop(columns=segment.ROW) for p in PARTS[:2])
    return conform(measures, digests, parts["breaches"])


def _frames(figures: Figures) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    def by_file(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename_axis(segment.FILE).reset_index().assign(_row=0)

    return by_file(figures.measures), by_file(figures.digests), figures.breaches
