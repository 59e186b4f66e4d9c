"""How messages name things for writers: nodes as they would type them, types in plain words,
and "did you mean" suggestions.

Kept apart from the checker so every message uses the same words for the same thing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from engine.expr.ast import Bond, BoolLit, Call, Expr, IntLit, Name, NoneLit, StrLit
from engine.expr.types import BoolType, EnumType, IntType, StrType, ValueType
from engine.expr.unparse import unparse


class NoneValue:
    """The type of the `none` literal, which is no value type: only `mood` can meet it."""

    def __repr__(self) -> str:
        return "NoneValue()"


NONE_VALUE = NoneValue()

# What the checker knows about a sub-expression: a value type, `none`, or None when an error
# was already reported and further complaints would only repeat it.
Known = ValueType | NoneValue | None


def show(node: Expr) -> str:
    """The node as written, quoted where a bare word would be confusing inside a sentence."""
    if isinstance(node, StrLit | IntLit | BoolLit | NoneLit | Call):
        return unparse(node)
    return f"'{unparse(node)}'"


def kind(known: ValueType | NoneValue) -> str:
    match known:
        case IntType():
            return "a number"
        case BoolType():
            return "true or false"
        case StrType():
            return "text"
        case EnumType(values=values, nullable=True):
            return "a mood or none" if values else "none (no moods are declared)"
        case EnumType(values=values):
            return "one of " + ", ".join(values)
        case NoneValue():
            return "none"


def closest(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else None


def compare_hint(node: Expr, known: ValueType | NoneValue) -> str:
    """A way to turn a non-boolean into a condition, in the writer's own words where possible."""
    subject = unparse(node) if isinstance(node, Name | Bond) else None
    match known:
        case IntType():
            return f"compare it, e.g. {subject or 'confianza'} > 0"
        case EnumType(values=values, nullable=nullable):
            value = f"'{values[0]}'" if values else "none"
            if nullable and subject == "mood":
                return f"compare it, e.g. mood == {value} or mood != none"
            return f"compare it, e.g. {subject or 'camino'} == {value}"
        case StrType():
            return f"compare it, e.g. {subject or 'apodo'} != ''"
        case NoneValue():
            return "compare mood with it, e.g. mood == none"
        case BoolType():
            return "it is already a condition"
