"""How a command reports: ``--format human|json``, and the one-line error that ends a command.

Every command that reports or lists takes ``--format`` with these two values; every command that cannot
do its work says why in one ``diana: ...`` line on stderr and exits with a code (2: it could not run,
1: it ran and the subject is wrong). The message is printed as text, never as rich markup, so a path
or an error from a library that contains ``[brackets]`` is shown as it is.
"""

from __future__ import annotations

from enum import Enum

import typer
from rich.console import Console
from rich.markup import escape

# Not wrapped: an error line stays one line in CI logs and pipes.
_errors = Console(stderr=True, soft_wrap=True)


class ReportFormat(str, Enum):
    human = "human"
    json = "json"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``diana: message`` on stderr; the Exit to raise (``raise fail(...)``)."""
    _errors.print(f"[bold red]diana:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)
