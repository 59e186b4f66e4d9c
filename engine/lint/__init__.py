"""Static analysis of a story: a registry of checks, each reporting diagnostics with their own codes."""

from engine.lint.runner import LintConfig, LintReport, lint_content, lint_files

__all__ = ["LintConfig", "LintReport", "lint_content", "lint_files"]
