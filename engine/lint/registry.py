"""Checks register themselves here; the runner runs them all in a stable order.

A registry (rather than one big function) lets each check live in its own module with its own tests,
and lets later analyses (graph, softlocks, economy) plug in without touching the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.diagnostics import Diagnostic

if TYPE_CHECKING:
    from engine.content.project import Project

CheckFn = Callable[["Project"], Iterable[Diagnostic]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    codes: tuple[str, ...]
    run: CheckFn
    order: int


_CHECKS: dict[str, Check] = {}


def check(name: str, *codes: str, order: int = 100) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the check ``name``, declaring the codes it may report."""

    def register(fn: CheckFn) -> CheckFn:
        _CHECKS[name] = Check(name, codes, fn, order)
        return fn

    return register


def all_checks() -> list[Check]:
    # Importing the package registers every built-in check module.
    import engine.lint.checks  # noqa: F401

    return sorted(_CHECKS.values(), key=lambda c: (c.order, c.name))
