"""Receipts (回执): a text file per submission that needs one, and the 回执清单 of every file."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from pipeline.outcomes import FileOutcome, Status
from pipeline.problems import Problem, Severity
from pipeline.write.annotate import ANNOTATED_SUFFIX, Annotators, Job, Source, annotate_all
from pipeline.write.files import write_text_atomic, write_texts_atomic
from pipeline.write.workbook import (
    Cell,
    Formats,
    atomic_workbook,
    fit_columns,
    setup_print,
    write_table,
)

RECEIPT_SUFFIX = ".回执.txt"
ENCODING = "utf-8-sig"  # UTF-8 with a BOM, so that Notepad and WPS on Chinese Windows read it
NEWLINE = "\r\n"
INDEX_TITLE = "回执清单"
INDEX_HEADERS = ("文件", "姓名", "单位", "填报日期", "处理结果", "错误数", "警告数", "被替代为")
PROBLEM_SHEET = "问题明细"
PROBLEM_HEADERS = ("文件", "工作表", "单元格", "等级", "代码", "说明", "发现的值", "修改提示")
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
CLOSING = {
    Status.RETURNED: "请按提示修改后重新报送整本台账。",
    Status.ACCEPTED_WITH_WARNINGS: "台账已采用。请核对以上警告，如确有错误，请修改后重新报送整本台账。",
    Status.ACCEPTED: "台账已采用，无需再做处理。",
    Status.SUPERSEDED: "此版本已被同一干部的新版本替代，以新版本为准，无需再做处理。",
    Status.ROSTER: "干部名册已读取。如有警告，请核对后重新放入收件箱。",
}


def write_receipt(
    outcome: FileOutcome, receipts_dir: Path, *, name: str | None = None,
    notes: Sequence[str] = (),
) -> Path:  # fmt: skip
    """Write the receipt of one file into ``receipts_dir`` and return its path.

    ``name`` (from ``receipt_names``) keeps receipts of files that share a stem apart;
    ``notes`` are the cadre's 进度预警 lines.
    """
    path = receipts_dir / (name or receipt_name(outcome))
    return write_text_atomic(path, receipt_text(outcome, notes), encoding=ENCODING)


def write_receipts_at(receipts: Mapping[Path, FileOutcome]) -> list[Path]:
    """Write each outcome's receipt at its path, made durable together (`write_texts_atomic`)."""
    texts = {path: receipt_text(outcome) for path, outcome in receipts.items()}
    return write_texts_atomic(texts, encoding=ENCODING)


def receipt_text(outcome: FileOutcome, notes: Sequence[str] = ()) -> str:
    return NEWLINE.join(receipt_lines(outcome, notes)) + NEWLINE


def annotate_receipts(
    outcomes: Sequence[FileOutcome], receipts_dir: Path, sources: Mapping[str, Source],
    annotators: Annotators | None = None,
) -> list[Path]:  # fmt: skip
    """The 批注回执 of every file with problems whose workbook is in ``sources``, made by
    ``annotators`` if they were started (`annotate_all`).

    Its name pairs with the file's text receipt, and depends on the outcomes alone, so
    annotating can begin before the assessment that adds 进度预警 receipts has run.
    """
    flagged = [o for o in outcomes if o.needs_receipt]
    jobs = _annotation_jobs(flagged, receipt_names(flagged), receipts_dir, sources)
    return annotate_all(jobs, annotators=annotators)


def write_receipts(
    outcomes: Sequence[FileOutcome], receipts_dir: Path, *,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> list[Path]:  # fmt: skip
    """Write a receipt for each outcome that needs one; return their paths.

    A file with ``notes`` (进度预警, by display path) gets a receipt even without problems.
    """
    notes = notes or {}
    flagged = [o for o in outcomes if o.needs_receipt]
    noted = [o for o in outcomes if not o.needs_receipt and notes.get(o.file)]
    names = receipt_names(flagged)
    names += receipt_names(noted, taken=names)
    texts = {receipts_dir / n: receipt_text(o, notes.get(o.file, ()))
             for o, n in zip([*flagged, *noted], names, strict=True)}  # fmt: skip
    return write_texts_atomic(texts, encoding=ENCODING)


def remove_stale_receipts(receipts_dir: Path, written: Iterable[Path]) -> None:
    """Remove the receipts and 批注回执 in ``receipts_dir`` that this run did not write: those
    of files no longer flagged, left by earlier runs."""
    keep = {path.name for path in written}
    if receipts_dir.is_dir():
        for suffix in (RECEIPT_SUFFIX, ANNOTATED_SUFFIX):
            for stale in receipts_dir.glob(f"*{suffix}"):
                if stale.name not in keep:
                    stale.unlink()


def annotated_name(receipt: str) -> str:
    """The annotated workbook's name beside a receipt: 张明.回执.txt → 张明（批注回执）.xlsx."""
    return receipt.removesuffix(RECEIPT_SUFFIX) + ANNOTATED_SUFFIX


def _annotation_jobs(
    outcomes: Sequence[FileOutcome], names: Sequence[str], receipts_dir: Path,
    sources: Mapping[str, Source],
) -> list[Job]:  # fmt: skip
    return [
        Job(sources[o.file], receipts_dir / annotated_name(name), o.problems, _heading(o))
        for o, name in zip(outcomes, names, strict=True)
        if o.needs_receipt and o.file in sources
    ]


def _heading(outcome: FileOutcome) -> str:
    unit = f"（{outcome.unit}）" if outcome.unit else ""
    who = f"{outcome.name}{unit}" if outcome.name else PurePosixPath(outcome.file).name
    return f"{_one_line(who)}，{outcome.status.value}"


def receipt_name(outcome: FileOutcome, *, distinct: bool = False) -> str:
    """The receipt's file name: "张明.回执.txt", or with ``distinct`` "张明.1a2b3c4d.回执.txt"."""
    stem = UNSAFE_NAME.sub("_", PurePosixPath(outcome.file.replace("\\", "/")).stem).strip()
    stem = stem if stem and not stem.startswith(".") else f"_{stem}"
    return f"{stem}.{outcome.sha256[:8]}{RECEIPT_SUFFIX}" if distinct else f"{stem}{RECEIPT_SUFFIX}"


def receipt_names(outcomes: Sequence[FileOutcome], taken: Iterable[str] = ()) -> list[str]:
    """File names for the receipts of ``outcomes``, in order, never two alike nor ``taken``."""
    plain = [receipt_name(o).lower() for o in outcomes]  # file systems may ignore case
    shared = Counter(plain) + Counter(name.lower() for name in taken)
    names: list[str] = []
    used = {name.lower() for name in taken}
    for outcome, key in zip(outcomes, plain, strict=True):
        name, n = receipt_name(outcome, distinct=shared[key] > 1), 1
        while name.lower() in used:  # the same bytes submitted twice
            n += 1
            stem = receipt_name(outcome, distinct=True).removesuffix(RECEIPT_SUFFIX)
            name = f"{stem}-{n}{RECEIPT_SUFFIX}"
        names.append(name)
        used.add(name.lower())
    return names


def receipt_lines(outcome: FileOutcome, notes: Sequence[str] = ()) -> list[str]:
    """The receipt's text, line by line; ``notes`` are the 进度预警 lines."""
    title = "干部名册读取回执" if outcome.status is Status.ROSTER else "联系青年工作台账报送回执"
    lines = [title, "", f"文件：{_one_line(outcome.file)}"]
    for label, value in (("姓名", outcome.name), ("单位", outcome.unit),
                         ("填报日期", outcome.fill_date)):  # fmt: skip
        if value:
            lines.append(f"{label}：{_one_line(value)}")
    lines.append(f"处理结果：{outcome.status.value}")
    if outcome.superseded_by:
        lines.append(f"被替代为：{_one_line(outcome.superseded_by)}")
    lines.append(f"文件校验码（SHA-256）：{outcome.sha256}")
    for severity in (Severity.ERROR, Severity.WARNING):
        found = [p for p in outcome.problems if p.severity is severity]
        if found:
            lines += ["", f"{severity.value}（{len(found)} 项）："]
            lines += [_one_line(str(p)) for p in found]
    if notes:
        lines += ["", f"进度预警（{len(notes)} 项）：", *notes]
    return [*lines, "", CLOSING[outcome.status]]


def write_receipt_index(outcomes: Sequence[FileOutcome], path: Path) -> Path:
    """Write 回执清单.xlsx: one row per file read and its fate, one row per problem."""
    with atomic_workbook(path, title=INDEX_TITLE) as workbook:
        formats = Formats.add_to(workbook)
        files = [_file_row(o, formats) for o in outcomes]
        problems = [_problem_row(p) for o in outcomes for p in _errors_first(o.problems)]
        for name, headers, rows in ((INDEX_TITLE, INDEX_HEADERS, files),
                                    (PROBLEM_SHEET, PROBLEM_HEADERS, problems)):  # fmt: skip
            ws = workbook.add_worksheet(name)
            end = write_table(ws, 0, headers, rows, formats)
            ws.autofilter(0, 0, max(end - 1, 1), len(headers) - 1)
            ws.freeze_panes(1, 1)
            fit_columns(ws, headers, rows, maximum=60)
            setup_print(ws, True, 1, name)
    return path


def _file_row(outcome: FileOutcome, formats: Formats) -> list[object]:
    status = outcome.status.value
    return [
        outcome.file, outcome.name, outcome.unit, outcome.fill_date,
        Cell(status, formats.returned) if outcome.status is Status.RETURNED else status,
        outcome.error_count, outcome.warning_count, outcome.superseded_by,
    ]  # fmt: skip


def _problem_row(problem: Problem) -> list[object]:
    where = problem.location
    return [where.file, where.sheet, where.cell, problem.severity.value, problem.code,
            problem.message, problem.found, problem.hint]  # fmt: skip


def _errors_first(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.severity is not Severity.ERROR)


def _one_line(text: str) -> str:
    """Keep one problem on one line, whatever a cell held (a found value may span lines)."""
    return " ".join(text.splitlines())
