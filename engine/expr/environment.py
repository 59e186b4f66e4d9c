"""Everything a condition may name, gathered by the content loader from the story's files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from engine.expr.types import BoolType, EnumType, IntType, StrType, ValueType

BUILTIN_NAMES: Final = ("points", "vip", "streak", "mood")
FUNCTIONS: Final = ("visited", "chose", "chapter_done", "has")
_CALL_EXAMPLES: Final = {
    "visited": "visited('scene')",
    "chose": "chose('scene.choice_id')",
    "chapter_done": "chapter_done('chapter')",
    "has": "has('achievement')",
}


@dataclass(frozen=True, slots=True)
class Environment:
    """Scenes are "chapter.scene" and choices "chapter.scene.choice_id": the checker qualifies
    every reference before looking it up, so one spelling is enough."""

    variables: Mapping[str, IntType | BoolType | StrType | EnumType] = field(default_factory=dict)
    characters: Mapping[str, IntType] = field(default_factory=dict)
    moods: tuple[str, ...] = ()
    scenes: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()
    chapters: frozenset[str] = frozenset()
    achievements: frozenset[str] = frozenset()

    def builtin(self, name: str) -> ValueType | None:
        """Builtins win over variables: a story cannot redefine what `points` means."""
        match name:
            case "points" | "streak":
                return IntType(0, None)
            case "vip":
                return BoolType()
            case "mood":
                return EnumType(self.moods, nullable=True)
            case _:
                return None


def call_example(function: str) -> str:
    """How a call is written, for hints that show the writer the expected shape."""
    return _CALL_EXAMPLES.get(function, f"{function}('...')")
