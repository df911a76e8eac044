"""Every file of the foreign corpus goes through ingest and `lianxi run` without harm.

The corpus (`shared/corpus/foreign/`, beside the checkout) holds 299 spreadsheet files nobody on
the team wrote: fuzzer crash reproducers, XML bombs, encrypted and truncated workbooks, Strict
OOXML, .xlsb, .ods, SpreadsheetML 2003, text with a spreadsheet's name. MANIFEST.tsv says what
each file really is; BASELINE_OUTCOMES.tsv what python-calamine alone did with it.
"""

from __future__ import annotations

import csv
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import compliant_content
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.demo.fill import fill_ledger
from pipeline.ingest import Batch, ingest
from pipeline.ingest.reader import read_workbook
from pipeline.problems import CATALOGUE, Problem
from pipeline.rules.model import Period
from pipeline.write import RECEIPT_INDEX
from pipeline.write.receipts import INDEX_TITLE, PROBLEM_SHEET

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "foreign"
if not (CORPUS / "MANIFEST.tsv").is_file():
    pytest.skip("the shared corpus is not beside the checkout", allow_module_level=True)

AS_OF = date(2026, 11, 30)
TIME_BUDGET = 60.0  # seconds for the whole corpus on 2 workers (measured: about 5)
VALID = {"valid/张明.xlsx": ("张明", "渭滨区团委"), "valid/李芳.xlsx": ("李芳", "金台区团委")}
NOT_WORKBOOK = {"text-utf8", "text-8bit", "utf16-text", "html", "empty", "sylk", "dif"}
SAVE_AS_XLSX = {"xls-biff2-4", "spreadsheetml-2003", "fods"}  # workbooks no reader of ours opens
EXPECTED_CODE = {
    "encrypted-ooxml": "file-encrypted",
    "xls-encrypted": "file-encrypted",
    "broken-zip": "file-unreadable",
    **dict.fromkeys(NOT_WORKBOOK, "file-not-workbook"),
    **dict.fromkeys(SAVE_AS_XLSX, "file-unreadable"),
}
# the manifest sniffed these by their first bytes; what they really are decides the code
REALLY = {"ExcelDataReader/Test_git_issue_368_header.xls": "xls-biff2-4"}  # a bare BIFF8 stream
MISNAMED = {"roo/type_excel.xlsx", "roo/type_excelx.ods", "roo/type_openoffice.xlsx"}
FOREIGN_BUT_READ = {"template-unknown", "macro-present"}


@dataclass(frozen=True)
class Entry:
    file: str
    detected: str  # the manifest's kind with its +vba/+xlm/+extlink/+embed flags
    kind: str  # without the flags
    calamine: str  # the baseline outcome of python-calamine on its own


def _tsv(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def _kind(detected: str) -> str:
    base = detected.split("+")[0]
    return "broken-zip" if base.startswith("broken-zip") else base


def _entries() -> list[Entry]:
    calamine = {row["file"]: row["calamine"] for row in _tsv(CORPUS / "BASELINE_OUTCOMES.tsv")}
    return [
        Entry(
            file=row["file"],
            detected=row["detected"],
            kind=REALLY.get(row["file"], _kind(row["detected"])),
            calamine=calamine[row["file"]],
        )
        for row in _tsv(CORPUS / "MANIFEST.tsv")
    ]


ENTRIES = _entries()


@dataclass
class Ingested:
    batch: Batch
    seconds: float

    def problems(self, display: str) -> list[Problem]:
        return [p for p in self.batch.problems if p.location.file == display]

    def codes(self, display: str) -> set[str]:
        return {p.code for p in self.problems(display)}

    def template_id(self, display: str) -> str | None:
        files = self.batch.files
        value = files.loc[files["display"] == display, "template_id"].item()
        return value if isinstance(value, str) else None  # pandas holds None as NaN


def _fill_valid(folder: Path) -> dict[str, Path]:
    paths = {}
    for display, (name, unit) in VALID.items():
        path = folder / Path(display).name
        fill_ledger(compliant_content(name, unit, year=AS_OF.year), path)
        paths[display] = path
    return paths


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    valid = _fill_valid(tmp_path_factory.mktemp("valid"))
    jobs = [(str(CORPUS / e.file), e.file) for e in ENTRIES]
    jobs += [(str(path), display) for display, path in valid.items()]
    started = time.perf_counter()
    batch = ingest(jobs, workers=2)
    return Ingested(batch, time.perf_counter() - started)


def test_the_manifest_is_complete() -> None:
    assert len(ENTRIES) == 299
    assert all((CORPUS / e.file).is_file() for e in ENTRIES)


def test_the_whole_corpus_is_read_quickly_and_every_file_once(ingested: Ingested) -> None:
    assert ingested.seconds < TIME_BUDGET
    counts = Counter(ingested.batch.files["display"])
    assert counts == Counter([e.file for e in ENTRIES] + list(VALID))


def test_every_foreign_file_gets_a_catalogued_problem(ingested: Ingested) -> None:
    for entry in ENTRIES:
        problems = ingested.problems(entry.file)
        assert problems, entry.file
        for problem in problems:
            assert problem.code in CATALOGUE, (entry.file, problem.code)
            assert problem.message and problem.hint  # the message renders with its params


def test_no_foreign_file_passes_for_our_template(ingested: Ingested) -> None:
    for entry in ENTRIES:
        template_id = ingested.template_id(entry.file)
        recognised_by_headers = "template-id-missing" in ingested.codes(entry.file)
        assert template_id is None or recognised_by_headers, entry.file


def test_the_valid_ledgers_are_read_clean(ingested: Ingested) -> None:
    for display in VALID:
        assert ingested.problems(display) == []
        assert ingested.template_id(display) == "ledger"
    info = ingested.batch.sheets["基本信息"]
    assert sorted(info["姓名"]) == sorted(name for name, _ in VALID.values())


@pytest.mark.parametrize("kind", sorted(EXPECTED_CODE))
def test_each_kind_gets_its_reason(ingested: Ingested, kind: str) -> None:
    files = [e.file for e in ENTRIES if e.kind == kind]
    assert files, f"no {kind} file in the corpus"
    wrong = {f: ingested.codes(f) for f in files if EXPECTED_CODE[kind] not in ingested.codes(f)}
    assert wrong == {}


def test_a_reader_that_dies_is_reported_as_crashed(ingested: Ingested) -> None:
    died = [e.file for e in ENTRIES if e.calamine.startswith("CHILD-DIED")]
    assert died
    for file in died:
        assert ingested.codes(file) == {"reader-crashed"}, file


def test_what_calamine_reads_is_read_and_found_foreign(ingested: Ingested) -> None:
    """Strict OOXML, .xlsb, .ods, macro workbooks, and files whose extension lies."""
    readable = {e.file for e in ENTRIES if e.calamine.startswith("ok")} | MISNAMED
    assert {"xlsx-strict", "xlsb", "ods"} <= {e.kind for e in ENTRIES if e.file in readable}
    wrong = {
        f: ingested.codes(f)
        for f in sorted(readable)
        if "template-unknown" not in ingested.codes(f) or ingested.codes(f) - FOREIGN_BUT_READ
    }
    assert wrong == {}


def test_encrypted_opendocument_is_encrypted(ingested: Ingested) -> None:
    for file in ("calamine/pass_protected.ods", "roo/encrypted-letmein.ods"):
        assert ingested.codes(file) == {"file-encrypted"}
        # the reader says the same of a protection the sniffer does not catch
        parsed = read_workbook(CORPUS / file, file)
        assert [p.code for p in parsed.problems] == ["file-encrypted"]


def test_macros_are_flagged_in_every_container(ingested: Ingested) -> None:
    with_macros = [e.file for e in ENTRIES if "+vba" in e.detected or "+xlm" in e.detected]
    assert with_macros
    for file in with_macros:
        assert "macro-present" in ingested.codes(file), file


# --- the whole corpus through `lianxi run` -------------------------------------------------


def _rows(path: Path, sheet: str) -> list[dict[str, object]]:
    workbook = load_workbook(path, read_only=True)
    try:
        rows = list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:] if any(row)]


def fill_corpus_inbox(inbox: Path) -> None:
    """Every corpus file under inbox/corpus/ and the VALID ledgers under inbox/valid/."""
    for entry in ENTRIES:
        target = inbox / "corpus" / entry.file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / entry.file, target)
    (inbox / "valid").mkdir()
    _fill_valid(inbox / "valid")


def test_a_run_over_the_corpus_lists_every_file(tmp_path: Path) -> None:
    fill_corpus_inbox(tmp_path / "inbox")
    arguments = ["run", "-w", str(tmp_path), "--as-of", AS_OF.isoformat()]
    result = CliRunner().invoke(main, [*arguments, "--period", "year-end", "--workers", "2"])
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output

    index = tmp_path / "outbox" / f"{AS_OF.year}-{Period.YEAR_END.value}" / RECEIPT_INDEX
    files = _rows(index, INDEX_TITLE)
    listed = Counter(str(row["文件"]) for row in files)
    expected = [f"inbox/corpus/{e.file}" for e in ENTRIES] + [f"inbox/{v}" for v in VALID]
    assert listed == Counter(expected)
    status = {str(row["文件"]): str(row["处理结果"]) for row in files}
    for display in VALID:
        assert status[f"inbox/{display}"].startswith("已采用")
    assert all(status[f"inbox/corpus/{e.file}"] == "退回" for e in ENTRIES)
    valid_problems = [
        row for row in _rows(index, PROBLEM_SHEET) if str(row["文件"]).startswith("inbox/valid/")
    ]
    assert {row["代码"] for row in valid_problems} <= {"roster-missing"}  # no roster in the inbox
