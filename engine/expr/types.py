"""What a name or sub-expression can hold, as the checker sees it.

Int ranges ride along unused here: the linter reasons with them (a condition that can never be
true), so the environment that built them should not have to carry them twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class IntType:
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class BoolType:
    pass


@dataclass(frozen=True, slots=True)
class StrType:
    pass


@dataclass(frozen=True, slots=True)
class EnumType:
    """A closed set of ids; `nullable` lets `none` stand for "not yet known" (the mood)."""

    values: tuple[str, ...]
    nullable: bool = False


ValueType: TypeAlias = IntType | BoolType | StrType | EnumType
