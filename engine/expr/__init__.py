"""The condition language: parse, check and evaluate the expressions writers put in `if:`,
`requires:`, `unlock:` and `when:`, without ever handing their text to Python's `eval`."""

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
    LiteralNode,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
    children,
    walk,
)
from engine.expr.checker import CheckResult, check, check_source
from engine.expr.environment import BUILTIN_NAMES, FUNCTIONS, Environment
from engine.expr.evaluate import Compiled, compile_expr, evaluate
from engine.expr.facts import Facts
from engine.expr.issues import CODE_NAMES, ExprIssue, ExprSyntaxError
from engine.expr.parser import parse
from engine.expr.references import References, references
from engine.expr.types import BoolType, EnumType, IntType, StrType, ValueType
from engine.expr.unparse import unparse

__all__ = [
    "BUILTIN_NAMES",
    "CODE_NAMES",
    "FUNCTIONS",
    "And",
    "Bond",
    "BoolLit",
    "BoolType",
    "Call",
    "CheckResult",
    "Compare",
    "CompareOp",
    "Compiled",
    "EnumType",
    "Environment",
    "Expr",
    "ExprIssue",
    "ExprSyntaxError",
    "Facts",
    "In",
    "IntLit",
    "IntType",
    "LiteralNode",
    "Name",
    "NoneLit",
    "Not",
    "Or",
    "References",
    "StrLit",
    "StrType",
    "ValueType",
    "check",
    "check_source",
    "children",
    "compile_expr",
    "evaluate",
    "parse",
    "references",
    "unparse",
    "walk",
]
