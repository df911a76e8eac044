"""What happened to each file read in a run: its fate and its problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pipeline.problems import Problem, Severity


class Status(Enum):
    ACCEPTED = "已采用"
    ACCEPTED_WITH_WARNINGS = "已采用（有警告）"
    SUPERSEDED = "已被新版本替代"
    RETURNED = "退回"
    ROSTER = "干部名册"


@dataclass(frozen=True)
class FileOutcome:
    file: str  # display path, e.g. "inbox/张明.xlsx"
    sha256: str
    status: Status
    name: str = ""  # 姓名, when the file is a cadre's ledger and says so
    unit: str = ""  # 单位
    fill_date: str = ""  # 填报日期 as YYYY-MM-DD
    problems: tuple[Problem, ...] = field(default=())
    superseded_by: str = ""  # display path of the newer submission

    @property
    def error_count(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warning_count(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)

    @property
    def needs_receipt(self) -> bool:
        return self.status is Status.RETURNED or self.warning_count > 0
