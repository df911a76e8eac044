"""What a file really is, decided from its bytes before any spreadsheet reader sees it.

Encrypted packages, zip bombs, truncated archives and files that are no workbook at all are
turned away here with a reason the cadre can act on.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass

import olefile

from pipeline.problems import Location, Problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 4096
# Spreadsheets no reader of ours opens: the cadre is told to save as .xlsx, not "not a workbook"
OLD_FORMATS = (
    (re.compile(rb"\A\x09[\x00\x02\x04\x08][\x04-\x10]\x00"), "旧版 Excel 二进制格式"),
    (re.compile(rb"<\?mso-application\s+progid=\"excel\.sheet\"|urn:schemas-microsoft-com:office:spreadsheet", re.I), "Excel 2003 XML 表格格式"),
    (re.compile(rb"<office:document\b[^>]*application/vnd\.oasis\.opendocument\.spreadsheet"), "单文件 OpenDocument 表格（.fods）格式"),
)  # fmt: skip
WORKBOOK_PARTS = ("workbook.xml", "workbook.bin")  # .xlsx/.xlsm (also Strict) and .xlsb
MACRO_PARTS = ("vbaproject.bin", "xl/macrosheets/")  # VBA, and Excel 4.0 (XLM) macro sheets
MANIFEST_LIMIT = 1024 * 1024
OPENDOCUMENT_PARTS = frozenset({"mimetype", "META-INF/manifest.xml"})  # read from the zip itself
END = struct.Struct("<4s4H2LH")  # the zip's end of central directory record
ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # a central directory entry
ZIP64_LOCATOR = b"PK\x06\x07"  # before the end record of a zip64 archive
UTF8_NAME = 0x800  # general purpose flag: the entry's name is UTF-8, not code page 437
Member = tuple[str, int, int]  # name, size unzipped, size packed


@dataclass(frozen=True)
class Limits:
    """Defences against hostile or broken files; see README "Limits"."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_unzipped_bytes: int = 500 * 1024 * 1024
    max_zip_ratio: float = 200.0  # uncompressed / compressed, over the whole archive
    max_zip_members: int = 10_000


@dataclass(frozen=True)
class Sniffed:
    kind: str  # "ooxml", "xlsb", "ods", "xls", or "" when the file must not be read
    problems: tuple[Problem, ...] = ()


def sniff(data: bytes, display: str, limits: Limits) -> Sniffed:
    """What the file whose bytes are ``data`` is, and whether a reader may open it."""
    size = len(data)
    if size > limits.max_file_bytes:
        return _refuse(
            "file-too-large",
            display,
            f"{size / 1048576:.1f} MB，上限 {limits.max_file_bytes / 1048576:.0f} MB",
        )
    head = data[:HEAD_BYTES]
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(data, display, limits)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data, display)
    for pattern, name in OLD_FORMATS:
        if pattern.search(head):
            return _refuse("file-unreadable", display, name)
    return _refuse("file-not-workbook", display, "空文件" if size == 0 else "内容不是电子表格")


def _sniff_zip(data: bytes, display: str, limits: Limits) -> Sniffed:
    members = plain_directory(data)
    if members is not None and not OPENDOCUMENT_PARTS & {name for name, _, _ in members}:
        return _refused_by_size(members, display, limits) or _spreadsheet(members, display)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _sniff_archive(archive, display, limits)
    except (
        zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError,
        NotImplementedError, RuntimeError,  # an unknown compression method; a zip password
    ) as exc:  # fmt: skip
        return _refuse(
            "file-unreadable", display, f"压缩结构损坏或文件不完整（{type(exc).__name__}）"
        )


def plain_directory(data: bytes) -> list[Member] | None:
    """The members of a plain zip, read straight from its central directory: what every
    spreadsheet program writes. None for anything else (zip64, a comment, extra fields, bytes
    before or after the archive, damage), which zipfile then reads, and judges, itself.

    zipfile makes an object of every member and seeks through a file object: for the two
    dozen members of a workbook that cost more than hashing the file.
    """
    end = len(data) - END.size
    if end < 0 or data[end : end + 4] != b"PK\x05\x06":
        return None
    if ZIP64_LOCATOR in data[max(end - 20, 0) : end]:  # zipfile would read a zip64 end there
        return None
    _, disk, first_disk, here, total, size, offset, comment = END.unpack_from(data, end)
    if disk or first_disk or here != total or comment or offset + size != end:
        return None
    members, at = [], offset
    for _ in range(total):
        if at + ENTRY.size > end:
            return None
        entry = ENTRY.unpack_from(data, at)
        version, flags = entry[3], entry[5]
        packed, unzipped, name_length, extra_length, comment_length = entry[10:15]
        name = data[at + ENTRY.size : at + ENTRY.size + name_length]
        if (
            entry[0] != b"PK\x01\x02" or version > zipfile.MAX_EXTRACT_VERSION or extra_length
            or 0xFFFFFFFF in (packed, unzipped) or b"\0" in name
        ):  # fmt: skip
            return None  # damaged, too new, with extra fields (zipfile checks them), zip64
        try:
            text = name.decode("utf-8" if flags & UTF8_NAME else "cp437")
        except UnicodeDecodeError:  # a name flagged UTF-8 that is not: zipfile's verdict
            return None
        members.append((text, unzipped, packed))
        at += ENTRY.size + name_length + comment_length
    return members if at == end else None


def _sniff_archive(archive: zipfile.ZipFile, display: str, limits: Limits) -> Sniffed:
    """Sizes from the zip directory first: no member is inflated before they pass."""
    members = [(m.filename, m.file_size, m.compress_size) for m in archive.infolist()]
    if refused := _refused_by_size(members, display, limits):
        return refused
    names = {name for name, _, _ in members}
    if _ods_is_encrypted(archive, names):
        return Sniffed("", (Problem("file-encrypted", Location(display)),))
    if "mimetype" in names:
        with archive.open("mimetype") as member:
            if member.read(64).startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                return Sniffed("ods")
    return _spreadsheet(members, display)


def _refused_by_size(members: list[Member], display: str, limits: Limits) -> Sniffed | None:
    unzipped = sum(size for _, size, _ in members)
    packed = max(sum(size for _, _, size in members), 1)
    if len(members) > limits.max_zip_members or unzipped > limits.max_unzipped_bytes:
        return _refuse("file-unsafe", display, f"解压后 {unzipped / 1048576:.0f} MB，超过上限")
    if unzipped / packed > limits.max_zip_ratio and unzipped > 10 * 1024 * 1024:
        return _refuse("file-unsafe", display, f"压缩比 {unzipped / packed:.0f}:1，疑似压缩炸弹")
    return None


def _spreadsheet(members: list[Member], display: str) -> Sniffed:
    """Which workbook the parts make, if any, and whether it carries macros."""
    lowered = [name.lower() for name in {name for name, _, _ in members}]
    if not any(n.endswith(WORKBOOK_PARTS) for n in lowered):
        return _refuse("file-not-workbook", display, "压缩包中没有工作簿")
    macro = any(part in n for n in lowered for part in MACRO_PARTS)
    kind = "ooxml" if any(n.endswith("workbook.xml") for n in lowered) else "xlsb"
    return Sniffed(kind, (Problem("macro-present", Location(display)),) if macro else ())


def _ods_is_encrypted(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """An encrypted OpenDocument file lists its encryption in META-INF/manifest.xml."""
    name = "META-INF/manifest.xml"
    if name not in names or archive.getinfo(name).file_size > MANIFEST_LIMIT:
        return False
    return b"encryption-data" in archive.read(name)


def _sniff_ole(data: bytes, display: str) -> Sniffed:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}  # names ignore case
            encrypted = "encryptedpackage" in streams or _xls_is_encrypted(ole, streams)
    except (OSError, ValueError, IndexError, EOFError, TypeError) as exc:
        return _refuse("file-unreadable", display, f"文件结构损坏（{type(exc).__name__}）")
    if encrypted:
        return Sniffed("", (Problem("file-encrypted", Location(display)),))
    if streams & {"workbook", "book"}:
        macro = any(s.startswith("_vba_project_cur/") for s in streams)
        return Sniffed("xls", (Problem("macro-present", Location(display)),) if macro else ())
    return _refuse("file-not-workbook", display, "Office 文件但不是工作簿")


def _xls_is_encrypted(ole: olefile.OleFileIO, streams: set[str]) -> bool:
    """A BIFF8 workbook is encrypted when a FILEPASS record (0x002F) follows its BOF."""
    name = "workbook" if "workbook" in streams else "book" if "book" in streams else None
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
