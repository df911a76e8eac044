"""A clerk's workspace: the folders a run expects, the blank templates and instructions in Chinese."""

from __future__ import annotations

from pathlib import Path

from pipeline.forms.build import build_all
from pipeline.forms.spec import TEMPLATES
from pipeline.write.files import write_text_atomic
from pipeline.write.receipts import ENCODING, NEWLINE
from pipeline.write.texts import render

FOLDERS = ("inbox", "outbox", "state", "rules")
TEMPLATES_DIR = "模板"
GUIDE = "使用说明.txt"


def init_workspace(directory: Path) -> list[Path]:
    """Create the folders, write the templates and 使用说明.txt; never touch existing files.

    Return what was created (an existing workspace gets only what it lacks).
    """
    created = [directory / f for f in FOLDERS if not (directory / f).exists()]
    for folder in created:
        folder.mkdir(parents=True)
    templates = directory / TEMPLATES_DIR
    if not all((templates / t.file_name).exists() for t in TEMPLATES.values()):
        created += build_all(templates)
    guide = directory / GUIDE
    if not guide.exists():
        text = render("使用说明.txt.j2", templates=[t.file_name for t in TEMPLATES.values()])
        created.append(write_text_atomic(guide, NEWLINE.join(text.splitlines()) + NEWLINE,
                                         encoding=ENCODING))  # fmt: skip
    return created
