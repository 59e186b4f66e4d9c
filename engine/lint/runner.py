"""Run every registered check over a loaded story, honouring configuration and suppressions."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.codes import BY_NAME, CODES
from engine.content.files import ContentFiles
from engine.content.loader import load
from engine.content.model import Content
from engine.content.project import Project
from engine.diagnostics import Diagnostic, Severity
from engine.gcpause import paused_gc
from engine.lint.registry import all_checks


@dataclass(frozen=True, slots=True)
class LintConfig:
    """From ``[tool.diana.lint]``: codes (or names) to ignore, severities to change, strictness."""

    ignore: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    strict: bool = False

    def code_of(self, key: str) -> str:
        return BY_NAME[key].code if key in BY_NAME else key

    def adjust(self, item: Diagnostic) -> Diagnostic | None:
        ignored = {self.code_of(key) for key in self.ignore}
        if item.code in ignored:
            return None
        override = self.severity.get(item.code) or self.severity.get(item.name)
        if override is not None and override is not item.severity:
            return Diagnostic(item.code, override, item.loc, item.message, item.hint, item.name, item.related)
        return item


@dataclass(slots=True)
class LintReport:
    diagnostics: list[Diagnostic]
    content: Content | None
    project: Project | None
    strict: bool = False

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def failed(self) -> bool:
        return self.errors > 0 or (self.strict and self.warnings > 0)

    def summary(self) -> dict[str, int]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.count(Severity.INFO),
        }


def _suppressed(item: Diagnostic, content: Content | None) -> bool:
    if content is None or (item.severity is Severity.ERROR and item.code.startswith("D1")):
        return False
    source = content.files.get(item.loc.file)
    if source is None:
        return False
    marks = source.suppressions.get(item.loc.line, frozenset())
    return item.code in marks or item.name in marks or "all" in marks


def lint_content(content: Content, config: LintConfig | None = None) -> LintReport:
    config = config or LintConfig()
    project = Project.of(content)
    found: list[Diagnostic] = []
    for registered in all_checks():
        found.extend(registered.run(project))
    return _finish(found, content, project, config)


def lint_files(files: ContentFiles, config: LintConfig | None = None) -> LintReport:
    """Load and lint; a story that cannot be loaded reports only why."""
    with paused_gc():
        return _lint_files(files, config)


def _lint_files(files: ContentFiles, config: LintConfig | None = None) -> LintReport:
    config = config or LintConfig()
    loaded = load(files)
    if loaded.content is None or not loaded.ok:
        # The errors that stop the story from loading are always reported: ignoring or downgrading
        # them would pass a story that cannot be played.
        return _finish(loaded.diagnostics, loaded.content, None, config, keep_errors=True)
    report = lint_content(loaded.content, config)
    report.diagnostics = _finish(
        [*loaded.diagnostics, *report.diagnostics], loaded.content, report.project, config
    ).diagnostics
    return report


def _finish(
    found: list[Diagnostic],
    content: Content | None,
    project: Project | None,
    config: LintConfig,
    *,
    keep_errors: bool = False,
) -> LintReport:
    kept: list[Diagnostic] = []
    seen: set[tuple[str, object, str]] = set()
    for item in found:
        if keep_errors and item.severity is Severity.ERROR:
            adjusted = item
        else:
            candidate = config.adjust(item)
            if candidate is None or _suppressed(candidate, content):
                continue
            adjusted = candidate
        key = (adjusted.code, adjusted.loc, adjusted.message)
        if key in seen:
            continue
        seen.add(key)
        kept.append(adjusted)
    kept.sort(key=Diagnostic.sort_key)
    assert all(item.code in CODES for item in kept), "every code is in engine.codes"
    return LintReport(kept, content, project, config.strict)
