"""The shipped rule files quote their documents; parameters, attributes, scopes and kinds are
checked on load with located errors; `lianxi rules` lists, shows and checks them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import RuleFileError
from pipeline.rules.loader import available_rule_sets, load_rules
from pipeline.rules.model import Every, MetricKind, Scope

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
DOCUMENTS = {  # rule file -> the seed it quotes
    "guangdong-2016": "001_", "yulin-2016": "002_", "guangdong-2019": "003_", "cyl-2014": "004_",
}  # fmt: skip
QUOTE = re.compile(r"「(.*?)」")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("rule_set_id", DOCUMENTS)
def test_every_rule_quotes_its_clause_verbatim(rule_set_id: str) -> None:
    rule_set = load_rules(rule_set_id)
    texts = [r.clause for r in rule_set.rules] + [p.clause for p in rule_set.parameters]
    texts += [rule_set.participants_clause, rule_set.grading.clause]
    assert all(QUOTE.search(r.clause) for r in rule_set.rules)
    seeds = sorted(SEEDS.glob(f"{DOCUMENTS[rule_set_id]}*.txt")) if SEEDS.is_dir() else []
    if not seeds:
        pytest.skip(f"the seed documents are not beside the checkout ({SEEDS})")
    seed = squeeze(seeds[0].read_text(encoding="utf-8"))
    for text in texts:
        for quoted in QUOTE.findall(text):
            for piece in squeeze(quoted).split("……"):
                assert piece in seed, f"{rule_set_id}: not in the document: {piece}"


def test_every_shipped_file_loads_with_its_document() -> None:
    shipped = {rid: load_rules(rid) for rid in available_rule_sets()}
    assert {rid: rs.document for rid, rs in shipped.items()} == {
        "baoji-2018": "宝市团发〔2018〕84号", "guangdong-2016": "团粤办发〔2016〕40号",
        "yulin-2016": "榆团办发【2016】23号", "guangdong-2019": "团粤办发〔2019〕16号",
        "cyl-2014": "中青办发[2014]44号",
    }  # fmt: skip
    kinds = {r.metric.kind for rs in shipped.values() for r in rs.rules}
    assert kinds >= {MetricKind.COVERAGE, MetricKind.PER_POINT, MetricKind.STAYS,
                     MetricKind.DAYS, MetricKind.LATEST, MetricKind.PROHIBITION}  # fmt: skip
    units = [r.id for r in shipped["guangdong-2019"].rules if r.scope is Scope.UNIT]
    assert "county-form-monthly" in units and "department-days-monthly" in units


# --- parameters --------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "county.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_county_sets_the_work_cycle_without_touching_the_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: yulin-2016\nid: county\ntitle: 某县\n"
                           "parameters: {work_cycle: month}\n")  # fmt: skip
    rules = {r.id: r for r in load_rules(str(path)).rules}
    assert rules["interviews-per-cycle"].metric.every is Every.MONTH
    assert rules["interviews-per-cycle"].unit == "月"
    shipped = {r.id: r for r in load_rules("yulin-2016").rules}
    assert shipped["interviews-per-cycle"].metric.every is Every.QUARTER
    parameter = load_rules(str(path)).parameters[0]
    assert (parameter.value, "工作周期" in parameter.clause) == ("month", True)


def test_a_number_left_open_is_a_parameter(tmp_path: Path) -> None:
    path = write(tmp_path, "extends: cyl-2014\nid: county\ntitle: 某县\n"
                           "parameters: {talents: {value: 5}}\n")  # fmt: skip
    talents = next(r for r in load_rules(str(path)).rules if r.id == "talents")
    assert talents.required is not None and talents.required.for_value("专职") is not None
    assert talents.required.for_value("专职").minimum == 5  # type: ignore[union-attr]


# --- located errors ----------------------------------------------------------------------------

RULE = """
  - id: weekly
    title: 每周报到
    clause: 每周
    metric: {kind: coverage, every: week, sheet: 活动记录, where: {活动类型: [社区报到]}}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("every: week", "every: $cycle"), "规则 weekly，键 metric.every：未定义的参数“$cycle”"),
        (("every: week", "every: fortnight"), "“fortnight”不是可用的取值（week、month、quarter）"),
        (("    clause: 每周\n", "    clause: 每周\n    required: {min: 3}\n"), "不需要 required"),
        (("sheet: 活动记录", "sheet: 推动情况"), "只能用于 scope: unit"),
        (("kind: coverage", "kind: per_point"), "键 metric.every：未知的键"),
        (("kind: coverage, every: week, sheet: 活动记录", "kind: per_point, sheet: 任务清单"),
         "没有“联系点”列"),
        (("kind: coverage, every: week", "kind: coverage, every: week, of: cadres"),
         "cadres 只能用于 scope: unit"),
        (("    clause: 每周\n", "    clause: 每周\n    applies_to: {职级: [处级]}\n"),
         "键 applies_to.职级：“处级”不是职级，是否应为“局处级”？"),
        (("    clause: 每周\n", "    clause: 每周\n    applies_to: {级别: [科级]}\n"),
         "“级别”不是干部属性"),
        (("title: 每周报到", "title: 每周报到、宣讲"), "标题不能含“、”"),
        (("where: {活动类型: [社区报到]}", "where: {活动类型: [社区报到], 青年人数: {min: x}}"),
         "键 metric.where.青年人数.min：“x”应为数字"),
    ],
)  # fmt: skip
def test_malformed_rules_are_located(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(
        tmp_path, "extends: yulin-2016\nid: county\ntitle: 某县\nrules:" + RULE.replace(*change)
    )
    with pytest.raises(RuleFileError) as error:
        load_rules(str(path))
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_threshold_by_rank_is_checked_against_the_template(tmp_path: Path) -> None:
    rule = RULE.replace("metric: {kind: coverage, every: week,", "metric: {kind: count,").replace(
        "    clause: 每周\n",
        "    clause: 每周\n    required: {by: 职级, cases: {局处级、正科: {min: 1}}}\n",
    )
    path = write(tmp_path, "extends: yulin-2016\nid: county\ntitle: 某县\nrules:" + rule)
    with pytest.raises(
        RuleFileError, match=re.escape("键 required.cases.局处级、正科：“正科”不是职级")
    ):
        load_rules(str(path))


def test_unit_rules_cannot_differ_by_cadre(tmp_path: Path) -> None:
    rule = RULE.replace(
        "metric: {kind: coverage, every: week,", "scope: unit\n    metric: {kind: count,"
    )
    rule = rule.replace(
        "    clause: 每周\n",
        "    clause: 每周\n    required: {by: 干部类别, cases: {专职: {min: 1}}}\n",
    )
    path = write(tmp_path, "extends: yulin-2016\nid: county\ntitle: 某县\nrules:" + rule)
    with pytest.raises(RuleFileError, match=re.escape("键 required.by：单位职责")):
        load_rules(str(path))


# --- the command ---------------------------------------------------------------------------


def test_rules_lists_shipped_and_workspace_files(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    write(
        tmp_path / "rules",
        "extends: guangdong-2016\nid: 荔湾\ntitle: 荔湾区细则\n",
        "liwan-2026.yaml",
    )
    broken = "extends: guangdong-2016\nid: 越秀\ntitle: 越秀\nparameters: {online_rhythm: daily}\n"
    write(tmp_path / "rules", broken, "yuexiu-2026.yaml")
    result = CliRunner().invoke(main, ["rules", "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines()}
    assert set(lines) >= {*DOCUMENTS, "baoji-2018", "liwan-2026"}
    assert "\t内置\t" in lines["yulin-2016"] and "\t工作目录\t" in lines["liwan-2026"]
    assert "有错误" in lines["yuexiu-2026"] and "“daily”不是可用的取值" in lines["yuexiu-2026"]


def test_rules_show_explains_the_new_kinds_in_chinese() -> None:
    output = CliRunner().invoke(main, ["rules", "show", "guangdong-2019"]).output
    assert "[no-large-meetings] 不召开超过10人的座谈会：不得出现" in output
    assert "“青年人数”+“团干部人数”之和超过 10 的行" in output
    assert "[department-days-monthly]" in output and "单位职责" in output
    assert "按月统计" in output and "所覆盖的整天数" in output
    output = CliRunner().invoke(main, ["rules", "show", "yulin-2016"]).output
    assert "参数 $work_cycle = quarter" in output
    assert "兼职·团的领导机关·书记处、局处级、科级：不少于 100 名" in output
    assert "兼职·团员青年较多的单位：不少于 20 名" in output
    output = CliRunner().invoke(main, ["rules", "show", "cyl-2014"]).output
    assert "每个基层联系点（按“联系点”列）" in output and "适用：职级为局处级 的干部" in output


def test_rules_check_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, "extends: cyl-2014\nid: county\ntitle: 某县\n")
    result = CliRunner().invoke(main, ["rules", "check", str(good)])
    assert result.exit_code == 0 and "格式正确，共 12 条规则" in result.output
    bad = write(tmp_path, "extends: cyl-2014\nid: county\ntitle: 某县\nparameters: {talent: 3}\n"
                          "rules:" + RULE.replace("every: week", "every: $talents"), "bad.yaml")  # fmt: skip
    result = CliRunner().invoke(main, ["rules", "check", str(bad)])
    assert result.exit_code == 2
    assert "键 metric.every：“3”不是可用的取值" in result.output


def test_the_readme_examples_of_a_jurisdiction_load(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Rule files") : readme.index("### Scores and grades")]
    examples = [
        b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith("extends:")
    ]
    assert len(examples) >= 2
    for n, text in enumerate(examples):
        rule_set = load_rules(str(write(tmp_path, text, f"example{n}.yaml")))
        assert rule_set.rules and rule_set.id in text
