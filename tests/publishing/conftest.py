"""Editable copies of the example story, for publishing tests that change content between releases."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONTENT


@pytest.fixture
def story(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def edit(path: Path, pattern: str, replacement: str, *, count: int = 0) -> None:
    text = path.read_text(encoding="utf-8")
    changed, n = re.subn(pattern, replacement, text, count=count, flags=re.MULTILINE)
    assert n, f"{pattern!r} not found in {path}"
    path.write_text(changed, encoding="utf-8")


def rename_mesa(story: Path, *, alias: bool) -> None:
    """Rename scene encuentro.mesa to mesa_nueva (with or without `aliases: [mesa]`)."""
    chapter = story / "chapters" / "01-encuentro.yaml"
    edit(chapter, r"^(\s+)(goto|next): mesa$", r"\1\2: mesa_nueva")
    edit(chapter, r"^  mesa:$", "  mesa_nueva:\n    aliases: [mesa]" if alias else "  mesa_nueva:")
