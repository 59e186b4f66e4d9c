"""Type checking and name resolution: is this a condition, and does everything it names exist?

The checker reports every problem it can find in one pass (a writer fixes them all at once),
but after the first problem in a sub-expression it treats that sub-expression as unknown, so
one typo yields one message rather than a cascade.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.expr.ast import (
    And,
    Bond,
    BoolLit,
    Call,
    Compare,
    Expr,
    In,
    IntLit,
    LiteralNode,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
)
from engine.expr.environment import FUNCTIONS, Environment, call_example
from engine.expr.issues import (
    NOT_A_CONDITION,
    TYPE_MISMATCH,
    UNDECLARED_NAME,
    UNKNOWN_ENUM_VALUE,
    ExprIssue,
    ExprSyntaxError,
)
from engine.expr.parser import parse
from engine.expr.qualify import resolve_call
from engine.expr.types import BoolType, EnumType, IntType, StrType, ValueType
from engine.expr.unparse import unparse
from engine.expr.wording import (
    NONE_VALUE,
    Known,
    NoneValue,
    closest,
    compare_hint,
    did_you_mean,
    kind,
    show,
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """`tree` is the qualified tree, present only when there are no issues, so that whatever
    gets compiled has been checked; `type` is the whole expression's type when it is known."""

    tree: Expr | None
    type: ValueType | None
    issues: tuple[ExprIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.issues


def check(tree: Expr, env: Environment, chapter: str | None) -> CheckResult:
    checker = _Checker(env, chapter)
    checked, known = checker.visit(tree)
    if known is not None and not isinstance(known, BoolType):
        checker.report(
            NOT_A_CONDITION,
            tree,
            (
                f"{show(tree)} on its own is not a true/false condition."
                if isinstance(known, NoneValue)
                else f"{show(tree)} is {kind(known)}, not a true/false condition."
            ),
            compare_hint(tree, known),
        )
    issues = tuple(sorted(checker.issues, key=lambda issue: (issue.start, issue.end)))
    value_type = None if isinstance(known, NoneValue) else known
    return CheckResult(None if issues else checked, value_type, issues)


def check_source(source: str, env: Environment, chapter: str | None) -> CheckResult:
    """Parse and check; a syntax error becomes the single issue instead of an exception."""
    try:
        tree = parse(source)
    except ExprSyntaxError as error:
        return CheckResult(None, None, (error.issue,))
    return check(tree, env, chapter)


class _Checker:
    def __init__(self, env: Environment, chapter: str | None) -> None:
        self.env = env
        self.chapter = chapter
        self.issues: list[ExprIssue] = []

    def report(self, code: str, node: Expr, message: str, hint: str | None) -> None:
        self.issues.append(ExprIssue(code, message, node.start, node.end, hint))

    def visit(self, node: Expr) -> tuple[Expr, Known]:
        match node:
            case IntLit(value=value):
                return node, IntType(value, value)
            case StrLit():
                return node, StrType()
            case BoolLit():
                return node, BoolType()
            case NoneLit():
                return node, NONE_VALUE
            case Name():
                return node, self.name(node)
            case Bond():
                return node, self.bond(node)
            case Call():
                resolved, issue = resolve_call(node, self.env, self.chapter)
                if issue is not None:
                    self.issues.append(issue)
                return resolved, BoolType()
            case Not(operand=operand):
                checked, known = self.visit(operand)
                self.require_condition(checked, known, "not")
                return Not(checked, start=node.start, end=node.end), BoolType()
            case And(operands=operands):
                return And(self.conditions(operands, "and"), start=node.start, end=node.end), BoolType()
            case Or(operands=operands):
                return Or(self.conditions(operands, "or"), start=node.start, end=node.end), BoolType()
            case Compare(op=op, left=left, right=right):
                left, left_known = self.visit(left)
                right, right_known = self.visit(right)
                checked_compare = Compare(op, left, right, start=node.start, end=node.end)
                self.comparison(checked_compare, left_known, right_known)
                return checked_compare, BoolType()
            case In(operand=operand, items=items, negated=negated):
                checked, known = self.visit(operand)
                self.membership(checked, known, items)
                return In(checked, items, negated, start=node.start, end=node.end), BoolType()

    # -- names --------------------------------------------------------------------------------

    def name(self, node: Name) -> Known:
        builtin = self.env.builtin(node.name)
        if builtin is not None:
            return builtin
        declared = self.env.variables.get(node.name)
        if declared is not None:
            return declared
        message, hint = self.undeclared(node.name)
        self.report(UNDECLARED_NAME, node, message, hint)
        return None

    def undeclared(self, name: str) -> tuple[str, str]:
        characters = sorted(self.env.characters)
        if name == "bond":
            example = characters[0] if characters else "diana"
            return (
                "'bond' needs a character after it.",
                f"write bond.<character>, e.g. bond.{example}",
            )
        if name in FUNCTIONS:
            return (
                f"'{name}' is a function, so it needs an argument in quotes.",
                f"write {call_example(name)}",
            )
        if name in ("null", "nil", "nothing"):
            return f"'{name}' is not a declared variable.", "write none"
        if "." in name:
            base, _, attribute = name.partition(".")
            declared = self.env.variables.get(base)
            hint = did_you_mean(name, (f"bond.{c}" for c in characters))
            if isinstance(declared, EnumType) and attribute in declared.values:
                hint = f"to test its value, write {base} == '{attribute}'"
            return (
                f"'{name}' is not a name, because only bond.<character> may contain a dot.",
                hint or "only bond.<character> has a dot, e.g. bond.diana",
            )
        candidates = [*self.env.variables, "points", "vip", "streak", "mood"]
        candidates += [f"bond.{c}" for c in characters]
        hint = did_you_mean(name, candidates)
        return (
            f"'{name}' is not a declared variable.",
            hint or "declare it under variables: in story.yaml",
        )

    def bond(self, node: Bond) -> Known:
        declared = self.env.characters.get(node.character)
        if declared is not None:
            return declared
        match = closest(node.character, self.env.characters)
        hint = f"did you mean 'bond.{match}'?" if match else None
        self.report(
            UNDECLARED_NAME,
            node,
            f"'{node.character}' is not a character, so {show(node)} has no value.",
            hint or "declare the character in characters.yaml",
        )
        return None

    # -- boolean structure --------------------------------------------------------------------

    def conditions(self, operands: tuple[Expr, ...], word: str) -> tuple[Expr, ...]:
        checked_operands: list[Expr] = []
        for operand in operands:
            checked, known = self.visit(operand)
            self.require_condition(checked, known, word)
            checked_operands.append(checked)
        return tuple(checked_operands)

    def require_condition(self, node: Expr, known: Known, word: str) -> None:
        if known is None or isinstance(known, BoolType):
            return
        self.report(
            TYPE_MISMATCH,
            node,
            f"{show(node)} is {kind(known)}, but {word} needs a true/false condition.",
            compare_hint(node, known),
        )

    # -- comparisons --------------------------------------------------------------------------

    def comparison(self, node: Compare, left: Known, right: Known) -> None:
        if left is None or right is None:
            return
        if node.op not in ("==", "!="):
            for side, known in ((node.left, left), (node.right, right)):
                if not isinstance(known, IntType):
                    self.report(
                        TYPE_MISMATCH,
                        node,
                        f"'{node.op}' only compares numbers, but {show(side)} is {kind(known)}.",
                        _ordering_hint(known),
                    )
                    return
            return
        self.equality(node.left, left, node.right, right, node)

    def equality(
        self,
        a: Expr,
        a_known: ValueType | NoneValue,
        b: Expr,
        b_known: ValueType | NoneValue,
        at: Expr,
    ) -> None:
        """Can `a == b` hold? Reported at `at`: the comparison, or the list item for `in`."""
        if isinstance(a_known, NoneValue) or isinstance(b_known, NoneValue):
            other, other_known = (b, b_known) if isinstance(a_known, NoneValue) else (a, a_known)
            if not (isinstance(other_known, EnumType) and other_known.nullable):
                self.report(
                    TYPE_MISMATCH,
                    at,
                    f"Only mood can be compared with none, not {show(other)}.",
                    "none is the value of mood before any mood was detected",
                )
            return
        if isinstance(a_known, EnumType):
            self.enum_equality(a, a_known, b, b_known, at)
        elif isinstance(b_known, EnumType):
            self.enum_equality(b, b_known, a, a_known, at)
        elif type(a_known) is not type(b_known):
            self.mismatch(a, a_known, b, b_known, at)

    def enum_equality(
        self, enum_side: Expr, enum_known: EnumType, other: Expr, other_known: ValueType, at: Expr
    ) -> None:
        if isinstance(other_known, EnumType):
            if set(other_known.values) != set(enum_known.values):
                self.report(
                    TYPE_MISMATCH,
                    at,
                    f"{show(enum_side)} and {show(other)} can never be equal, because their values differ.",
                    "compare each of them with a value instead",
                )
            return
        if not isinstance(other, StrLit):
            self.mismatch(enum_side, enum_known, other, other_known, at)
            return
        if other.value in enum_known.values:
            return
        subject = unparse(enum_side)
        if enum_known.nullable and subject == "mood":
            message = f"{show(other)} is not a declared mood."
            fallback = "the moods are " + ", ".join(enum_known.values) if enum_known.values else None
            fallback = fallback or "declare the moods in moods.yaml"
        else:
            message = f"{show(other)} is not one of the values of {show(enum_side)}."
            fallback = f"{subject} can be " + ", ".join(enum_known.values)
        hint = did_you_mean(other.value, enum_known.values) or fallback
        self.report(UNKNOWN_ENUM_VALUE, other, message, hint)

    def mismatch(
        self,
        a: Expr,
        a_known: ValueType | NoneValue,
        b: Expr,
        b_known: ValueType | NoneValue,
        at: Expr,
    ) -> None:
        self.report(
            TYPE_MISMATCH,
            at,
            f"{show(a)} is {kind(a_known)} and cannot be compared with {show(b)}, which is {kind(b_known)}.",
            _mismatch_hint(b) or _mismatch_hint(a) or "compare values of the same kind",
        )

    def membership(self, operand: Expr, known: Known, items: tuple[LiteralNode, ...]) -> None:
        if known is None:
            return
        if isinstance(known, NoneValue):
            self.report(
                TYPE_MISMATCH,
                operand,
                "none cannot be looked up in a list.",
                "put a name before in, e.g. mood in ['alegre', 'triste']",
            )
            return
        for item in items:
            _, item_known = self.visit(item)
            if item_known is not None:
                self.equality(operand, known, item, item_known, item)


def _ordering_hint(known: ValueType | NoneValue) -> str:
    if isinstance(known, NoneValue):
        return "only mood can be compared with none, using == or !="
    if isinstance(known, BoolType):
        return "use == or !=, or the condition itself (vip, not vip)"
    return "use == or != instead"


def _mismatch_hint(node: Expr) -> str | None:
    """A fix for the commonest cause: a literal with quotes it should not have, or without."""
    match node:
        case StrLit(value=value) if value.lstrip("-").isdigit():
            return f"remove the quotes: {value}"
        case StrLit(value="true" | "false" as value):
            return f"remove the quotes: {value}"
        case IntLit(value=value):
            return f"put the value in quotes: '{value}'"
        case BoolLit(value=value):
            return f"put the value in quotes: '{'true' if value else 'false'}'"
    return None
