"""催交: who still owes a ledger, per unit, and each unit's reporting rates (as DHIS2 counts them).

应报 (expected) is the roster's assessed cadres (without a roster: every cadre who sent a ledger);
实报 (reported) those of them with an accepted current submission; 按时 (on time) those whose
accepted 填报日期 is on or before the period's deadline. Rates are shares of 应报.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipeline.outcomes import FileOutcome, Status
from pipeline.rules.model import Period, RuleSet

MISSING, LATE, RETURNED = "未报送", "逾期报送", "退回待改"
TOTAL = "合计"
NO_UNIT = "未填单位"
RATE_COLUMNS = ("unit", "expected", "reported", "on_time", "reporting_rate", "on_time_rate")
PENDING_COLUMNS = ("unit", "name", "status", "phone", "detail", "file")
ACCEPTED = (Status.ACCEPTED, Status.ACCEPTED_WITH_WARNINGS)


@dataclass(frozen=True)
class Chase:
    """The 催交 lists and reporting rates of a run."""

    deadline: date
    as_of: date
    rates: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(RATE_COLUMNS)))
    pending: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(PENDING_COLUMNS))
    )

    @property
    def days_left(self) -> int:
        """Days from the as-of date to the deadline; negative once it has passed."""
        return (self.deadline - self.as_of).days

    @property
    def total(self) -> dict[str, object]:
        """The 合计 row: every unit's counts added, rates recomputed."""
        sums = {c: int(self.rates[c].sum()) for c in ("expected", "reported", "on_time")}
        return {
            "unit": TOTAL,
            **sums,
            **_rates(sums["expected"], sums["reported"], sums["on_time"]),
        }


def deadline(rule_set: RuleSet, period: Period, year: int) -> date:
    """The period's deadline in ``year`` from the rule file (31 December if it names none)."""
    mmdd = next((p.deadline for p in rule_set.periods if p.period is period), "12-31")
    return date.fromisoformat(f"{year}-{mmdd}")


def chase(
    outcomes: Sequence[FileOutcome], roster: pd.DataFrame | None, phones: pd.DataFrame,
    due: date, as_of: date,
) -> Chase:  # fmt: skip
    """The lists and rates. ``phones`` has unit, name, phone of the current submissions."""
    ledgers = _placed(_ledgers(outcomes), roster)
    expected = _expected(roster, ledgers)
    accepted = ledgers[ledgers["accepted"]].drop_duplicates(["unit", "name"])
    merged = expected.merge(
        accepted[["unit", "name", "fill_date", "file"]], "left", ["unit", "name"]
    )
    merged["reported"] = merged["file"].notna()
    merged["on_time"] = merged["reported"] & (merged["fill_date"].fillna("9999") <= due.isoformat())
    returned = ledgers[~ledgers["accepted"]].drop_duplicates(["unit", "name"], keep="last")
    pending = pd.concat([
        _missing(merged[~merged["reported"]], returned), _late(merged, due),
        _returned(returned, accepted),
    ], ignore_index=True)  # fmt: skip
    pending = _with_phones(pending, roster, phones)
    return Chase(due, as_of, _unit_rates(merged), pending.sort_values(["unit", "status", "name"],
                 kind="stable").reset_index(drop=True))  # fmt: skip


def _ledgers(outcomes: Sequence[FileOutcome]) -> pd.DataFrame:
    """Every cadre's ledger file that names its cadre, in reading order."""
    rows = [
        (
            o.unit or NO_UNIT,
            o.name,
            o.status in ACCEPTED,
            o.fill_date or None,
            o.file,
            o.error_count,
        )
        for o in outcomes
        if o.name and o.status is not Status.ROSTER and o.status is not Status.SUPERSEDED
    ]
    columns = ["unit", "name", "accepted", "fill_date", "file", "errors"]
    return pd.DataFrame(rows, columns=columns).astype({"accepted": bool})


def _placed(ledgers: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    """A ledger without 单位 is placed in the unit of the one roster cadre of that name."""
    if roster is None:
        return ledgers
    names = roster.drop_duplicates("name", keep=False).set_index("name")["unit"]
    guessed = ledgers["name"].map(names)
    unplaced = (ledgers["unit"] == NO_UNIT) & guessed.notna()
    return ledgers.assign(unit=ledgers["unit"].where(~unplaced, guessed))


def _expected(roster: pd.DataFrame | None, ledgers: pd.DataFrame) -> pd.DataFrame:
    if roster is not None:
        return roster.loc[roster["assessed"], ["unit", "name"]].drop_duplicates()
    return ledgers[["unit", "name"]].drop_duplicates()


def _missing(unreported: pd.DataFrame, returned: pd.DataFrame) -> pd.DataFrame:
    sent = pd.MultiIndex.from_frame(returned[["unit", "name"]])
    keys = pd.MultiIndex.from_frame(unreported[["unit", "name"]])
    missing = unreported[~keys.isin(sent)]
    return pd.DataFrame({"unit": missing["unit"], "name": missing["name"], "status": MISSING,
                         "detail": "尚未报送台账", "file": ""})  # fmt: skip


def _late(merged: pd.DataFrame, due: date) -> pd.DataFrame:
    late = merged[merged["reported"] & ~merged["on_time"]]
    days = (pd.to_datetime(late["fill_date"]) - pd.Timestamp(due)).dt.days
    detail = "填报日期 " + late["fill_date"] + "，逾期 " + days.astype("Int64").astype(str) + " 天"
    return pd.DataFrame({"unit": late["unit"], "name": late["name"], "status": LATE,
                         "detail": detail.fillna("未填写填报日期，无法认定按时报送"),
                         "file": late["file"]})  # fmt: skip


def _returned(returned: pd.DataFrame, accepted: pd.DataFrame) -> pd.DataFrame:
    """Cadres whose only readable ledgers were returned (a later accepted one settles it)."""
    done = pd.MultiIndex.from_frame(accepted[["unit", "name"]])
    keys = pd.MultiIndex.from_frame(returned[["unit", "name"]])
    still = returned[~keys.isin(done)]
    detail = "退回：错误 " + still["errors"].astype(str) + " 项，请按回执修改后重新报送"
    return pd.DataFrame({"unit": still["unit"], "name": still["name"], "status": RETURNED,
                         "detail": detail, "file": still["file"]})  # fmt: skip


def _with_phones(
    pending: pd.DataFrame, roster: pd.DataFrame | None, phones: pd.DataFrame
) -> pd.DataFrame:
    """The roster's phone first (the clerk keeps it), else the one the cadre typed."""
    sources = [phones[["unit", "name", "phone"]]]
    if roster is not None:
        sources.insert(0, roster[["unit", "name", "phone"]])
    known = pd.concat(sources, ignore_index=True)
    known = known[known["phone"].astype(str).str.strip() != ""].drop_duplicates(["unit", "name"])
    merged = pending.merge(known, "left", ["unit", "name"])
    merged["phone"] = merged["phone"].fillna("")
    return merged[list(PENDING_COLUMNS)]


def _unit_rates(merged: pd.DataFrame) -> pd.DataFrame:
    by_unit = merged.groupby("unit", sort=True)
    counts = pd.DataFrame({
        "expected": by_unit.size(), "reported": by_unit["reported"].sum(),
        "on_time": by_unit["on_time"].sum(),
    }).astype("int64")  # fmt: skip
    counts["reporting_rate"] = counts["reported"] / counts["expected"]
    counts["on_time_rate"] = counts["on_time"] / counts["expected"]
    return counts.rename_axis("unit").reset_index()[list(RATE_COLUMNS)]


def _rates(expected: int, reported: int, on_time: int) -> dict[str, float]:
    share = (lambda n: n / expected) if expected else (lambda n: 0.0)
    return {"reporting_rate": share(reported), "on_time_rate": share(on_time)}
