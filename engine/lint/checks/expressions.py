"""Every condition parses, names only what exists, and compares like with like."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.project import Project
from engine.diagnostics import Diagnostic
from engine.lint.registry import check


@check("expressions", "D401", "D402", "D403", "D404", "D405", "D406", "D407", order=25)
def expressions(project: Project) -> Iterator[Diagnostic]:
    for condition, chapter, _ in project.conditions():
        result = project.checked(condition, chapter)
        for issue in result.issues:
            yield diagnostic(issue.code, condition.at(issue.start), issue.message, hint=issue.hint)
