"""Per-project settings for the CLI from ``[tool.diana.lint]`` in the nearest pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from engine.codes import BY_NAME, CODES
from engine.diagnostics import Severity
from engine.lint import LintConfig


class ConfigError(ValueError):
    pass


def find_pyproject(start: Path) -> Path | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def lint_config(content_path: Path, *, strict: bool = False) -> LintConfig:
    """Read ``ignore``, ``severity`` and ``strict``; unknown codes are an error, not silently ignored."""
    pyproject = find_pyproject(content_path if content_path.is_dir() else content_path.parent)
    section: dict[str, object] = {}
    if pyproject is not None:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        section = data.get("tool", {}).get("diana", {}).get("lint", {})
    ignore = section.get("ignore", [])
    severity = section.get("severity", {})
    if not isinstance(ignore, list) or not isinstance(severity, dict):
        raise ConfigError(f"{pyproject}: [tool.diana.lint] ignore is a list, severity a table")
    for key in [*ignore, *severity]:
        if key not in CODES and key not in BY_NAME:
            raise ConfigError(f"{pyproject}: [tool.diana.lint] names unknown code '{key}'")
    try:
        levels = {(BY_NAME[k].code if k in BY_NAME else k): Severity(str(v)) for k, v in severity.items()}
    except ValueError as exc:
        raise ConfigError(f"{pyproject}: severity must be error, warning or info ({exc})") from exc
    return LintConfig(
        ignore=frozenset(str(k) for k in ignore),
        severity=levels,
        strict=strict or bool(section.get("strict", False)),
    )
