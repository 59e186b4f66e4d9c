"""One call for every front-end that needs a story: lint a folder, or lint and compile it."""

from __future__ import annotations

from pathlib import Path

from engine.content.bundle import Bundle
from engine.content.compile import compile_bundle
from engine.content.files import read_content_dir
from engine.diagnostics import ContentError, Severity
from engine.gcpause import paused_gc
from engine.lint.runner import LintConfig, LintReport, lint_files


def lint_path(path: Path, config: LintConfig | None = None) -> LintReport:
    return lint_files(read_content_dir(path), config)


def build_path(path: Path, config: LintConfig | None = None) -> tuple[LintReport, Bundle]:
    """Lint and compile; ContentError (carrying the diagnostics) if the story has errors."""
    with paused_gc():  # one pause over both: compiling with the linted story alive is as costly
        report = lint_path(path, config)
        errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
        if errors or report.project is None:
            raise ContentError(errors)
        return report, compile_bundle(report.project)
