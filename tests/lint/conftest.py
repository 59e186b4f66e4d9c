"""Fixtures for the lint tests: a minimal valid story in a temporary folder, with any file overridden.

The story itself and the plain helpers live in ``lint_support`` (importable from test modules and from
property tests that cannot use function-scoped fixtures); these fixtures bind them to ``tmp_path``.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path

import pytest
from lint_support import LintStory, MakeStory, Overrides, story_files

from engine.content.api import lint_path
from engine.lint import LintConfig, LintReport


@pytest.fixture
def make_story(tmp_path: Path) -> MakeStory:
    """``make_story({"chapters/01-a.yaml": "..."})`` -> a fresh content folder with those files replaced.

    Each call writes a new folder, so one test can compare a broken story with its clean look-alike.
    """
    numbers = count(1)

    def make(overrides: Overrides | None = None) -> Path:
        return story_files(tmp_path / f"content{next(numbers)}", overrides)

    return make


@pytest.fixture
def lint(make_story: MakeStory) -> LintStory:
    """``lint({...}, config)`` -> the report of ``engine.content.api.lint_path`` on a fresh story."""

    def run(overrides: Overrides | None = None, config: LintConfig | None = None) -> LintReport:
        return lint_path(make_story(overrides), config)

    return run
