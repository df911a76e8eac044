"""Problems found in submitted files: locations, severities and the one catalogue of codes.

A problem is data, never an exception: it is collected and reported, and one bad file never
stops the others. Every code has a fixed severity, a Chinese message and a Chinese fix hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(Enum):
    ERROR = "错误"  # the file is returned
    WARNING = "警告"  # the file is accepted and the warning listed


@dataclass(frozen=True, order=True)
class Location:
    """Where a problem is: the file, and where known the sheet and the cell (e.g. "A12")."""

    file: str
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        if not self.sheet:
            return self.file
        return f"{self.file}:{self.sheet}!{self.cell}" if self.cell else f"{self.file}:{self.sheet}"


@dataclass(frozen=True)
class Entry:
    severity: Severity
    message: str  # str.format template; {found} is the value found
    hint: str


E, W = Severity.ERROR, Severity.WARNING

CATALOGUE: dict[str, Entry] = {
    # the file as a whole
    "file-unreadable": Entry(E, "无法打开此文件：{detail}", "请用 Excel 或 WPS 打开确认文件完好，另存为 .xlsx 后重新报送"),
    "file-not-workbook": Entry(E, "此文件不是 Excel 工作簿（{detail}）", "请使用下发的 .xlsx 模板填写后报送"),
    "file-encrypted": Entry(E, "文件设置了打开密码，无法读取", "请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新报送"),
    "file-too-large": Entry(E, "文件过大（{detail}）", "台账不应超过限额，请删除多余的图片或空白行后重新报送"),
    "file-unsafe": Entry(E, "文件结构异常，已拒绝读取：{detail}", "请用下发的模板重新填写后报送"),
    "reader-crashed": Entry(E, "读取此文件时读取程序异常退出（{detail}）", "文件可能已损坏，请用 Excel 打开后另存为 .xlsx 重新报送"),
    "template-unknown": Entry(E, "此文件不是联系青年工作的报送模板", "请用 `lianxi templates` 生成或下发的模板（联系青年工作台账.xlsx / 干部名册.xlsx）填写"),
    "template-id-missing": Entry(W, "文件缺少模板标识，已按工作表和表头识别为“{detail}”", "请使用下发的模板填写，不要复制到新建的工作簿中"),
    "template-version-unknown": Entry(E, "模板版本 {found} 无法识别（本系统支持版本 {expected}）", "请使用最新下发的模板填写"),
    "macro-present": Entry(W, "文件含有宏，宏不会被执行", "请另存为不含宏的 .xlsx 格式后报送"),
    # sheets and columns
    "sheet-missing": Entry(E, "缺少工作表“{detail}”", "请不要删除或重命名模板中的工作表"),
    "column-missing": Entry(E, "工作表中找不到表头“{detail}”", "请不要删除或修改模板的表头行"),
    # cell values
    "value-required": Entry(E, "“{column}”不能为空", "请填写“{column}”"),
    "date-unreadable": Entry(E, "“{column}”的值“{found}”不是可识别的日期", "请按 2026-03-05 的格式填写日期"),
    "date-impossible": Entry(E, "“{column}”的值“{found}”不是真实存在或可用的日期", "请核对年、月、日（如 2 月没有 30 日，年份应在 1678 至 2261 年之间）"),
    "date-out-of-year": Entry(E, "“{column}”的日期 {found} 不在填报年度 {expected} 内", "请核对日期和“基本信息”中的年度"),
    "date-in-future": Entry(W, "“{column}”的日期 {found} 晚于统计截止日 {expected}", "请核对日期是否填写有误"),
    "year-invalid": Entry(E, "年度“{found}”不是有效的四位年份", "请填写四位年份，如 2026"),
    "number-unreadable": Entry(E, "“{column}”的值“{found}”不是数字", "请只填写数字，如 12"),
    "number-not-integer": Entry(E, "“{column}”的值 {found} 不是整数", "人数请填写整数"),
    "number-negative": Entry(E, "“{column}”的值 {found} 是负数", "请填写 0 或正数"),
    "number-too-large": Entry(W, "“{column}”的值 {found} 超过常见上限 {expected}", "请核对数字是否多填了位数"),
    "choice-invalid": Entry(E, "“{column}”的值“{found}”不在可选范围内", "请从下拉列表中选择：{expected}"),
    "duplicate-row": Entry(E, "第 {found} 行与本表前面的一行完全重复", "请删除重复的行，避免重复计数"),
    "fill-date-missing": Entry(W, "未填写填报日期", "请在“基本信息”中填写填报日期，以便判断哪一版是最新报送"),
    # the submission in the context of the run
    "year-mismatch": Entry(E, "台账年度 {found} 与本次考核年度 {expected} 不一致", "请确认报送的是本年度台账"),
    "cadre-not-on-roster": Entry(W, "“{found}”不在干部名册中", "请核对单位和姓名是否与干部名册一致，或由经办人员补充名册"),
    "roster-missing": Entry(W, "收件箱中没有干部名册，无法判断未报送人员", "请将本单位的干部名册.xlsx 放入收件箱"),
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One located finding about a submitted file."""

    code: str
    location: Location
    found: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def entry(self) -> Entry:
        return CATALOGUE[self.code]

    @property
    def severity(self) -> Severity:
        return self.entry.severity

    @property
    def message(self) -> str:
        return self.entry.message.format(found=self.found, **_defaults(self.params))

    @property
    def hint(self) -> str:
        return self.entry.hint.format(found=self.found, **_defaults(self.params))

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value} {self.code}: {self.message}（提示：{self.hint}）"


def _defaults(params: dict[str, Any]) -> dict[str, Any]:
    return {"column": "", "expected": "", "detail": "", **params}


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)
