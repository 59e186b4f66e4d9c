"""Ways to show lint findings: for people (rich, with the source line and a caret), for scripts (JSON),
for GitHub code scanning (SARIF 2.1.0) and for workflow annotations (``::error file=...``)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from engine.codes import CODES
from engine.diagnostics import Diagnostic, Severity
from engine.lint import LintReport

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _source_line(root: Path, item: Diagnostic, cache: dict[str, list[str]]) -> str | None:
    if item.line <= 0:
        return None
    if item.file not in cache:
        try:
            cache[item.file] = (root / item.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            cache[item.file] = []
    lines = cache[item.file]
    return lines[item.line - 1] if item.line <= len(lines) else None


def human(report: LintReport, root: Path, console: Console) -> None:
    cache: dict[str, list[str]] = {}
    for item in report.diagnostics:
        where = f"{root / item.file}:{item.line}:{item.column}" if item.line else str(root / item.file)
        style = _STYLE[item.severity]
        console.print(
            f"[bold]{escape(where)}[/]: [{style}]{item.severity.value}[/] "
            f"[dim]{item.code} {item.name}[/]: {escape(item.message)}",
            highlight=False,
        )
        line = _source_line(root, item, cache)
        if line is not None:
            number = str(item.line)
            console.print(f"  [dim]{number} │[/] {escape(line)}", highlight=False)
            pad = " " * (len(number) + 1)
            caret = " " * max(item.column - 1, 0) + "^"
            console.print(f"  {pad}[dim]│[/] [{style}]{caret}[/]", highlight=False)
        if item.hint:
            console.print(f"  [green]hint:[/] {escape(item.hint)}", highlight=False)
    summary = report.summary()
    if not report.diagnostics:
        console.print("[bold green]✓ no problems[/]")
        return
    parts = [f"{summary['errors']} error(s)", f"{summary['warnings']} warning(s)"]
    if summary["infos"]:
        parts.append(f"{summary['infos']} note(s)")
    files = len({d.file for d in report.diagnostics})
    verdict = "[bold red]✗[/]" if report.failed else "[bold yellow]![/]"
    console.print(f"{verdict} {', '.join(parts)} in {files} file(s)")


def as_json(report: LintReport) -> str:
    return json.dumps(
        {
            "diagnostics": [d.to_dict() for d in report.diagnostics],
            "summary": {**report.summary(), "failed": report.failed},
        },
        ensure_ascii=False,
        indent=2,
    )


def github(report: LintReport, root: Path) -> str:
    """GitHub Actions workflow commands, one per finding."""
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for item in report.diagnostics:
        message = item.message + (f" (hint: {item.hint})" if item.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = (root / item.file).as_posix()
        lines.append(
            f"::{level[item.severity]} file={path},line={max(item.line, 1)},"
            f"col={max(item.column, 1)},title={item.code} {item.name}::{message}"
        )
    return "\n".join(lines)


def sarif(report: LintReport, root: Path) -> str:
    """SARIF 2.1.0, the format GitHub code scanning uploads."""
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    used = sorted({d.code for d in report.diagnostics})
    rules = [
        {
            "id": code,
            "name": CODES[code].name,
            "shortDescription": {"text": CODES[code].summary},
            "helpUri": f"docs/lint.md#{code.lower()}",
            "defaultConfiguration": {"level": level[CODES[code].severity]},
        }
        for code in used
    ]
    index = {code: i for i, code in enumerate(used)}
    results = []
    for item in report.diagnostics:
        text = item.message + (f" Hint: {item.hint}" if item.hint else "")
        results.append(
            {
                "ruleId": item.code,
                "ruleIndex": index[item.code],
                "level": level[item.severity],
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": (root / item.file).as_posix()},
                            "region": {
                                "startLine": max(item.line, 1),
                                "startColumn": max(item.column, 1),
                            },
                        }
                    }
                ],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "diana lint",
                        "informationUri": "https://diana.dev/docs/lint",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
