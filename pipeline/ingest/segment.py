"""A segment: the normalised rows of one sheet kind for several files, as one blob.

Storing rows one SQLite row each costs minutes at 10,000 workbooks (2.5 million rows written
and read back value by value); a segment is written and read array-wise in about a second.

Normalised values are None, float, Timestamp, NaT or text (`pipeline.ingest.normalise`). Each
column is stored as a kind code per value and, per kind, the values of that kind only: floats,
nanoseconds since 1970, and indices into a table of the column's texts (kept as JSON; the one
normalisation made, `Coded`, may name a text twice or one no row keeps). The blob is
a JSON table of contents followed by the arrays' raw bytes, of a few plain numeric types only:
loading a ledger never runs code, and a segment of 256 files decodes in milliseconds.
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

NONE, FLOAT, STAMP, NAT, TEXT = range(5)
_KINDS: defaultdict[type, int] = defaultdict(
    lambda: TEXT, {type(None): NONE, float: FLOAT, pd.Timestamp: STAMP, type(pd.NaT): NAT, str: TEXT}
)  # any other type is kept as its text
FILE, ROW = "_file", "_row"
KIND = "_kind:"  # a reader's typed frame keeps each field's kinds beside it (`kind_column`)
DAYS = KIND + "days:"  # and a date field's days as nanoseconds (`days_column`)
SAME = KIND + "same:"  # and a text field's values as numbers, equal for equal texts (`same_column`)
MAGIC = b"LXS1"
DTYPES = {np.dtype(t).str for t in (np.uint8, np.int32, np.int64, np.float64)}


@dataclass(frozen=True)
class Decoded:
    """A whole segment decoded (`decode_whole`): its keys, each row's key (an index into them)
    and sheet row, and each field's values, every row's; numbered for a batch when used."""

    keys: list[str]
    files: np.ndarray
    rows: np.ndarray
    columns: dict[str, np.ndarray]


class Stored(Protocol):
    """A segment's bytes wherever they are kept; `keys` need not read its rows."""

    def keys(self) -> list[str]: ...

    def data(self) -> bytes: ...

    def decoded(self) -> Decoded | None:
        """The segment decoded already (ahead of need), if it was."""
        ...


@dataclass(frozen=True)
class InMemory:
    """A segment held as bytes, as the workers send it."""

    blob: bytes

    def keys(self) -> list[str]:
        return keys(_reader(self.blob))

    def data(self) -> bytes:
        return self.blob

    def decoded(self) -> Decoded | None:
        return None


@dataclass(frozen=True)
class Coded:
    """A text column's values as codes into a table of them (each row's value is
    ``table[codes[row]]``; a blank's, None), as normalisation found them."""

    codes: np.ndarray
    table: np.ndarray
    distinct: bool = False  # whether no text is in the table twice

    def __getitem__(self, rows: np.ndarray) -> Coded:
        return Coded(self.codes[rows], self.table, self.distinct)

    def same(self) -> np.ndarray:
        """Each row's value as a number, equal for equal values, -1 for a blank
        (`same_column`): a text's place in the table when the table is `distinct`, else its
        number among the table's texts (it may hold a text twice, made equal by cleaning)."""
        if self.distinct:  # a task's names and phone numbers: no hash table of them again
            numbers = np.arange(len(self.table))
            numbers[pd.isna(self.table)] = -1
        else:
            numbers, _ = pd.factorize(self.table)  # None, the table's last, is -1
        return numbers[self.codes]


def encode(
    frame: pd.DataFrame, keys: Sequence[str], fields: Sequence[str],
    coded: Mapping[str, Coded] | None = None,
) -> bytes:  # fmt: skip
    """``frame``'s rows (``_file`` numbering ``keys``) as a blob that names each file by its
    key; ``coded``, the text columns' codes where the caller has them (`Coded`)."""
    arrays: dict[str, np.ndarray] = {
        "files": frame[FILE].to_numpy(np.int64),
        "rows": frame[ROW].to_numpy(np.int64),
        "keys": _text_blob(list(keys)),
        "fields": _text_blob(list(fields)),
    }
    for n, name in enumerate(fields):
        known = None if coded is None else coded.get(name)
        encoded = _encode_column(frame[name], kinds_in(frame, name), known, days_in(frame, name))
        arrays |= {f"{n}.{part}": array for part, array in encoded.items()}
    return _pack(arrays)


def kind_column(name: str) -> str:
    """The column beside field ``name`` in a reader's typed frame that holds its values'
    kinds (`kinds_of`), found once while typing and used by encoding, validation and the
    figures; frames decoded from a segment have none."""
    return KIND + name


def kinds_in(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    """The kinds of ``frame[name]``'s values if the frame keeps them (`kind_column`)."""
    return _beside(frame, kind_column(name))


def days_column(name: str) -> str:
    """The column beside date field ``name`` in a reader's typed frame that holds its days as
    nanoseconds since 1970 (a NaT's, the smallest int64, for any other value): found once
    while typing, used by encoding, validation and the figures."""
    return DAYS + name


def days_in(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    """``frame[name]``'s days as nanoseconds if the frame keeps them (`days_column`)."""
    return _beside(frame, days_column(name))


def same_column(name: str) -> str:
    """The column beside text field ``name`` in a reader's typed frame that numbers its values,
    equal numbers for equal texts (-1 for a blank), where typing found them (`Coded`) and the
    field is a key of its sheet's duplicate-row check, which compares rows on these before
    their texts (`pipeline.validate.schemas`)."""
    return SAME + name


def same_in(frame: pd.DataFrame, name: str) -> np.ndarray | None:
    """``frame[name]``'s values as numbers if the frame keeps them (`same_column`)."""
    return _beside(frame, same_column(name))


def _beside(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    return frame[column].to_numpy() if column in frame.columns else None


def decode(blob: bytes, number: dict[str, int]) -> pd.DataFrame:
    """The rows of the files in ``number`` (key → file number in the batch), others dropped."""
    arrays = _unpack(blob)
    return _frame(arrays, *_numbered(_texts(arrays["keys"]), number, arrays["files"]))


def decode_whole(blob: bytes) -> Decoded:
    """Every row of a segment, decoded once to be numbered for any batch (`Decoded`)."""
    arrays = _unpack(blob)
    fields = _texts(arrays["fields"])
    columns = {name: _decode_column(arrays, f"{n}.") for n, name in enumerate(fields)}
    return Decoded(_texts(arrays["keys"]), arrays["files"], arrays["rows"], columns)


def decoded_frame(whole: Decoded, number: dict[str, int]) -> pd.DataFrame:
    """`decode` of a segment decoded already."""
    files, keep = _numbered(whole.keys, number, whole.files)
    columns: dict[str, object] = {FILE: files[keep], ROW: whole.rows[keep]}
    for name, values in whole.columns.items():  # object Series: pandas would infer str and NaN
        columns[name] = pd.Series(values[keep], dtype=object)
    return pd.DataFrame(columns)


def stack(sources: Sequence[Stored], number: dict[str, int], fields: Sequence[str]) -> pd.DataFrame:
    """One sheet kind's rows from every segment, in file order, each file's rows in sheet order.

    A field the contract gained after a segment was written is blank in that segment's files.
    A segment holding none of the files in ``number`` is passed over on its keys alone. The
    segments' columns are joined as arrays, and made a frame once (a rerun stacks dozens).
    """
    files, rows = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    columns: dict[str, list[np.ndarray]] = {name: [np.empty(0, dtype=object)] for name in fields}
    for source in sources:
        if number.keys().isdisjoint(source.keys()):
            continue
        part = _part(source, number, fields)
        if part is None:
            continue
        files.append(part[0])
        rows.append(part[1])
        for name, values in part[2].items():
            columns[name].append(values)
    every = np.concatenate(files)
    order = None if (every[1:] >= every[:-1]).all() else np.argsort(every, kind="stable")

    def ordered(parts: list[np.ndarray]) -> np.ndarray:
        joined = np.concatenate(parts)
        return joined if order is None else joined[order]

    frame: dict[str, object] = {FILE: ordered(files), ROW: ordered(rows)}
    for name in fields:  # object Series: pandas would infer str and NaN
        frame[name] = pd.Series(ordered(columns[name]), dtype=object)
    return pd.DataFrame(frame)


def _part(
    source: Stored, number: dict[str, int], fields: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
    """The kept rows of one segment: their file numbers, their sheet rows and the values of
    ``fields`` (blank for a field the segment does not hold); None if no row is kept."""
    whole = source.decoded()
    if whole is not None:
        files, keep = _numbered(whole.keys, number, whole.files)
        if not keep.any():
            return None
        rows, held = whole.rows, {name: values[keep] for name, values in whole.columns.items()}
    else:
        arrays = _unpack(source.data())
        files, keep = _numbered(source.keys(), number, arrays["files"])
        if not keep.any():
            return None
        rows, chosen = arrays["rows"], None if keep.all() else keep  # decode the kept rows only
        stored = _texts(arrays["fields"])
        held = {name: _decode_column(arrays, f"{n}.", chosen) for n, name in enumerate(stored)}
    blank = np.full(int(keep.sum()), None, dtype=object)
    return files[keep], rows[keep], {name: held.get(name, blank) for name in fields}


def keys(read: Callable[[int, int], bytes]) -> list[str]:
    """The keys of the files a segment holds, given ``read(offset, size)`` of its bytes: only its
    table of contents and its key list are read, not its rows."""
    start, contents = _contents(read)
    for name, _, count, offset in contents:
        if name == "keys":
            return list(json.loads(read(start + offset, count).decode("utf-8")))
    raise ValueError("数据段中没有文件列表")


def _numbered(
    held: list[str], number: dict[str, int], files: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's file number in the batch (-1 for files not in ``number``), and which are kept;
    ``files`` index ``held``, the segment's keys."""
    renumber = np.array([number.get(key, -1) for key in held], dtype=np.int64)
    numbered = renumber[files] if len(held) else np.asarray(files, dtype=np.int64)
    return numbered, numbered >= 0


def _frame(arrays: dict[str, np.ndarray], files: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    fields = _texts(arrays["fields"])
    chosen = None if keep.all() else keep  # decode only the kept rows' values
    columns: dict[str, object] = {FILE: files[keep], ROW: arrays["rows"][keep]}
    for n, name in enumerate(fields):  # object Series: pandas would infer str and NaN
        values = _decode_column(arrays, f"{n}.", chosen) if keep.any() else np.array([], object)
        columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


def _encode_column(
    values: pd.Series, kinds: np.ndarray | None = None, coded: Coded | None = None,
    days: np.ndarray | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    array = values.to_numpy(dtype=object)
    kinds = kinds_of(array, kinds)
    is_text = kinds == TEXT
    if coded is not None:  # a text row's code points at a text; a blank's entry is never read
        codes, distinct = coded.codes[is_text], ["" if t is None else t for t in coded.table]
    else:
        texts = array[is_text]
        if pd.api.types.infer_dtype(texts, skipna=False) != "string":  # an unusual type: text
            texts = np.array([v if type(v) is str else str(v) for v in texts], dtype=object)
        codes, found = pd.factorize(pd.Series(texts, dtype=object))
        distinct = list(found)
    return {
        "kinds": kinds,
        "floats": array[kinds == FLOAT].astype(np.float64),
        "stamps": nanoseconds(array[kinds == STAMP]) if days is None else days[kinds == STAMP],
        "codes": codes.astype(np.int32),
        "distinct": _text_blob(distinct),
    }


def _decode_column(
    arrays: dict[str, np.ndarray], prefix: str, keep: np.ndarray | None = None
) -> np.ndarray:
    """One column's values, of the rows ``keep`` marks (all rows when None)."""
    every = arrays[prefix + "kinds"]
    kinds = every if keep is None else every[keep]
    out = np.full(len(kinds), None, dtype=object)

    def kept(kind: int, values: np.ndarray) -> np.ndarray:
        """``values`` (one per row of that kind) of the kept rows of that kind."""
        if keep is None:
            return values
        of_kind = every == kind
        return values[(np.cumsum(of_kind) - 1)[keep & of_kind]]

    out[kinds == FLOAT] = kept(FLOAT, arrays[prefix + "floats"]).tolist()
    stamps = kept(STAMP, arrays[prefix + "stamps"])
    if len(stamps):  # one Timestamp object per distinct day, as normalisation makes them
        codes, days = pd.factorize(stamps)
        shared = np.array(list(pd.to_datetime(days, unit="ns")), dtype=object)
        out[kinds == STAMP] = shared[codes]
    out[kinds == NAT] = pd.NaT
    distinct = np.array(_texts(arrays[prefix + "distinct"]), dtype=object)
    if len(distinct):
        out[kinds == TEXT] = distinct[kept(TEXT, arrays[prefix + "codes"])]
    return out


def _pack(arrays: dict[str, np.ndarray]) -> bytes:
    contents, parts, offset = [], [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).tobytes()
        contents.append((name, array.dtype.str, len(array), offset))
        parts.append(data)
        offset += len(data)
    head = json.dumps(contents).encode("utf-8")
    return b"".join([MAGIC, len(head).to_bytes(4, "little"), head, *parts])


def _unpack(blob: bytes) -> dict[str, np.ndarray]:
    start, contents = _contents(_reader(blob))
    arrays = {}
    for name, dtype, count, offset in contents:
        if dtype not in DTYPES:
            raise ValueError(f"数据段中有不应出现的数组类型 {dtype!r}")
        arrays[name] = np.frombuffer(blob, np.dtype(dtype), count, start + offset)
    return arrays


def _reader(blob: bytes) -> Callable[[int, int], bytes]:
    """``read(offset, size)`` of a blob in memory."""
    return lambda offset, size: blob[offset : offset + size]


def _contents(read: Callable[[int, int], bytes]) -> tuple[int, list[list]]:
    """Where a segment's arrays begin, and its table of contents: (name, dtype, count, offset)."""
    prefix = read(0, len(MAGIC) + 4)
    if prefix[: len(MAGIC)] != MAGIC:
        raise ValueError("数据段开头不是 lianxi 的格式标记")
    size = int.from_bytes(prefix[len(MAGIC) :], "little")
    return len(prefix) + size, list(json.loads(read(len(prefix), size).decode("utf-8")))


def kinds_of(array: np.ndarray, kept: np.ndarray | None = None) -> np.ndarray:
    """The kind code (NONE, FLOAT, STAMP, NAT, TEXT) of each normalised value; ``kept``, the
    kinds a reader's frame keeps beside the values (`kinds_in`), when the caller has them."""
    if kept is not None:
        return kept
    return np.fromiter(map(_KINDS.__getitem__, map(type, array)), np.uint8, len(array))


def nanoseconds(stamps: np.ndarray) -> np.ndarray:
    return np.fromiter(map(_VALUE, stamps), np.int64, len(stamps))  # ns, whatever the unit


_VALUE = operator.attrgetter("value")


def _text_blob(texts: list[str]) -> np.ndarray:
    return np.frombuffer(json.dumps(texts, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _texts(blob: np.ndarray) -> list[str]:
    return list(json.loads(blob.tobytes().decode("utf-8")))
