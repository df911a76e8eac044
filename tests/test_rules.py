"""Rule files: the shipped one loads; malformed ones are refused naming file, rule and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import RuleFileError
from pipeline.rules.loader import load_rules
from pipeline.rules.model import Period

GOOD_RULE = """
  - id: lectures
    title: 理论宣讲
    clause: 每年不少于4次
    metric: {kind: count, sheet: 活动记录, where: {活动类型: [理论宣讲, 主题团课]}}
    required: {min: 4}
"""


def _write(tmp_path: Path, text: str, name: str = "custom.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baoji_rules_quote_their_clauses() -> None:
    rule_set = load_rules("baoji-2018")
    assert rule_set.document == "宝市团发〔2018〕84号"
    assert all(rule.clause for rule in rule_set.rules)
    assert {r.id for r in rule_set.rules_for(Period.FILING)} >= {
        "task-list-areas",
        "contact-points",
        "research-topic",
    }
    assert dict(rule_set.grading.caps) == {"优": 0.30, "良": 0.50}
    assert rule_set.participants == ("专职",)


def test_extends_overrides_by_id_and_inherits_the_rest(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "extends: baoji-2018\nid: county\ntitle: 某县\nrules:"
        + GOOD_RULE.replace("min: 4", "min: 6"),
    )
    rule_set = load_rules(str(path))
    lectures = next(r for r in rule_set.rules if r.id == "lectures")
    assert lectures.required.default is not None and lectures.required.default.minimum == 6
    assert len(rule_set.rules) == len(load_rules("baoji-2018").rules)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("sheet: 活动记录", "sheet: 活动纪录"),
            "规则 lectures，键 metric.sheet：未知工作表“活动纪录”，是否应为“活动记录”？",
        ),
        (("活动类型: [理论宣讲", "活动类型: [理论宣传"), "“理论宣传”不是可选值"),
        (("required: {min: 4}", "required: {mni: 4}"), "键 required"),
        (("kind: count", "kind: average"), "“average”不是可用的取值"),
        (
            ("    title: 理论宣讲\n", "    titel: 理论宣讲\n"),
            "键 titel：未知的键，是否应为“title”？",
        ),
    ],
)
def test_malformed_rules_are_located(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = "extends: baoji-2018\nid: county\ntitle: 某县\nrules:" + GOOD_RULE.replace(*change)
    path = _write(tmp_path, text)
    with pytest.raises(RuleFileError) as error:
        load_rules(str(path))
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_unknown_rule_set_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="baoji-2018"):
        load_rules("baoji-2019")


def test_not_yaml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="YAML"):
        load_rules(str(_write(tmp_path, "rules: [unclosed")))
