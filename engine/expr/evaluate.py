"""Turn a checked tree into nested closures, once, so evaluating a condition is a few calls.

Conditions are evaluated on every scene a player sees (choice filters, auto-advance routes,
achievement triggers after each state change); walking the tree each time would redo the same
dispatch on every call. Readers of facts are `operator.attrgetter`/`methodcaller` objects,
which run in C, and comparisons against a literal capture the literal instead of calling for it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from engine.expr.ast import (
    And,
    Bond,
    BoolLit,
    Call,
    Compare,
    CompareOp,
    Expr,
    In,
    IntLit,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
)
from engine.expr.environment import BUILTIN_NAMES, FUNCTIONS
from engine.expr.facts import Facts

Compiled = Callable[[Facts], object]

_OPERATORS: Final[dict[CompareOp, Callable[[Any, Any], bool]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

_LITERALS: Final = (IntLit, StrLit, BoolLit, NoneLit)


def _literal_value(node: Expr) -> int | str | bool | None:
    match node:
        case IntLit(value=value) | StrLit(value=value) | BoolLit(value=value):
            return value
        case _:
            return None


def compile_expr(tree: Expr) -> Compiled:
    """A function of the player's facts; `tree` must come from `check` (arguments qualified)."""
    match tree:
        case IntLit() | StrLit() | BoolLit() | NoneLit():
            value = _literal_value(tree)
            return lambda facts: value
        case Name(name=name):
            if name in BUILTIN_NAMES:
                return operator.attrgetter(name)
            return operator.methodcaller("variable", name)
        case Bond(character=character):
            return operator.methodcaller("bond", character)
        case Call(function=function, argument=argument):
            if function not in FUNCTIONS:
                raise ValueError(f"cannot compile unchecked call {function!r}")
            return operator.methodcaller(function, argument.value)
        case Not(operand=operand):
            inner = compile_expr(operand)
            return lambda facts: not inner(facts)
        case And(operands=operands):
            return _all([compile_expr(item) for item in operands])
        case Or(operands=operands):
            return _any([compile_expr(item) for item in operands])
        case Compare():
            return _compare(tree)
        case In(operand=operand, items=items, negated=negated):
            read = compile_expr(operand)
            values = frozenset(_literal_value(item) for item in items)
            if negated:
                return lambda facts: read(facts) not in values
            return lambda facts: read(facts) in values


def _compare(node: Compare) -> Compiled:
    compare = _OPERATORS[node.op]
    if isinstance(node.right, _LITERALS):
        read = compile_expr(node.left)
        constant = _literal_value(node.right)
        return lambda facts: compare(read(facts), constant)
    if isinstance(node.left, _LITERALS):
        read = compile_expr(node.right)
        constant = _literal_value(node.left)
        return lambda facts: compare(constant, read(facts))
    left = compile_expr(node.left)
    right = compile_expr(node.right)
    return lambda facts: compare(left(facts), right(facts))


def _all(parts: list[Compiled]) -> Compiled:
    if len(parts) == 2:
        first, second = parts
        return lambda facts: first(facts) and second(facts)
    if len(parts) == 3:
        first, second, third = parts
        return lambda facts: first(facts) and second(facts) and third(facts)

    def every(facts: Facts) -> object:
        result: object = True
        for part in parts:
            result = part(facts)
            if not result:
                return result
        return result

    return every


def _any(parts: list[Compiled]) -> Compiled:
    if len(parts) == 2:
        first, second = parts
        return lambda facts: first(facts) or second(facts)
    if len(parts) == 3:
        first, second, third = parts
        return lambda facts: first(facts) or second(facts) or third(facts)

    def some(facts: Facts) -> object:
        result: object = False
        for part in parts:
            result = part(facts)
            if result:
                return result
        return result

    return some


def evaluate(tree: Expr, facts: Facts) -> object:
    """One-off evaluation; code that evaluates a condition repeatedly should keep `compile_expr`'s
    result instead."""
    return compile_expr(tree)(facts)
