"""What a condition reads, for the linter's cross-file analyses (variables never read, scenes
a condition waits for, achievements that gate a path) without each analysis walking trees."""

from __future__ import annotations

from dataclasses import dataclass

from engine.expr.ast import Bond, Call, Expr, Name, walk
from engine.expr.environment import BUILTIN_NAMES


@dataclass(frozen=True, slots=True)
class References:
    """Call arguments are as they appear in the tree: qualified when the tree came from `check`."""

    variables: frozenset[str] = frozenset()
    builtins: frozenset[str] = frozenset()
    bonds: frozenset[str] = frozenset()
    scenes: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()
    chapters: frozenset[str] = frozenset()
    achievements: frozenset[str] = frozenset()


_CALL_BUCKETS = {
    "visited": "scenes",
    "chose": "choices",
    "chapter_done": "chapters",
    "has": "achievements",
}


def references(tree: Expr) -> References:
    found: dict[str, set[str]] = {
        bucket: set() for bucket in ("variables", "builtins", "bonds", *_CALL_BUCKETS.values())
    }
    for node in walk(tree):
        match node:
            case Name(name=name):
                found["builtins" if name in BUILTIN_NAMES else "variables"].add(name)
            case Bond(character=character):
                found["bonds"].add(character)
            case Call(function=function, argument=argument) if function in _CALL_BUCKETS:
                found[_CALL_BUCKETS[function]].add(argument.value)
    return References(
        variables=frozenset(found["variables"]),
        builtins=frozenset(found["builtins"]),
        bonds=frozenset(found["bonds"]),
        scenes=frozenset(found["scenes"]),
        choices=frozenset(found["choices"]),
        chapters=frozenset(found["chapters"]),
        achievements=frozenset(found["achievements"]),
    )
