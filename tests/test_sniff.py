"""The sniffer's direct reading of a zip's directory agrees with zipfile, or leaves it to zipfile.

`plain_directory` reads the members of the plain zips spreadsheet programs write without
zipfile; anything unusual must come back None, and every verdict must be the one zipfile's
reading gives.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import compliant_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.demo.fill import fill_ledger
from pipeline.ingest import sniff as sniffing
from pipeline.ingest.sniff import Limits, Sniffed, plain_directory, sniff

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "foreign"


def _zipfile_members(data: bytes) -> list[tuple[str, int, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(m.filename, m.file_size, m.compress_size) for m in archive.infolist()]


def _by_zipfile(data: bytes, monkeypatch: pytest.MonkeyPatch, display: str) -> Sniffed:
    with monkeypatch.context() as patched:
        patched.setattr(sniffing, "plain_directory", lambda _: None)
        return sniff(data, display, Limits())


@pytest.fixture(scope="module")
def ledger_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("ledger") / "台账.xlsx"
    fill_ledger(compliant_content("张明", "渭滨区团委"), path)
    return path.read_bytes()


def _zip(extra: bytes = b"", **options: object) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in options.items():
            setattr(archive, key, value)
        types = zipfile.ZipInfo("[Content_Types].xml")
        types.extra = extra
        archive.writestr(types, "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>" * 100)
        archive.writestr("xl/中文.xml", "<x/>")  # a UTF-8 name
    return buffer.getvalue()


def test_our_templates_directory_is_read_directly_and_as_zipfile_reads_it(
    ledger_bytes: bytes,
) -> None:
    members = plain_directory(ledger_bytes)
    assert members is not None and len(members) > 10
    assert members == _zipfile_members(ledger_bytes)
    assert sniff(ledger_bytes, "inbox/台账.xlsx", Limits()) == Sniffed("ooxml")


def test_a_utf8_name_is_read_as_zipfile_reads_it() -> None:
    data = _zip()
    assert plain_directory(data) == _zipfile_members(data)
    assert ("xl/中文.xml", 4, _zipfile_members(data)[2][2]) in (plain_directory(data) or [])


@pytest.mark.parametrize(
    "unusual",
    [
        pytest.param(lambda data: data[:-1], id="truncated"),
        pytest.param(lambda data: b"MZ" + b"\0" * 100 + data, id="bytes before the archive"),
        pytest.param(lambda data: data + b"\0", id="bytes after the archive"),
        pytest.param(lambda data: data.replace(b"PK\x01\x02", b"PK\x01\x03", 1), id="damaged"),
        pytest.param(lambda _: _zip(comment=b"saved by a tool"), id="archive comment"),
        pytest.param(lambda _: _zip(b"UT\x05\x00\x01\x00\x00\x00\x00"), id="extra field"),
        pytest.param(lambda _: _zip(b"UT\x09\x00\x01"), id="corrupt extra field"),
        pytest.param(
            lambda data: data.replace(b"PK\x01\x02\x14\x03\x14", b"PK\x01\x02\x14\x03\x40", 1),
            id="a version zipfile does not read",
        ),
    ],
)
def test_an_unusual_zip_is_left_to_zipfile(
    unusual: Callable[[bytes], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = unusual(_zip())
    assert plain_directory(data) is None
    assert sniff(data, "inbox/x.xlsx", Limits()) == _by_zipfile(data, monkeypatch, "inbox/x.xlsx")


def test_a_name_flagged_utf8_that_is_not_gets_zipfiles_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = bytearray(_zip())
    entry = data.find(b"PK\x01\x02")
    data[entry + 9] |= 0x08  # general purpose flag bit 11: the name is UTF-8
    data[entry + 46] = 0xFF  # which no UTF-8 name starts with
    assert plain_directory(bytes(data)) is None
    sniffed = sniff(bytes(data), "inbox/x.xlsx", Limits())
    assert sniffed == _by_zipfile(bytes(data), monkeypatch, "inbox/x.xlsx")
    assert [p.code for p in sniffed.problems] == ["file-unreadable"]


CHANGES = st.lists(st.tuples(st.integers(1, 400), st.integers(0, 255)), min_size=1, max_size=6)
FIXTURES_KEPT = [HealthCheck.function_scoped_fixture]  # monkeypatch is undone every example


@settings(max_examples=500, deadline=None, suppress_health_check=FIXTURES_KEPT)
@given(changes=CHANGES)
def test_a_damaged_directory_never_raises_and_gets_zipfiles_verdict(
    changes: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes changed anywhere in the directory's end of the file: the same verdict either way."""
    data = bytearray(_zip())
    for back, value in changes:
        data[-min(back, len(data))] = value
    damaged = bytes(data)
    members = plain_directory(damaged)
    if members is not None:
        assert members == _zipfile_members(damaged)
    assert sniff(damaged, "inbox/x.xlsx", Limits()) == _by_zipfile(
        damaged, monkeypatch, "inbox/x.xlsx"
    )


def test_a_zip64_directory_is_left_to_zipfile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zipfile then ends it the zip64 way
    data = _zip()
    assert b"PK\x06\x06" in data  # the zip64 end of central directory
    assert plain_directory(data) is None
    assert sniff(data, "inbox/x.xlsx", Limits()) == Sniffed("ooxml")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the checkout")
def test_every_corpus_file_gets_the_verdict_zipfile_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    direct = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        data = path.read_bytes()
        members = plain_directory(data)
        if members is not None:
            direct += 1
            assert members == _zipfile_members(data), path
        assert sniff(data, path.name, Limits()) == _by_zipfile(data, monkeypatch, path.name), path
    assert direct > 100  # most of the corpus's zips are plain: the direct path was exercised
