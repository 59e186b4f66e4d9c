"""Findings about a writer's content, each pointing into the writer's own file.

Every layer that can find a problem (YAML reader, schema check, expression checker, lint checks) reports a
:class:`Diagnostic`, so the CLI, the publisher and the tests all speak one language about mistakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


class Loc(NamedTuple):
    """A position in a content file: path relative to the content root, 1-based line and column.

    A named tuple (immutable, ordered and hashed by file, line, column) rather than a frozen dataclass:
    the YAML reader makes one per node, millions for a 100k-scene story, and a tuple is made in less
    than half the time.
    """

    file: str
    line: int = 0
    column: int = 0

    def shifted(self, columns: int) -> Loc:
        return Loc(self.file, self.line, self.column + columns)

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    loc: Loc
    message: str
    hint: str | None = None
    name: str = ""
    related: tuple[Loc, ...] = field(default=())

    @property
    def file(self) -> str:
        return self.loc.file

    @property
    def line(self) -> int:
        return self.loc.line

    @property
    def column(self) -> int:
        return self.loc.column

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.loc.file, self.loc.line, self.loc.column, self.severity.rank, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "file": self.loc.file,
            "line": self.loc.line,
            "column": self.loc.column,
            "message": self.message,
            "hint": self.hint,
        }


class ContentError(Exception):
    """Raised where content cannot be used at all (e.g. compiling a tree that has errors)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        summary = f"{first.loc}: {first.message}" if first else "invalid content"
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(summary + more)
