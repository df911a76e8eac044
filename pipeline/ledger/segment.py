"""A segment: the normalised rows of one sheet kind for the files of one run, as one blob.

Storing rows one SQLite row each costs minutes at 10,000 workbooks (2.5 million rows written
and read back value by value); a segment is written and read array-wise in about a second.

Normalised values are None, float, Timestamp, NaT or text (`pipeline.ingest.normalise`). Each
column is stored as a kind code per value and, per kind, the values of that kind only: floats,
nanoseconds since 1970, and indices into the column's distinct texts (kept as JSON). The blob is
an ``.npz`` archive read with ``allow_pickle=False``: loading a ledger never runs code.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

NONE, FLOAT, STAMP, NAT, TEXT = range(5)
_KINDS: defaultdict[type, int] = defaultdict(
    lambda: TEXT, {type(None): NONE, float: FLOAT, pd.Timestamp: STAMP, type(pd.NaT): NAT, str: TEXT}
)  # any other type is kept as its text
FILE, ROW = "_file", "_row"


def encode(frame: pd.DataFrame, shas: Sequence[str], fields: Sequence[str]) -> bytes:
    """``frame``'s rows (``_file`` numbering ``shas``) as a blob that names files by checksum."""
    arrays: dict[str, np.ndarray] = {
        "files": frame[FILE].to_numpy(np.int64),
        "rows": frame[ROW].to_numpy(np.int64),
        "shas": _text_blob(list(shas)),
        "fields": _text_blob(list(fields)),
    }
    for n, name in enumerate(fields):
        arrays |= {f"{n}.{part}": array for part, array in _encode_column(frame[name]).items()}
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def decode(blob: bytes, number: dict[str, int]) -> pd.DataFrame:
    """The rows of the files in ``number`` (checksum → file number in the batch), others dropped."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        shas, fields = _texts(arrays["shas"]), _texts(arrays["fields"])
        renumber = np.array([number.get(sha, -1) for sha in shas], dtype=np.int64)
        files = renumber[arrays["files"]] if len(shas) else arrays["files"]
        keep = files >= 0
        frame = pd.DataFrame({FILE: files[keep], ROW: arrays["rows"][keep]})
        for n, name in enumerate(fields):  # object Series: pandas would infer str and NaN
            frame[name] = pd.Series(_decode_column(arrays, f"{n}.", len(keep))[keep], dtype=object)
    return frame


def _encode_column(values: pd.Series) -> dict[str, np.ndarray]:
    array = values.to_numpy(dtype=object)
    kinds = np.fromiter(map(_KINDS.__getitem__, map(type, array)), np.uint8, len(array))
    texts = array[kinds == TEXT]
    codes, distinct = pd.factorize(pd.Series([v if type(v) is str else str(v) for v in texts], dtype=object))
    return {
        "kinds": kinds,
        "floats": array[kinds == FLOAT].astype(np.float64),
        "stamps": _nanoseconds(array[kinds == STAMP]),
        "codes": codes.astype(np.int32),
        "distinct": _text_blob(list(distinct)),
    }


def _decode_column(arrays: np.lib.npyio.NpzFile, prefix: str, length: int) -> np.ndarray:
    kinds = arrays[prefix + "kinds"]
    out = np.full(length, None, dtype=object)
    out[kinds == FLOAT] = arrays[prefix + "floats"].tolist()
    stamps = arrays[prefix + "stamps"]
    if len(stamps):  # one Timestamp object per distinct day, as normalisation makes them
        codes, days = pd.factorize(stamps)
        shared = np.array(list(pd.to_datetime(days, unit="ns")), dtype=object)
        out[kinds == STAMP] = shared[codes]
    out[kinds == NAT] = pd.NaT
    distinct = np.array(_texts(arrays[prefix + "distinct"]), dtype=object)
    if len(distinct):
        out[kinds == TEXT] = distinct[arrays[prefix + "codes"]]
    return out


def _nanoseconds(stamps: np.ndarray) -> np.ndarray:
    return np.fromiter((stamp.value for stamp in stamps), np.int64, len(stamps))  # ns, any unit


def _text_blob(texts: list[str]) -> np.ndarray:
    return np.frombuffer(json.dumps(texts, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _texts(blob: np.ndarray) -> list[str]:
    return list(json.loads(blob.tobytes().decode("utf-8")))
