"""The result of compute: plain DataFrames the writers lay out, nothing else.

Column names are English identifiers here; the writers give them their Chinese headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipeline.compute.reminders import Chase
from pipeline.rules.model import Period, Rule, RuleSet

CADRE_COLUMNS = (
    "submission",  # str: the accepted submission's id (its content hash prefix)
    "file",  # str: the file's display path, e.g. "inbox/张明.xlsx"
    "name", "unit", "category", "post", "phone",  # 姓名 单位 干部类别 职务 联系电话
    "assessed",  # bool: counts towards the unit's grades and caps
    "on_roster",  # bool
    "score",  # float in [0, 1]: weighted mean of min(actual/required, 1)
    "rank",  # Int64: rank among all assessed cadres (1 = best), <NA> if not assessed
    "unit_rank",  # Int64: rank within the unit
    "proposed",  # str: grade by score band ("" when grades do not apply this period)
    "grade",  # str: grade after the caps
    "tie_flag",  # bool: a tie at a cap boundary that a person must settle
    "note",  # str: why the grade differs from the proposal, or the tie to settle
    "unmet",  # str: titles of the unmet rules joined by 、 ("" when all are met)
    "contact_points",  # str: "1. 名称 2. 名称 …"
    "four_tasks",  # str: 四项重点任务完成情况（场次及时间）
    "research",  # str: 调研方向及完成时限
)  # fmt: skip

RESULT_COLUMNS = (
    "submission", "rule_id", "title", "unit_label",  # unit_label: 次/名/天 …
    "actual",  # float
    "required_min", "required_max",  # float or NaN: the bounds for this cadre and period
    "met",  # bool
    "attainment",  # float in [0, 1]
)  # fmt: skip

UNIT_COLUMNS = (
    "unit", "expected", "submitted", "assessed", "mean_score", "rank",
    "count_优", "count_良", "count_中", "count_差",  # one column per grade of the rule set
    "cap_优", "cap_良",  # the maximum allowed: floor(share × assessed)
)  # fmt: skip

MISSING_COLUMNS = ("name", "unit", "category", "post", "phone")

UNIT_RESULT_COLUMNS = (
    "unit", "rule_id", "title", "unit_label",  # one row per unit and unit-level rule (scope: unit)
    "actual", "required_min", "required_max", "met", "attainment",  # as in RESULT_COLUMNS
)  # fmt: skip

VIOLATION_COLUMNS = (
    "submission", "name", "unit", "rule_id", "title",
    "location",  # str: "inbox/张明.xlsx:活动记录!E12", the cell of the figure that breaks the rule
    "date",  # Timestamp or NaT: the row's date
    "activity",  # str: the row's 活动类型 ("" on sheets without one)
    "found",  # float or NaN: the figure (e.g. 青年人数 + 团干部人数); NaN when the row is barred
    "clause",  # str: the rule's clause
)  # fmt: skip

PACE_COLUMNS = (
    "file", "unit", "name", "rule_id", "title", "unit_label",
    "actual", "required",  # float: so far; the yearly minimum for this cadre
    "projected", "shortfall",  # float: at the current pace by the year-end deadline; the gap
    "message",  # str: "…：按当前进度，年底（11月30日）预计 7/10 次，差 3 次"
)  # fmt: skip


@dataclass(frozen=True)
class Assessment:
    rule_set: RuleSet
    period: Period
    year: int
    as_of: date
    rules: tuple[Rule, ...]  # the rules applied in this period, in file order
    graded: bool  # whether grades and caps apply in this period
    cadres: pd.DataFrame  # CADRE_COLUMNS, sorted by rank then unit then name
    results: pd.DataFrame  # RESULT_COLUMNS, one row per cadre and applied rule
    units: pd.DataFrame  # UNIT_COLUMNS (grade columns follow the rule set's grades)
    interviews: pd.DataFrame  # the cadres (CADRE_COLUMNS) whose grade is the interview grade
    missing: pd.DataFrame  # MISSING_COLUMNS: on the roster, assessed, and no accepted submission
    chase: Chase | None = None  # 催交 lists and reporting rates (compute.follow_up)
    pace: pd.DataFrame = field(  # PACE_COLUMNS: quotas projected to be missed (compute.follow_up)
        default_factory=lambda: pd.DataFrame(columns=list(PACE_COLUMNS))
    )
    unit_rules: tuple[Rule, ...] = ()  # the unit-level rules (scope: unit) applied this period
    unit_results: pd.DataFrame = field(  # UNIT_RESULT_COLUMNS
        default_factory=lambda: pd.DataFrame(columns=list(UNIT_RESULT_COLUMNS))
    )
    violations: pd.DataFrame = field(  # VIOLATION_COLUMNS: every prohibited row, located
        default_factory=lambda: pd.DataFrame(columns=list(VIOLATION_COLUMNS))
    )
