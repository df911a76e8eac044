"""Hostile inbox files: XML and zip bombs, truncation, disguises, encryption, macros, formula
injection, and two runs at once. Every input is built here from the committed template; no
binary fixture is committed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factories import (
    compliant_content,
    make_workspace,
    read_files,
    roster_rows,
    submit,
    submit_roster,
)
from openpyxl import load_workbook

from pipeline.demo.fill import LedgerContent, fill_ledger
from pipeline.ingest import ingest
from pipeline.ingest.sniff import Limits, sniff
from pipeline.ingest.worker import FileRead, WorkerLimits
from pipeline.resources import templates_dir
from pipeline.rules.model import Period
from pipeline.runner import RunOptions, run
from pipeline.validate import validate
from pipeline.write import RANKING, RECEIPT_INDEX, RUN_INFO, SUMMARY
from pipeline.write.receipts import INDEX_TITLE

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "foreign"
AS_OF = date(2026, 11, 30)
UNIT = "渭滨区团委"
OUT_DIR = Path("outbox") / f"{AS_OF.year}-{Period.YEAR_END.value}"
PAYLOADS = (
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "{=1+1}",
)
MEGABYTE = 1 << 20
LEDGER_TEMPLATE = templates_dir() / "联系青年工作台账.xlsx"


def _ledger(path: Path, name: str = "张明") -> Path:
    return fill_ledger(compliant_content(name, UNIT, year=AS_OF.year), path)


def _repack(
    source: Path,
    target: Path,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the zip ``source`` with some members' bytes replaced and others added."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.get(info.filename, old.read(info.filename)))
        for name, data in add.items():
            new.writestr(name, data)
    return target


def _read_one(path: Path, limits: WorkerLimits | None = None) -> FileRead:
    (read,) = read_files([(str(path), f"inbox/{path.name}")], workers=1, limits=limits)
    return read


def _codes(read: FileRead) -> list[str]:
    return [p.code for p in read.parsed.problems]


# --- (a) billion laughs -------------------------------------------------------------------

LAUGHS = ['<!ENTITY lol0 "lol">'] + [
    f'<!ENTITY lol{n} "{10 * ref}">' for n in range(1, 10) for ref in [f"&lol{n - 1};"]
]
DTD = f"<!DOCTYPE lolz [{''.join(LAUGHS)}]>"


def _with_laughs(xml: bytes, part: str) -> bytes:
    """``xml`` with a DTD of nested entities, and 10⁹ "lol"s referenced in a cell's text."""
    text = xml.decode("utf-8")
    head, body = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
    if part.endswith("sharedStrings.xml"):
        body = body.replace("<t>", "<t>&lol9;", 1)
    else:
        cell = '<row r="1"><c r="Z1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        body = body.replace("<sheetData>", f"<sheetData>{cell}", 1)
    assert "&lol9;" in body
    return f"{head + '?>' if head else ''}{DTD}{body}".encode()


@pytest.mark.parametrize(
    ("filled", "part"),
    [(False, "xl/sharedStrings.xml"), (True, "xl/worksheets/sheet2.xml")],  # sheet2: 基本信息
    ids=["shared-strings", "sheet"],
)
def test_a_billion_laughs_is_returned_in_seconds_without_exhausting_memory(
    tmp_path: Path, filled: bool, part: str
) -> None:
    ledger = _ledger(tmp_path / "clean.xlsx") if filled else LEDGER_TEMPLATE
    with zipfile.ZipFile(ledger) as archive:
        xml = archive.read(part)
    bomb = _repack(ledger, tmp_path / "台账.xlsx", replace={part: _with_laughs(xml, part)})
    started = time.perf_counter()
    read = _read_one(bomb, WorkerLimits(memory_bytes=1024 * MEGABYTE))  # 10⁹ lols need 3 GB
    assert time.perf_counter() - started < 20
    assert _codes(read) == ["file-unreadable"]  # refused, not expanded: a crash would say so
    assert read.parsed.sheets == {}


# --- (b) zip bomb -------------------------------------------------------------------------


def _zip_bomb(path: Path, megabytes: int) -> Path:
    """An .xlsx-shaped zip whose sheet inflates to ``megabytes`` of zeros, written streaming."""
    zeros = bytes(MEGABYTE)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(zeros)
    return path


@pytest.fixture
def no_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading any zip member fails the test: the sniffer must decide from the directory."""
    writing = zipfile.ZipFile.open

    def refuse(self: zipfile.ZipFile, name: str, mode: str = "r", **kwargs: Any) -> Any:
        assert mode == "w", f"{name} was opened for reading"
        return writing(self, name, "w", **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_a_zip_bomb_is_refused_by_its_directory(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "台账.xlsx", 600)
    assert bomb.stat().st_size < 10 * MEGABYTE
    read = _read_one(bomb)
    assert _codes(read) == ["file-unsafe"]


def test_the_zip_bomb_verdict_needs_no_member_inflated(tmp_path: Path, no_inflating: None) -> None:
    bomb = _zip_bomb(tmp_path / "台账.xlsx", 600)
    sniffed = sniff(bomb.read_bytes(), "inbox/台账.xlsx", Limits())
    assert [p.code for p in sniffed.problems] == ["file-unsafe"] and not sniffed.kind


def test_a_high_compression_ratio_is_refused(tmp_path: Path, no_inflating: None) -> None:
    bomb = _zip_bomb(tmp_path / "台账.xlsx", 4)
    tight = Limits(max_unzipped_bytes=2 * MEGABYTE)
    sniffed = sniff(bomb.read_bytes(), "inbox/台账.xlsx", tight)
    assert [p.code for p in sniffed.problems] == ["file-unsafe"]


# --- (c) truncated, (d) disguised, (e) encrypted; an archive zipfile cannot open ----------


def test_a_truncated_ledger_is_unreadable(tmp_path: Path) -> None:
    data = _ledger(tmp_path / "clean.xlsx").read_bytes()
    truncated = tmp_path / "台账.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    assert _codes(_read_one(truncated)) == ["file-unreadable"]


def _deflate64(path: Path) -> Path:
    """An .ods whose mimetype member claims Deflate64, a method Python's zipfile cannot open."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    for method in (8, central + 10):  # the local header's and the central directory's
        data[method : method + 2] = (9).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def test_an_unsupported_compression_method_costs_one_file(tmp_path: Path) -> None:
    odd = _deflate64(tmp_path / "台账.ods")
    ledger = _ledger(tmp_path / "张明.xlsx")
    jobs = [(str(odd), "inbox/台账.ods"), (str(ledger), "inbox/张明.xlsx")]
    reads = {r.display: r for r in read_files(jobs, workers=1)}
    assert _codes(reads["inbox/台账.ods"]) == ["file-unreadable"]
    assert reads["inbox/张明.xlsx"].parsed.template_id == "ledger"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.mark.parametrize("content", [PNG, PDF], ids=["png", "pdf"])
def test_a_picture_or_pdf_named_xlsx_is_no_workbook(tmp_path: Path, content: bytes) -> None:
    disguised = tmp_path / "台账.xlsx"
    disguised.write_bytes(content)
    assert _codes(_read_one(disguised)) == ["file-not-workbook"]


@pytest.mark.parametrize(
    "name",
    ["example_password.xlsx", "rc4cryptoapi_password.xls", "xor_password_123456789012345.xls"],
)
def test_an_encrypted_workbook_is_reported_as_encrypted(tmp_path: Path, name: str) -> None:
    source = CORPUS / "msoffcrypto-tool" / name
    if not source.is_file():
        pytest.skip("the shared corpus is not beside the checkout")
    copy = tmp_path / f"台账{source.suffix}"
    shutil.copyfile(source, copy)
    assert _codes(_read_one(copy)) == ["file-encrypted"]


# --- (f) macros ---------------------------------------------------------------------------

MACRO_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def test_a_macro_workbook_is_read_with_a_warning(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path / "clean.xlsx")
    with zipfile.ZipFile(ledger) as archive:
        types = archive.read("[Content_Types].xml").replace(SHEET_TYPE, MACRO_TYPE)
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # never executed, never parsed
    xlsm = _repack(
        ledger, tmp_path / "张明.xlsm", {"[Content_Types].xml": types}, {"xl/vbaProject.bin": vba}
    )
    batch = ingest([(str(xlsm), "inbox/张明.xlsm")], workers=1)
    problems = validate(batch, as_of=AS_OF, year=AS_OF.year)["inbox/张明.xlsm"]
    assert [p.code for p in problems] == ["macro-present"]
    assert batch.files["template_id"].tolist() == ["ledger"]
    assert batch.sheets["基本信息"]["姓名"].tolist() == ["张明"]
    assert len(batch.sheets["活动记录"]) > 10


# --- (g) formula injection ----------------------------------------------------------------


def _injected(name: str, shift: int) -> LedgerContent:
    """A compliant ledger whose 姓名, 联系点, 地点 and 内容摘要 are formula-like text."""
    content = compliant_content(name, UNIT, year=AS_OF.year)
    for i, point in enumerate(content.points):
        point["联系点名称"] = PAYLOADS[(shift + i) % len(PAYLOADS)]
    points = [point["联系点名称"] for point in content.points]
    for i, row in enumerate(content.activities):
        row["地点"] = PAYLOADS[i % len(PAYLOADS)]
        row["内容摘要"] = PAYLOADS[(i + 1) % len(PAYLOADS)]
        if row.get("联系点"):
            row["联系点"] = points[i % len(points)]
    return content


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Output:
    path: Path
    strings: list[str]


def _check_no_formula_or_link(path: Path) -> Output:
    """Every cell of ``path``, loaded as a user's Excel would see it (not read-only)."""
    workbook = load_workbook(path)
    strings = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}:{ws.title}!{cell.coordinate}"
                if cell.hyperlink is not None and cell.hyperlink.target:
                    target = cell.hyperlink.target
                    assert target.startswith(("http://", "https://")), target
                elif cell.hyperlink is not None:  # a cell of this workbook (批注回执's 错误清单)
                    sheet = str(cell.hyperlink.location).split("!")[0].strip("'")
                    assert sheet in workbook.sheetnames, cell.hyperlink.location
                if isinstance(cell.value, str):
                    strings.append(cell.value)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >/]", archive.read(name)), name
            if name.endswith(".rels"):
                for target in re.findall(rb'TargetMode="External"[^>]*', archive.read(name)):
                    assert re.search(rb'Target="https?://', target), target
    return Output(path, strings)


def test_formula_like_text_stays_text_in_every_output(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    names = list(PAYLOADS)
    for n, name in enumerate(names):
        submit(workspace, _injected(name, n), f"干部{n + 1}.xlsx")
    submit_roster(workspace, roster_rows([(name, UNIT) for name in names]))
    returned = compliant_content("王强", UNIT, year=AS_OF.year)
    for row, payload in zip(returned.activities, PAYLOADS, strict=False):
        row["活动类型"] = payload  # not a choice: each comes back as the value found
    submit(workspace, returned, "退回.xlsx")

    options = RunOptions(workspace, period=Period.YEAR_END, as_of=AS_OF, workers=2)
    result = run(options)
    accepted = [o for o in result.outcomes if o.status.value.startswith("已采用")]
    assert len(accepted) == len(PAYLOADS), [(o.file, o.problems) for o in result.outcomes]

    workbooks = sorted((workspace / OUT_DIR).rglob("*.xlsx"))
    assert {p.name for p in workbooks} >= {SUMMARY, RANKING, RECEIPT_INDEX}
    outputs = {p.name: _check_no_formula_or_link(p) for p in workbooks}
    everything = [_compact(s) for o in outputs.values() for s in o.strings]
    for payload in PAYLOADS:
        assert any(_compact(payload) in s for s in everything), payload
    summary = [_compact(s) for s in outputs[SUMMARY].strings]
    for name in names:
        assert _compact(name) in summary, name


# --- (h) two runs at once -----------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    code: int
    stderr: str


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Finished]]]:
    workspace = make_workspace(tmp_path_factory.mktemp("shared-workspace"))
    cadres = [("张明", UNIT), ("李芳", UNIT), ("王伟", "金台区团委")]
    for n, (name, unit) in enumerate(cadres, start=1):
        submit(workspace, compliant_content(name, unit, year=AS_OF.year), f"台账{n}.xlsx")
    submit_roster(workspace, roster_rows(cadres))
    command = [sys.executable, "-m", "pipeline", "run", "-w", str(workspace)]
    command += ["--as-of", AS_OF.isoformat(), "--period", "year-end"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    finished = []
    for process in processes:
        _, stderr = process.communicate(timeout=180)
        finished.append(Finished(process.returncode, stderr))
    yield workspace, finished


def test_two_runs_at_once_leave_complete_outputs(two_runs: tuple[Path, list[Finished]]) -> None:
    workspace, finished = two_runs
    assert all(f.code in (0, 2) for f in finished), finished
    out_dir = workspace / OUT_DIR
    for name in (SUMMARY, RANKING, RECEIPT_INDEX):
        load_workbook(out_dir / name).close()  # complete and openable
    info = json.loads((out_dir / RUN_INFO).read_text(encoding="utf-8"))
    assert info["files_read"] == 4
    workbook = load_workbook(out_dir / RECEIPT_INDEX, read_only=True)
    listed = [row[0] for row in workbook[INDEX_TITLE].iter_rows(min_row=2, values_only=True)]
    workbook.close()
    expected = ["inbox/干部名册.xlsx", *(f"inbox/台账{n}.xlsx" for n in (1, 2, 3))]
    assert sorted(listed) == sorted(expected)
    assert not list(out_dir.rglob("*.tmp"))


def test_the_second_of_two_runs_says_a_run_is_in_progress(
    two_runs: tuple[Path, list[Finished]],
) -> None:
    _, finished = two_runs
    assert sorted(f.code for f in finished) == [0, 2]
    refused = next(f for f in finished if f.code == 2)
    assert "正在运行" in refused.stderr or "正在处理" in refused.stderr
