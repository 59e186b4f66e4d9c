"""The tree a condition parses into.

Offsets are excluded from equality and hashing: two trees are equal when they mean the same
condition, which is what round-trip tests, caches and the linter's "same condition" checks want.
Parentheses leave no node; `unparse` puts back the ones the shape needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]
COMPARE_OPS: tuple[CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class StrLit:
    value: str
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class NoneLit:
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Name:
    """A variable or builtin.

    A dotted name other than `bond.<character>` (say `camino.luz`) is kept rather than refused
    by the parser, so the checker can explain it with the declarations at hand.
    """

    name: str
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Bond:
    character: str
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Call:
    """`function('argument')`; the argument keeps its own offsets to point at a bad reference."""

    function: str
    argument: StrLit
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class And:
    """Flat (`a and b and c` is one node) so analyses see the conjuncts side by side."""

    operands: tuple[Expr, ...]
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise ValueError("And needs at least two operands")


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        if len(self.operands) < 2:
            raise ValueError("Or needs at least two operands")


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class In:
    """`operand in [...]`, or `not in` when `negated`: one node, as writers see one test."""

    operand: Expr
    items: tuple[LiteralNode, ...]
    negated: bool = False
    start: int = field(default=0, compare=False, kw_only=True)
    end: int = field(default=0, compare=False, kw_only=True)


LiteralNode: TypeAlias = IntLit | StrLit | BoolLit | NoneLit
Expr: TypeAlias = IntLit | StrLit | BoolLit | NoneLit | Name | Bond | Call | Not | And | Or | Compare | In


def children(node: Expr) -> tuple[Expr, ...]:
    """Direct sub-expressions, for walks that should not repeat the node list."""
    match node:
        case Not(operand=operand):
            return (operand,)
        case And(operands=operands) | Or(operands=operands):
            return operands
        case Compare(left=left, right=right):
            return (left, right)
        case In(operand=operand, items=items):
            return (operand, *items)
        case Call(argument=argument):
            return (argument,)
        case _:
            return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
