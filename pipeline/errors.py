"""The one root exception: a run that cannot go on (problems in submitted files are data)."""

from __future__ import annotations


class PipelineError(Exception):
    """A run cannot continue: an unreadable rule file, a missing inbox, a held lock."""


class RuleFileError(PipelineError):
    """A rule file is malformed; the message names the file, the rule and the key."""
