"""Problems found in a condition, worded for the writer who typed it.

Offsets rather than line/column: an expression lives inside a YAML scalar, and only the content
loader knows where that scalar starts, so it adds these offsets to its own position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SYNTAX: Final = "D401"
UNDECLARED_NAME: Final = "D402"
TYPE_MISMATCH: Final = "D403"
UNKNOWN_ENUM_VALUE: Final = "D404"
UNKNOWN_REFERENCE: Final = "D405"
NOT_A_CONDITION: Final = "D406"
UNKNOWN_FUNCTION: Final = "D407"

# Kept in step with engine/codes.py, which owns the project-wide table; duplicated here so the
# pure expression package depends on nothing else in the engine.
CODE_NAMES: Final[dict[str, str]] = {
    SYNTAX: "expr-syntax",
    UNDECLARED_NAME: "undeclared-name",
    TYPE_MISMATCH: "type-mismatch",
    UNKNOWN_ENUM_VALUE: "unknown-enum-value",
    UNKNOWN_REFERENCE: "unknown-reference",
    NOT_A_CONDITION: "not-a-condition",
    UNKNOWN_FUNCTION: "unknown-function",
}


@dataclass(frozen=True, slots=True)
class ExprIssue:
    """One finding; `start`/`end` are 0-based offsets into the expression, end exclusive."""

    code: str
    message: str
    start: int
    end: int
    hint: str | None = None

    @property
    def name(self) -> str:
        return CODE_NAMES.get(self.code, "")


class ExprSyntaxError(ValueError):
    """Raised by `parse`, carrying the issue so callers can report it like any other finding."""

    def __init__(self, issue: ExprIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue
