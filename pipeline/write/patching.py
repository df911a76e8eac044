"""Marking one workbook by editing its XML parts: what `pipeline.write.marking` does with openpyxl,
in a tenth of the time, every part it need not change kept byte for byte.

openpyxl parses every sheet into objects and writes them all again (about 100 ms for a cadre's
ledger); here only the sheets with problems, the styles and the workbook part are parsed and
changed. A workbook shaped otherwise than this module expects (existing comments or VML drawings
on a sheet to mark, a macro workbook, Strict Open XML) raises `Unsupported`, and openpyxl
marks it instead.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from posixpath import dirname, join, normpath
from typing import BinaryIO
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from pipeline.forms.spec import TEMPLATES, Sheet
from pipeline.forms.validations import Validation, validations_for
from pipeline.ingest.reader import HEADER_SEARCH_ROWS, Cell, column_letter, header_key
from pipeline.problems import Problem, Severity
from pipeline.write.annotate import Job
from pipeline.write.files import atomic_path
from pipeline.write.workbook import PART_COMPRESSION, text_width

PART_DATE = (1980, 1, 1, 0, 0, 0)  # every part of a 批注回执: the bytes depend on the inputs alone
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
X14_VALIDATIONS = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
# A validation's attributes that Excel reads as these when they are absent (CT_DataValidation)
VALIDATION_DEFAULTS = {
    "type": "none", "errorStyle": "stop", "imeMode": "noControl", "operator": "between",
    "allowBlank": "0", "showDropDown": "0", "showInputMessage": "0", "showErrorMessage": "0",
}  # fmt: skip
ERROR_SETTINGS = {"errorStyle", "showErrorMessage", "errorTitle", "error", "operator"}
BOOLEAN_WORDS = {"true": "1", "false": "0"}  # xsd:boolean's other spelling
# CT_Worksheet's children in schema order: a new child goes before the first that follows it
SHEET_ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
WORKBOOK_ORDER = [
    "fileVersion",
    "fileSharing",
    "workbookPr",
    "workbookProtection",
    "bookViews",
    "sheets",
    "functionGroups",
    "externalReferences",
    "definedNames",
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
]
CELL = re.compile(r"^([A-Z]{1,3})([1-9][0-9]*)$")
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
PULLED = 4096  # bytes of a sheet parsed at a time while looking for its header (`_first_rows`)
# no entities, no network, no DTD, no huge trees: a cadre's workbook is parsed as untrusted
SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
PARSER = etree.XMLParser(**SAFE)

LIST_SHEET = "错误清单"
LIST_HEADERS = ("序号", "等级", "单元格（点击跳转）", "问题", "发现的值", "修改提示")
LIST_WIDTHS = (6, 8, 18, 50, 18, 50)
LIST_NOTE = "标红的单元格为错误（须修改后重新报送），标黄的为警告；把鼠标移到单元格上可看批注。"
FILL_RGB = {Severity.ERROR: "00FFC7CE", Severity.WARNING: "00FFEB9C"}
HEADER_RGB, LINK_RGB = "00DDEBF7", "000563C1"
EXCEL_EPOCH = date(1899, 12, 30)
AUTHOR = "lianxi"
LINE_HEIGHT = 15  # points per line of 11-point text


CPU_SECONDS = 60  # an annotating process's allowance a workbook


def annotate_safely(job: Job) -> Path | None:
    """Mark ``job``'s workbook, what the annotating processes run: by editing its XML, or with
    openpyxl (`pipeline.write.marking`, imported only then: 70 ms of each process's start) when
    that cannot; None when neither can (the text receipt remains)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (int(used.ru_utime) + CPU_SECONDS, hard))
    try:
        return annotate_workbook(job)
    except Exception:  # shaped otherwise than the XML path expects: openpyxl marks it
        pass
    try:
        from pipeline.write.marking import annotate_workbook as with_openpyxl

        return with_openpyxl(job)
    except Exception:  # an unusual workbook openpyxl cannot keep: the text receipt remains
        return None


class Unsupported(Exception):
    """A workbook this module does not mark: openpyxl does."""


def annotate_workbook(job: Job) -> Path | None:
    """Write the annotated copy of ``job.source`` to ``job.target``; None if it has no template
    sheet. Raises `Unsupported` (or any parsing error) for openpyxl to take over."""
    package = _Package(job.source.open())
    book = _Book(package)
    template = TEMPLATES[job.source.template_id]
    if not any(sheet.name in book.parts for sheet in template.sheets):
        return None
    styles = _Styles(package)
    for block, (name, cells) in enumerate(problems_by_cell(job.problems, book.parts).items(), 1):
        _mark_sheet(package, book.parts[name], cells, styles, block)
    for sheet in template.sheets:
        anchors = job.source.anchors.get(sheet.name)
        if sheet.name in book.parts and anchors:
            _restore_validations(package, book, sheet, anchors)
    name = book.free_sheet_name(LIST_SHEET)
    book.prepend_list(name, _list_sheet(job, book, styles, name))
    styles.save()
    with atomic_path(job.target, durable=False) as temporary:  # `annotate_all` syncs them all
        package.write(temporary)
    return job.target


class _Package:
    """The zip's parts by name, in their order; changed parts are kept as parsed trees."""

    def __init__(self, workbook: BinaryIO) -> None:
        with zipfile.ZipFile(workbook) as archive:
            self.order = [info.filename for info in archive.infolist()]
            self.raw = {name: archive.read(name) for name in self.order}
        self.trees: dict[str, etree._Element] = {}
        types = self.tree("[Content_Types].xml")
        overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType") for o in types}
        if overrides.get("xl/workbook.xml") != WORKBOOK_TYPE:
            raise Unsupported("not a plain .xlsx workbook (macro, template or Strict)")

    def tree(self, name: str) -> etree._Element:
        if name not in self.trees:
            if name not in self.raw:
                raise Unsupported(f"part {name} missing")
            self.trees[name] = etree.fromstring(self.raw[name], PARSER)
        return self.trees[name]

    def add(self, name: str, data: bytes | etree._Element, content_type: str | None = None) -> None:
        if name in self.raw:
            raise Unsupported(f"part {name} exists")
        self.order.append(name)
        self.raw[name] = data if isinstance(data, bytes) else b""
        if not isinstance(data, bytes):
            self.trees[name] = data
        if content_type is not None:
            _sub(self.tree("[Content_Types].xml"), TYPES, "Override",
                 PartName=f"/{name}", ContentType=content_type)  # fmt: skip

    def free_name(self, pattern: str) -> str:
        """``pattern`` with the smallest number that makes a new part name."""
        return next(pattern.format(n) for n in range(1, len(self.order) + 2)
                    if pattern.format(n) not in self.raw)  # fmt: skip

    def relations(self, part: str) -> etree._Element:
        """The part's relationships (created empty when it has none)."""
        name = join(dirname(part), "_rels", part.rsplit("/", 1)[-1] + ".rels")
        if name not in self.raw:
            empty = etree.Element(f"{{{PACKAGE_REL}}}Relationships", nsmap={None: PACKAGE_REL})
            self.add(name, empty)
            self.ensure_default("rels", RELS_TYPE)
        return self.tree(name)

    def ensure_default(self, extension: str, content_type: str) -> None:
        types = self.tree("[Content_Types].xml")
        defaults = types.iter(f"{{{TYPES}}}Default")
        if not any(d.get("Extension", "").lower() == extension for d in defaults):
            types.insert(
                0, _element(TYPES, "Default", Extension=extension, ContentType=content_type)
            )

    def write(self, path: Path) -> None:
        """Write the package; its parts dated as xlsxwriter dates them (1980-01-01), so the same
        inputs give the same bytes whenever they are annotated."""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.order:
                data = self.raw[name]
                if name in self.trees:
                    data = etree.tostring(self.trees[name], xml_declaration=True,
                                          encoding="UTF-8", standalone=True)  # fmt: skip
                part = zipfile.ZipInfo(name, date_time=PART_DATE)
                part.compress_type, part.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
                archive.writestr(part, data, compresslevel=PART_COMPRESSION)


class _SharedTexts:
    """The texts of a shared strings part, each joined when it is asked for: a header is one
    of a workbook's hundreds (joining them all took a tenth of annotating a workbook)."""

    def __init__(self, root: etree._Element | None) -> None:
        self.root = root

    def __len__(self) -> int:
        return 0 if self.root is None else len(self.root)

    def __getitem__(self, index: int) -> str:
        if self.root is None:
            raise IndexError(index)
        return "".join(t.text or "" for t in self.root[index].iter(f"{{{MAIN}}}t")
                       if t.getparent().tag != f"{{{MAIN}}}rPh")  # fmt: skip


class _Book:
    """xl/workbook.xml: each sheet's part, and the new first sheet."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        self.root = package.tree("xl/workbook.xml")
        if self.root.tag != f"{{{MAIN}}}workbook":
            raise Unsupported("workbook in another namespace (Strict Open XML)")
        self.rels = package.relations("xl/workbook.xml")
        targets = {r.get("Id"): _target("xl/workbook.xml", r.get("Target", "")) for r in self.rels}
        self.sheets = self.root.find(f"{{{MAIN}}}sheets")
        if self.sheets is None:
            raise Unsupported("no sheets")
        self.parts: dict[str, str] = {}
        self.visible: set[str] = set()
        for sheet in self.sheets:
            part = targets.get(sheet.get(f"{{{REL}}}id"))
            if part is None or part not in package.raw:
                raise Unsupported("a sheet without its part")
            self.parts[sheet.get("name", "")] = part
            if sheet.get("state", "visible") == "visible":
                self.visible.add(sheet.get("name", ""))
        self._targets = targets

    @cached_property
    def shared(self) -> _SharedTexts:
        """The shared strings, parsed only when a cell's text is wanted (finding a header)."""
        kind = f"{REL}/sharedStrings"
        found = [self._targets[r.get("Id")] for r in self.rels if r.get("Type") == kind]
        if not found or found[0] not in self.package.raw:
            return _SharedTexts(None)
        return _SharedTexts(etree.fromstring(self.package.raw[found[0]], PARSER))

    def free_sheet_name(self, base: str) -> str:
        name, n = base, 1
        while name in self.parts:
            n += 1
            name = f"{base}{n}"
        return name

    def prepend_list(self, name: str, sheet_xml: bytes) -> None:
        """The list sheet first, selected and active; sheet-scoped names follow their sheets."""
        for part in self.parts.values():
            if b"tabSelected" in self.package.raw[part]:
                for view in self.package.tree(part).iter(f"{{{MAIN}}}sheetView"):
                    view.attrib.pop("tabSelected", None)
        part = self.package.free_name("xl/worksheets/sheet{}.xml")
        self.package.add(part, sheet_xml, SHEET_TYPE)
        rel_id = _free_id(self.rels)
        _sub(self.rels, PACKAGE_REL, "Relationship", Id=rel_id, Type=f"{REL}/worksheet",
             Target="/" + part)  # fmt: skip
        ids = [int(s.get("sheetId", "0")) for s in self.sheets if s.get("sheetId", "").isdigit()]
        element = _element(MAIN, "sheet", name=name, sheetId=str(max(ids, default=0) + 1))
        element.set(f"{{{REL}}}id", rel_id)
        self.sheets.insert(0, element)
        names = self.root.find(f"{{{MAIN}}}definedNames")
        if names is None:
            names = _placed(self.root, _element(MAIN, "definedNames"), WORKBOOK_ORDER)
        for defined in names:
            if (local := defined.get("localSheetId", "")).isdigit():
                defined.set("localSheetId", str(int(local) + 1))
        titles = _element(MAIN, "definedName", name="_xlnm.Print_Titles", localSheetId="0")
        titles.text = f"{_quoted(name)}!$3:$3"
        names.insert(0, titles)
        views = self.root.find(f"{{{MAIN}}}bookViews")
        if views is None:
            views = _placed(self.root, _element(MAIN, "bookViews"), WORKBOOK_ORDER)
        if not len(views):
            _sub(views, MAIN, "workbookView")
        for view in views:
            view.set("activeTab", "0")
            view.set("firstSheet", "0")


class _Styles:
    """xl/styles.xml: fills, fonts and cell formats added as they are first needed."""

    def __init__(self, package: _Package) -> None:
        self.package = package
        part = "xl/styles.xml"
        if part not in package.raw:
            raise Unsupported("no styles part")
        self.root = package.tree(part)
        self.fills = self._list("fills")
        self.fonts = self._list("fonts")
        self.xfs = self._list("cellXfs")
        if not len(self.xfs):
            raise Unsupported("no cell formats")
        self._made: dict[tuple[object, ...], int] = {}

    def _list(self, tag: str) -> etree._Element:
        found = self.root.find(f"{{{MAIN}}}{tag}")
        if found is None:
            raise Unsupported(f"styles without {tag}")
        return found

    def save(self) -> None:
        for listing in (self.fills, self.fonts, self.xfs):
            listing.set("count", str(len(listing)))

    def marked(self, xf: int, severity: Severity) -> int:
        """Cell format ``xf`` with the severity's fill."""
        key = ("marked", xf, severity)
        if key not in self._made:
            clone = copy.deepcopy(self.xfs[xf if xf < len(self.xfs) else 0])
            clone.set("fillId", str(self._fill(FILL_RGB[severity])))
            clone.set("applyFill", "1")
            self._made[key] = self._append(clone)
        return self._made[key]

    def listed(self, *, font: str = "", fill: str = "", wrap: bool = True) -> int:
        """A format of the list sheet: ``font`` "title", "bold" or "link"; ``fill`` an RGB."""
        key = ("listed", font, fill, wrap)
        if key not in self._made:
            xf = _element(MAIN, "xf", numFmtId="0", fontId=str(self._font(font)),
                          fillId=str(self._fill(fill)) if fill else "0", borderId="0", xfId="0")  # fmt: skip
            if font:
                xf.set("applyFont", "1")
            if fill:
                xf.set("applyFill", "1")
            if wrap:
                xf.set("applyAlignment", "1")
                _sub(xf, MAIN, "alignment", wrapText="1", vertical="top")
            self._made[key] = self._append(xf)
        return self._made[key]

    def _append(self, xf: etree._Element) -> int:
        self.xfs.append(xf)
        return len(self.xfs) - 1

    def _fill(self, rgb: str) -> int:
        key = ("fill", rgb)
        if key not in self._made:
            fill = _sub(self.fills, MAIN, "fill")
            pattern = _sub(fill, MAIN, "patternFill", patternType="solid")
            _sub(pattern, MAIN, "fgColor", rgb=rgb)
            _sub(pattern, MAIN, "bgColor", indexed="64")
            self._made[key] = len(self.fills) - 1
        return self._made[key]

    def _font(self, kind: str) -> int:
        if not kind:
            return 0
        key = ("font", kind)
        if key not in self._made:
            font = _sub(self.fonts, MAIN, "font")
            if kind in ("title", "bold"):
                _sub(font, MAIN, "b", val="1")
            if kind == "link":
                _sub(font, MAIN, "u", val="single")
            _sub(font, MAIN, "sz", val="14" if kind == "title" else "11")
            if kind == "link":
                _sub(font, MAIN, "color", rgb=LINK_RGB)
            self._made[key] = len(self.fonts) - 1
        return self._made[key]


class _Cells:
    """A worksheet's cells, found or created in row and column order."""

    def __init__(self, root: etree._Element) -> None:
        self.data = root.find(f"{{{MAIN}}}sheetData")
        if self.data is None:
            raise Unsupported("no sheetData")
        self.rows = {int(r.get("r", "0")): r for r in self.data}
        if 0 in self.rows:
            raise Unsupported("rows without numbers")

    def value(self, ref: str, shared: _SharedTexts) -> str:
        cell = self.find(ref)
        if cell is None:
            return ""
        if cell.get("t") == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{{{MAIN}}}t"))
        value = cell.findtext(f"{{{MAIN}}}v") or ""
        if cell.get("t") == "s" and value.isdigit() and int(value) < len(shared):
            return shared[int(value)]
        return value

    def find(self, ref: str) -> etree._Element | None:
        row = self.rows.get(_row_of(ref))
        if row is None:
            return None
        return next((c for c in row if c.get("r") == ref), None)

    def get(self, ref: str) -> etree._Element:
        number, column = _row_of(ref), _column_of(ref)
        row = self.rows.get(number)
        if row is None:
            row = _element(MAIN, "row", r=str(number))
            later = [n for n in self.rows if n > number]
            if later:
                self.rows[min(later)].addprevious(row)
            else:
                self.data.append(row)
            self.rows[number] = row
        for cell in row:
            if cell.tag != f"{{{MAIN}}}c" or "r" not in cell.attrib:
                raise Unsupported("a row holding more than referenced cells")
            if cell.get("r") == ref:
                return cell
        new = _element(MAIN, "c", r=ref)
        right = [c for c in row if _column_of(c.get("r", "")) > column]
        if right:
            right[0].addprevious(new)
        else:
            row.append(new)
        row.attrib.pop("spans", None)  # an optional hint, which the new cell may lie outside
        return new


def _mark_sheet(
    package: _Package, part: str, cells: Mapping[str, list[Problem]], styles: _Styles, block: int
) -> None:
    """Fill each problem cell and comment on it (on a merged range's top-left cell)."""
    root = package.tree(part)
    relations = package.relations(part)
    kinds = {r.get("Type") for r in relations}
    if root.find(f"{{{MAIN}}}legacyDrawing") is not None or f"{REL}/comments" in kinds:
        raise Unsupported("the sheet has comments or VML drawings already")
    grid = _Cells(root)
    merged = [_bounds(m.get("ref", "")) for m in root.iter(f"{{{MAIN}}}mergeCell")]
    notes: dict[str, list[str]] = {}
    for ref, problems in cells.items():
        cell = grid.get(ref)
        cell.set("s", str(styles.marked(int(cell.get("s", "0") or 0), worst(problems))))
        anchor = next((_ref(top, left) for top, left, bottom, right in merged
                       if top <= _row_of(ref) <= bottom and left <= _column_of(ref) <= right), ref)  # fmt: skip
        notes.setdefault(anchor, []).extend(comment_lines(ref, problems))
    comments = package.free_name("xl/comments{}.xml")
    package.add(comments, _comments_xml(notes), COMMENTS_TYPE)
    drawing = package.free_name("xl/drawings/vmlDrawing{}.vml")
    package.add(drawing, _vml(notes, block))
    package.ensure_default("vml", VML_TYPE)
    _sub(relations, PACKAGE_REL, "Relationship", Id=_free_id(relations), Type=f"{REL}/comments",
         Target="/" + comments)  # fmt: skip
    drawing_id = _free_id(relations)
    _sub(relations, PACKAGE_REL, "Relationship", Id=drawing_id, Type=f"{REL}/vmlDrawing",
         Target="/" + drawing)  # fmt: skip
    legacy = _element(MAIN, "legacyDrawing")
    legacy.set(f"{{{REL}}}id", drawing_id)
    _placed(root, legacy, SHEET_ORDER)


def _restore_validations(
    package: _Package, book: _Book, sheet: Sheet, anchors: Mapping[str, str]
) -> None:
    """Replace the sheet's validations by the template's, at the fields' real positions.

    A sheet not marked whose validations mean the template's already (as most do: cadres
    fill in the template) is kept byte for byte, and only its first rows (the header) and its
    validations are parsed: parsing and writing every sheet again was a sixth of the
    instructions a workbook took.
    """
    part = book.parts[sheet.name]
    own = None if part in package.trees else _validations_alone(package.raw[part])
    grid = _Cells(package.tree(part) if own is None else _first_rows(package.raw[part]))
    ranges = validation_ranges(sheet, anchors, lambda ref: grid.value(ref, book.shared))
    if own is not None and _same_validations(own, ranges):
        return
    made = [_validation(validation, where) for validation, where in ranges]
    root = package.tree(part)
    for old in root.findall(f"{{{MAIN}}}dataValidations"):
        root.remove(old)
    for listing in root.findall(f"{{{MAIN}}}extLst"):
        for ext in listing:
            if ext.get("uri") == X14_VALIDATIONS:
                listing.remove(ext)
        if not len(listing):
            root.remove(listing)
    if made:
        listing = _element(MAIN, "dataValidations", count=str(len(made)))
        listing.extend(made)
        _placed(root, listing, SHEET_ORDER)


def _validations_alone(raw: bytes) -> etree._Element | None:
    """A sheet's <dataValidations> (if any) parsed on their own, under an element standing for
    the sheet; None for a sheet whose validations cannot be told apart so: written with a
    prefix, or beside others in its extension list (where Excel keeps those referring to other
    sheets), or using a prefix declared on the sheet (Excel's own identifiers)."""
    if b":dataValidations" in raw or X14_VALIDATIONS.encode() in raw:
        return None
    start, close = raw.find(b"<dataValidations"), b"</dataValidations>"
    if start < 0:
        return etree.Element(f"{{{MAIN}}}worksheet")
    end = raw.find(close, start)
    if end < 0:
        return None
    try:
        return etree.fromstring(f'<worksheet xmlns="{MAIN}">'.encode() + raw[start : end + len(close)]
                                + b"</worksheet>", PARSER)  # fmt: skip
    except etree.XMLSyntaxError:
        return None


def _first_rows(raw: bytes) -> etree._Element:
    """A sheet parsed as far as the rows its header can be in (`HEADER_SEARCH_ROWS`), a few
    kilobytes at a time: they are the first of its tens."""
    parser = etree.XMLPullParser(("end",), tag=f"{{{MAIN}}}row", **SAFE)
    for start in range(0, len(raw), PULLED):
        parser.feed(raw[start : start + PULLED])
        for _, row in parser.read_events():
            number = row.get("r", "")
            if not number.isdigit() or int(number) >= HEADER_SEARCH_ROWS:
                return row.getroottree().getroot()
    return parser.close()


def _same_validations(sheet: etree._Element, ranges: list[tuple[Validation, str]]) -> bool:
    """Whether the validations of ``sheet`` (`_validations_alone`) mean the template's at
    ``ranges`` (`validation_ranges`)."""
    listings = sheet.findall(f"{{{MAIN}}}dataValidations")
    if any(set(listing.attrib) - {"count"} for listing in listings):  # prompts turned off
        return False
    held = [_meaning(v) for listing in listings for v in listing]
    return sorted(held) == sorted(_meant(validation, where) for validation, where in ranges)


@lru_cache(maxsize=256)  # a template's validations at the places most files keep them
def _meant(validation: Validation, where: str) -> tuple[tuple[str, str], ...]:
    return _meaning(_validation(validation, where))


def _meaning(validation: etree._Element) -> tuple[tuple[str, str], ...]:
    """A validation as Excel reads it: defaults filled in, booleans as 0 and 1, its ranges in
    order, then its formulas; the error settings of one that lets any value in left out."""
    attributes = VALIDATION_DEFAULTS | {
        key: BOOLEAN_WORDS.get(value, value) for key, value in validation.attrib.items()
    }
    attributes["sqref"] = " ".join(sorted(attributes.get("sqref", "").split()))
    if attributes["type"] == "none":
        attributes = {k: v for k, v in attributes.items() if k not in ERROR_SETTINGS}
    formulas = [(etree.QName(child).localname, child.text or "") for child in validation]
    return (*sorted(attributes.items()), *formulas)


def _validation(v: Validation, ref: str) -> etree._Element:
    element = _element(MAIN, "dataValidation", allowBlank="1", showInputMessage="1", sqref=ref)
    if v.kind != "any":
        element.set("type", v.kind)
        element.set("showErrorMessage", "1")
    element.set("promptTitle", v.field)
    element.set("prompt", v.prompt)
    if v.error:
        element.set("errorTitle", v.field)
        element.set("error", v.error)
    if v.kind == "list":
        _sub(element, MAIN, "formula1").text = '"' + ",".join(v.choices) + '"'
    elif v.minimum is not None:
        element.set("operator", "between" if v.between else "greaterThanOrEqual")
        _sub(element, MAIN, "formula1").text = formula(v.minimum)
        if v.between:
            _sub(element, MAIN, "formula2").text = formula(v.maximum)
    return element


def formula(value: date | int | None) -> str:
    """A validation bound as Excel stores it: a day as its serial number."""
    return str((value - EXCEL_EPOCH).days if isinstance(value, date) else value)


def address(problem: Problem) -> str:
    """Where a problem is, as the list sheet shows it: 活动记录!B5, a sheet, or 整个文件."""
    where = problem.location
    if not where.sheet:
        return "整个文件"
    return f"{where.sheet}!{where.cell}" if where.cell else where.sheet


def problems_by_cell(
    problems: Sequence[Problem], sheets: Collection[str]
) -> dict[str, dict[str, list[Problem]]]:
    """The problems located at a cell of one of ``sheets``: sheet → cell → problems."""
    found: dict[str, dict[str, list[Problem]]] = {}
    for problem in problems:
        where = problem.location
        if where.sheet in sheets and CELL.match(where.cell):
            found.setdefault(where.sheet, {}).setdefault(where.cell, []).append(problem)
    return found


def worst(problems: Sequence[Problem]) -> Severity:
    errors = any(p.severity is Severity.ERROR for p in problems)
    return Severity.ERROR if errors else Severity.WARNING


def comment_lines(cell: str, problems: Sequence[Problem]) -> list[str]:
    """What the comment on a problem cell says, problem by problem."""
    return [f"{p.severity.value}（{cell}）：{p.message}\n修改：{p.hint}" for p in problems]


def validation_ranges(
    sheet: Sheet, anchors: Mapping[str, str], value_at: Callable[[str], Cell]
) -> list[tuple[Validation, str]]:
    """Each template validation of ``sheet`` with the cells it covers in this file.

    A table's validations cover its rows below the header, which is found by its first
    field's heading in that field's column (``value_at`` reads a cell by its reference);
    a key-value sheet's cover the value cells themselves.
    """
    positions = {f.name: anchors.get(f.name, "") for f in sheet.fields}
    header = None if sheet.key_value else _header_row(sheet, positions, value_at)
    ranges = []
    for _, validation in validations_for(sheet):
        where = positions.get(validation.field, "")
        if not where:
            continue
        if header is not None:
            where = f"{where}{header + 1}:{where}{header + sheet.rows}"
        ranges.append((validation, where))
    return ranges


def _header_row(
    sheet: Sheet, positions: Mapping[str, str], value_at: Callable[[str], Cell]
) -> int | None:
    column = positions.get(sheet.fields[0].name)
    if not column:
        return None
    wanted = header_key(sheet.fields[0].name)
    return next((row for row in range(1, HEADER_SEARCH_ROWS + 1)
                 if header_key(value_at(f"{column}{row}")) == wanted), None)  # fmt: skip


def errors_first(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.severity is not Severity.ERROR)


def list_values(number: int, problem: Problem) -> tuple[object, ...]:
    """The list sheet's row of a problem: 序号, 等级, 单元格, 问题, 发现的值, 修改提示."""
    return (number, problem.severity.value, address(problem), problem.message, problem.found,
            problem.hint)  # fmt: skip


def list_row_height(values: Sequence[object]) -> float:
    """The height the row's wrapped text needs: no spreadsheet measures it for us."""
    lines = max(math.ceil(text_width(str(v)) / (w - 1))
                for v, w in zip(values, LIST_WIDTHS, strict=True))  # fmt: skip
    return LINE_HEIGHT * max(lines, 1)


def link_location(problem: Problem) -> str:
    """The in-workbook link to a problem's cell (its sheet's first cell when it has none)."""
    where = problem.location
    return f"{_quoted(where.sheet)}!{where.cell if CELL.match(where.cell) else 'A1'}"


def _list_sheet(job: Job, book: _Book, styles: _Styles, name: str) -> bytes:
    """The first sheet: every problem, errors first, each with a link to its cell."""
    header_style = styles.listed(font="bold", fill=HEADER_RGB, wrap=False)
    rows = [
        _row(1, [_text("A1", f"批注回执：{job.heading}", styles.listed(font="title", wrap=False))]),
        _row(2, [_text("A2", LIST_NOTE, 0)]),
        _row(
            3, [_text(f"{column_letter(c)}3", h, header_style) for c, h in enumerate(LIST_HEADERS)]
        ),
    ]
    links = []
    body, ordered = styles.listed(), errors_first(job.problems)
    for number, problem in enumerate(ordered, start=4):
        values = list_values(number - 3, problem)
        linked = problem.location.sheet in book.visible
        cells = [f'<c r="A{number}" s="{body}"><v>{number - 3}</v></c>']
        for col, value in enumerate(values[1:], start=1):
            style = body
            if col == 1:
                style = styles.listed(fill=FILL_RGB[problem.severity])
            elif col == 2 and linked:
                style = styles.listed(font="link")
            cells.append(_text(f"{column_letter(col)}{number}", str(value), style))
        rows.append(_row(number, cells, height=list_row_height(values)))
        if linked:
            target = link_location(problem)
            links.append(f"<hyperlink ref=\"C{number}\" location={quoteattr(_clean(target))} "
                         f"display={quoteattr(_clean(str(values[2])))}/>")  # fmt: skip
    last = 3 + len(ordered)
    columns = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>'
                      for c, w in enumerate(LIST_WIDTHS, start=1))  # fmt: skip
    header = escape(_clean("&C" + f"批注回执：{job.heading}".replace("&", "&&")))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:F{last}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A4" sqref="A4"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{columns}</cols>'
        f'<sheetData>{"".join(rows)}</sheetData>'
        + (f'<hyperlinks>{"".join(links)}</hyperlinks>' if links else "")
        + '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        f'<headerFooter><oddHeader>{header}</oddHeader>'
        '<oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>'
        '</worksheet>'
    ).encode("utf-8")  # fmt: skip


def _row(number: int, cells: Sequence[str], height: float | None = None) -> str:
    size = f' ht="{height:g}" customHeight="1"' if height else ""
    return f'<row r="{number}"{size}>{"".join(cells)}</row>'


def _text(ref: str, text: str, style: int) -> str:
    """An inline string: text stays text, whatever it looks like."""
    return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
            f"{escape(_clean(text))}</t></is></c>")  # fmt: skip


def _comments_xml(notes: Mapping[str, list[str]]) -> bytes:
    comments = "".join(
        f'<comment ref="{ref}" authorId="0"><text><r><t xml:space="preserve">'
        f"{escape(_clean(chr(10).join(lines)))}</t></r></text></comment>"
        for ref, lines in notes.items()
    )
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN}">'
            f"<authors><author>{AUTHOR}</author></authors>"
            f"<commentList>{comments}</commentList></comments>").encode()  # fmt: skip


def _vml(notes: Mapping[str, list[str]], block: int) -> bytes:
    """The legacy drawing that shows each comment's box (Excel needs it to display comments)."""
    shapes = []
    for n, (ref, lines) in enumerate(notes.items(), start=1):
        row, col = _row_of(ref) - 1, _column_of(ref) - 1
        height = 40 + 40 * "\n".join(lines).count("\n")
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + n}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;'
            f'height:{height * 0.75:g}pt;z-index:{n};visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{col + 1}, 15, {row}, 2, {col + 5}, 15, {row + 4}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>"
            "</x:ClientData></v:shape>"
        )  # fmt: skip
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f'{"".join(shapes)}</xml>'
    ).encode()  # fmt: skip


def _element(namespace: str, tag: str, **attributes: str) -> etree._Element:
    return etree.Element(f"{{{namespace}}}{tag}", attributes)


def _sub(parent: etree._Element, namespace: str, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{namespace}}}{tag}", attributes)


def _placed(root: etree._Element, child: etree._Element, order: Sequence[str]) -> etree._Element:
    """Insert ``child`` where the schema's ``order`` of the root's children puts it."""
    rank = order.index(etree.QName(child).localname)
    for n, sibling in enumerate(root):
        name = etree.QName(sibling).localname if isinstance(sibling.tag, str) else ""
        if name in order and order.index(name) > rank:
            root.insert(n, child)
            return child
    root.append(child)
    return child


def _target(source: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else normpath(join(dirname(source), target))


def _free_id(relations: etree._Element) -> str:
    taken = {r.get("Id") for r in relations}
    return next(f"rId{n}" for n in itertools.count(1) if f"rId{n}" not in taken)


def _row_of(ref: str) -> int:
    match = CELL.match(ref)
    if match is None:
        raise Unsupported(f"cell reference {ref!r}")
    return int(match.group(2))


def _column_of(ref: str) -> int:
    match = CELL.match(ref)
    if match is None:
        raise Unsupported(f"cell reference {ref!r}")
    number = 0
    for letter in match.group(1):
        number = number * 26 + ord(letter) - 64
    return number


def _ref(row: int, column: int) -> str:
    return f"{column_letter(column - 1)}{row}"


def _bounds(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.partition(":")
    last = last or first
    return _row_of(first), _column_of(first), _row_of(last), _column_of(last)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _clean(text: str) -> str:
    return ILLEGAL.sub("", text)
