"""Canonical source text of a tree.

Used to show writers a normalised condition and to name sub-expressions in messages, so it
emits the fewest parentheses that keep the tree's shape: `parse(unparse(t)) == t`.
"""

from __future__ import annotations

from engine.expr.ast import (
    And,
    Bond,
    BoolLit,
    Call,
    Compare,
    Expr,
    In,
    IntLit,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
)

# Binding strength of what a node prints as; an operand that binds looser than its slot allows
# is wrapped in parentheses.
_OR, _AND, _NOT, _COMPARISON, _OPERAND = range(5)


def quote(text: str) -> str:
    """Single-quoted, escaping only what the lexer requires."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _strength(node: Expr) -> int:
    match node:
        case Or():
            return _OR
        case And():
            return _AND
        case Not():
            return _NOT
        case Compare() | In():
            return _COMPARISON
        case _:
            return _OPERAND


def _wrapped(node: Expr, least: int) -> str:
    text = unparse(node)
    return f"({text})" if _strength(node) < least else text


def unparse(tree: Expr) -> str:
    match tree:
        case IntLit(value=value):
            return str(value)
        case StrLit(value=value):
            return quote(value)
        case BoolLit(value=value):
            return "true" if value else "false"
        case NoneLit():
            return "none"
        case Name(name=name):
            return name
        case Bond(character=character):
            return f"bond.{character}"
        case Call(function=function, argument=argument):
            return f"{function}({quote(argument.value)})"
        case Not(operand=operand):
            # `not not x` needs no parentheses: not_expr := 'not' not_expr.
            return "not " + _wrapped(operand, _NOT)
        case And(operands=operands):
            # A nested And is parenthesised so it stays a separate node.
            return " and ".join(_wrapped(item, _NOT) for item in operands)
        case Or(operands=operands):
            return " or ".join(_wrapped(item, _AND) for item in operands)
        case Compare(op=op, left=left, right=right):
            return f"{_wrapped(left, _OPERAND)} {op} {_wrapped(right, _OPERAND)}"
        case In(operand=operand, items=items, negated=negated):
            keyword = "not in" if negated else "in"
            listed = ", ".join(unparse(item) for item in items)
            return f"{_wrapped(operand, _OPERAND)} {keyword} [{listed}]"
