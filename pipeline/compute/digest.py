"""The 附件2 text columns per cadre: 联系点, 四项重点任务完成情况（场次及时间）, 调研方向及完成时限."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

# 附件1's four areas and the activity types that count as work in each.
TASK_AREAS: dict[str, tuple[str, ...]] = {
    "理论宣讲": ("理论宣讲", "主题团课"),
    "交流谈心": ("走访基层", "集体座谈", "个别谈心"),
    "调查研究": ("调研", "调研报告"),
    "推动工作": ("推动工作",),
}


def joined_by_file(rows: pd.DataFrame, column: str, join: Callable[[list[str]], str]) -> pd.Series:
    """Each file's texts of ``column``, in row order, joined: by file number, for the files
    with rows. A plain loop: pandas joins each of ten thousand groups as a Series of its own."""
    texts: dict[int, list[str]] = {}
    for number, text in zip(rows["_file"].tolist(), rows[column].tolist(), strict=True):
        texts.setdefault(number, []).append(text)
    return pd.Series({n: join(t) for n, t in texts.items()}, dtype=rows[column].dtype)


def contact_points(points: pd.DataFrame, files: pd.Index) -> pd.Series:
    def numbered(names: list[str]) -> str:
        return " ".join(f"{n}. {name}" for n, name in enumerate(names, start=1))

    return joined_by_file(points, "联系点名称", numbered).reindex(files, fill_value="")


def four_tasks(activities: pd.DataFrame, files: pd.Index) -> pd.Series:
    """E.g. "理论宣讲 5 场（03-05 至 10-12）；交流谈心 14 场（…）；…"."""
    if files.empty:
        return pd.Series(dtype=object, index=files)
    parts = []
    for area, types in TASK_AREAS.items():
        rows = activities[activities["活动类型"].isin(types)]
        dates = pd.to_datetime(rows["日期"]).groupby(rows["_file"])
        counts = dates.size().reindex(files, fill_value=0)
        first = dates.min().reindex(files).dt.strftime("%m-%d")
        last = dates.max().reindex(files).dt.strftime("%m-%d")
        span = ("（" + first + " 至 " + last + "）").fillna("")
        parts.append(area + " " + counts.astype(str) + " 场" + span)
    joined = parts[0]
    for part in parts[1:]:  # elementwise: a row-wise join transposes the frame
        joined = joined + "；" + part
    return joined


TOPIC_LABEL = r"^\s*(?:调研)?课题\s*[:：]\s*"


def research(tasks: pd.DataFrame, activities: pd.DataFrame, files: pd.Index) -> pd.Series:
    """E.g. "课题：…；计划 2026-10-31 完成；报告 2026-09-30 已形成"."""
    chosen = tasks[tasks["任务类别"] == "调查研究"]
    topics = chosen.groupby("_file")
    named = joined_by_file(chosen, "主要内容", "、".join).reindex(files)
    topic = named.str.replace(TOPIC_LABEL, "", regex=True)  # "调研课题：…" would read 课题：调研课题：…
    planned = pd.to_datetime(topics["计划完成时间"].min()).reindex(files).dt.strftime("%Y-%m-%d")
    reports = activities[activities["活动类型"] == "调研报告"]
    report = (
        pd.to_datetime(reports["日期"])
        .groupby(reports["_file"])
        .min()
        .reindex(files)
        .dt.strftime("%Y-%m-%d")
    )
    text = ("课题：" + topic).fillna("未确定调研课题")
    text += ("；计划 " + planned + " 完成").fillna("")
    text += ("；报告 " + report + " 已形成").fillna("；尚未形成调研报告")
    return text
