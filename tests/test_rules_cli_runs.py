"""The 榆林 2016 and 广东 2019 scenarios through `lianxi run --rules …`.

tests/test_rules_workbooks.py runs 广东 2016 through the CLI but 榆林 2016 and 广东 2019 through
`pipeline.runner.run`; the Done-when names `lianxi run`. Same submissions (its builders), now
invoked as a clerk would, verdicts read back from 排名.xlsx only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import by_name, make_workspace, sheet_values
from test_rules_workbooks import (
    AS_OF,
    MEETING_ROW,
    RANKING,
    YEAR,
    YL_CADRES,
    column_of,
    guangdong_2019_inbox,
    ranking,
    titles,
    unmet,
    yulin_inbox,
)

from pipeline.cli import main


def lianxi_run(workspace: Path, rules: str) -> Path:
    args = ["run", "-w", str(workspace), "--rules", rules, "--as-of", AS_OF.isoformat(),
            "--period", "year-end", "--workers", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exception is None and result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return workspace / "outbox" / f"{YEAR}-年底考核"


@pytest.fixture(scope="module")
def yulin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lianxi_run(yulin_inbox(make_workspace(tmp_path_factory.mktemp("yulin-cli"))), "yulin-2016")


def test_lianxi_run_yulin_2016_thresholds_100_20_10(yulin: Path) -> None:
    title = titles("yulin-2016")["youth-1-100"]
    rows = by_name(ranking(yulin))
    assert set(rows) == set(YL_CADRES)
    for name, (_, youth, _, _, meets) in YL_CADRES.items():
        assert rows[name][title] == youth, name
        assert (title not in unmet(rows[name])) is meets, name


@pytest.fixture(scope="module")
def guangdong_2019(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = guangdong_2019_inbox(make_workspace(tmp_path_factory.mktemp("gd2019-cli")))
    return lianxi_run(workspace, "guangdong-2019")


def test_lianxi_run_guangdong_2019_ten_days_against_nine(guangdong_2019: Path) -> None:
    title = titles("guangdong-2019")["stationed-days"]
    rows = by_name(ranking(guangdong_2019))
    assert (rows["十天"][title], rows["九天"][title]) == (10, 9)
    assert title not in unmet(rows["十天"]) and title in unmet(rows["九天"])


def test_lianxi_run_guangdong_2019_flags_the_meeting_of_twelve(guangdong_2019: Path) -> None:
    title = titles("guangdong-2019")["no-large-meetings"]
    violations = sheet_values(guangdong_2019 / RANKING, "违规记录")
    assert len(violations) == 1, violations
    cell = f"{column_of('活动记录', '青年人数')}{MEETING_ROW}"
    assert violations[0]["位置（文件:工作表!单元格）"] == f"inbox/座谈十二人.xlsx:活动记录!{cell}"
    assert violations[0]["数值"] == 12
    rows = by_name(ranking(guangdong_2019))
    assert title in unmet(rows["座谈十二人"]) and title not in unmet(rows["十天"])
