"""The one root exception: a run that cannot go on (problems in submitted files are data)."""

from __future__ import annotations

# What to do when the workspace's state/ (ledger, archive) is damaged, for every such message
RESTORE_STATE = (
    "请用备份恢复 state 文件夹；没有备份时，将 state 文件夹改名留存（如 state-损坏），"
    "把 inbox/已处理 中的文件放回收件箱后重新运行"
)


class PipelineError(Exception):
    """A run cannot continue: an unreadable rule file, a missing inbox, a held lock."""


class RuleFileError(PipelineError):
    """A rule file is malformed; the message names the file, the rule and the key."""
