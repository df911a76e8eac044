"""What a file really is, decided from its bytes before any spreadsheet reader sees it.

Encrypted packages, zip bombs, truncated archives and files that are no workbook at all are
turned away here with a reason the cadre can act on.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile

from pipeline.problems import Location, Problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Limits:
    """Defences against hostile or broken files; see README "Limits"."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_unzipped_bytes: int = 500 * 1024 * 1024
    max_zip_ratio: float = 200.0  # uncompressed / compressed, over the whole archive
    max_zip_members: int = 10_000


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "ooxml", "ods", "xls", or "" when the file must not be read
    problems: tuple[Problem, ...] = ()


def sniff(path: Path, display: str, limits: Limits) -> Sniffed:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return _refuse(
            "file-too-large",
            display,
            f"{size / 1048576:.1f} MB，上限 {limits.max_file_bytes / 1048576:.0f} MB",
        )
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path, display, limits)
    if head == OLE_MAGIC:
        return _sniff_ole(path, display)
    return _refuse("file-not-workbook", display, "空文件" if size == 0 else "内容不是电子表格")


def _sniff_zip(path: Path, display: str, limits: Limits) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            mimetype = archive.read("mimetype")[:64] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        return _refuse(
            "file-unreadable", display, f"压缩结构损坏或文件不完整（{type(exc).__name__}）"
        )
    unzipped = sum(m.file_size for m in members)
    packed = max(sum(m.compress_size for m in members), 1)
    if len(members) > limits.max_zip_members or unzipped > limits.max_unzipped_bytes:
        return _refuse("file-unsafe", display, f"解压后 {unzipped / 1048576:.0f} MB，超过上限")
    if unzipped / packed > limits.max_zip_ratio and unzipped > 10 * 1024 * 1024:
        return _refuse("file-unsafe", display, f"压缩比 {unzipped / packed:.0f}:1，疑似压缩炸弹")
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return Sniffed("ods")
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        return _refuse("file-not-workbook", display, "压缩包中没有工作簿")
    macro = any(n.lower().endswith("vbaproject.bin") for n in names)
    return Sniffed("ooxml", (Problem("macro-present", Location(display)),) if macro else ())


def _sniff_ole(path: Path, display: str) -> Sniffed:
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
            encrypted = "EncryptedPackage" in streams or _xls_is_encrypted(ole, streams)
    except (OSError, ValueError, IndexError, EOFError, TypeError) as exc:
        return _refuse("file-unreadable", display, f"文件结构损坏（{type(exc).__name__}）")
    if encrypted:
        return Sniffed("", (Problem("file-encrypted", Location(display)),))
    if streams & {"Workbook", "Book"}:
        return Sniffed("xls")
    return _refuse("file-not-workbook", display, "Office 文件但不是工作簿")


def _xls_is_encrypted(ole: olefile.OleFileIO, streams: set[str]) -> bool:
    """A BIFF8 workbook is encrypted when a FILEPASS record (0x002F) follows its BOF."""
    name = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
    if name is None:
        return False
    data = ole.openstream(name).read(4096)
    offset = 0
    while offset + 4 <= len(data):
        record, length = (
            int.from_bytes(data[offset : offset + 2], "little"),
            int.from_bytes(data[offset + 2 : offset + 4], "little"),
        )
        if record == 0x002F:
            return True
        if record == 0x00E1 or record == 0x0042:  # INTERFACEHDR / CODEPAGE: past the FILEPASS slot
            return False
        offset += 4 + length
    return False


def _refuse(code: str, display: str, detail: str) -> Sniffed:
    return Sniffed("", (Problem(code, Location(display), params={"detail": detail}),))
