"""Recursive-descent parser: source text to tree, or one syntax issue.

Each rule records where it started so a node's span covers its whole source text, including
the parentheses around its operands; a parenthesised node keeps the span of its inside.
Only the first syntax error is reported: after one, the rest of the text has no reliable shape.
"""

from __future__ import annotations

from typing import Final

from engine.expr.ast import (
    COMPARE_OPS,
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
)
from engine.expr.environment import FUNCTIONS, call_example
from engine.expr.issues import SYNTAX, ExprIssue, ExprSyntaxError
from engine.expr.lexer import Token, TokenKind, tokenize

# Far deeper than any hand-written condition, and well inside Python's recursion limit.
MAX_NESTING: Final = 64

_CHAIN_HINT: Final = (
    "compare two values at a time and join the comparisons with and, e.g. 1 < confianza and confianza < 5"
)
_JOIN_HINT: Final = "join two conditions with and / or"


def _show(token: Token) -> str:
    if token.kind is TokenKind.END:
        return "the end of the condition"
    if token.kind is TokenKind.STRING:
        return token.text
    return f"'{token.text}'"


def _starts_literal(token: Token) -> bool:
    if token.kind in (TokenKind.INT, TokenKind.STRING):
        return True
    return token.kind is TokenKind.KEYWORD and token.text in ("true", "false", "none")


def _as_compare_op(text: str) -> CompareOp:
    for op in COMPARE_OPS:
        if op == text:
            return op
    raise AssertionError(f"lexer produced unknown comparison {text!r}")


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # -- token access -------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    @property
    def previous(self) -> Token:
        return self.tokens[self.index - 1]

    def error(self, message: str, start: int, end: int, hint: str | None) -> ExprSyntaxError:
        return ExprSyntaxError(ExprIssue(SYNTAX, message, start, end, hint))

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f"The condition nests too deeply at {_show(token)}.",
                token.start,
                token.end,
                "split it into simpler conditions",
            )

    # -- grammar ------------------------------------------------------------------------------

    def parse(self) -> Expr:
        if self.peek().kind is TokenKind.END:
            raise self.error(
                "The condition is empty.",
                0,
                len(self.source),
                "write a condition, e.g. confianza >= 3",
            )
        tree = self.or_expr()
        if self.peek().kind is not TokenKind.END:
            raise self.unexpected_after()
        return tree

    def or_expr(self) -> Expr:
        start = self.peek().start
        operands = [self.and_expr()]
        while self.peek().is_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        if len(operands) == 1:
            return operands[0]
        return Or(tuple(operands), start=start, end=self.previous.end)

    def and_expr(self) -> Expr:
        start = self.peek().start
        operands = [self.not_expr()]
        while self.peek().is_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        if len(operands) == 1:
            return operands[0]
        return And(tuple(operands), start=start, end=self.previous.end)

    def not_expr(self) -> Expr:
        token = self.peek()
        if not token.is_keyword("not"):
            return self.comparison()
        self.enter(token)
        self.advance()
        operand = self.not_expr()
        self.depth -= 1
        return Not(operand, start=token.start, end=self.previous.end)

    def comparison(self) -> Expr:
        start = self.peek().start
        left = self.operand()
        token = self.peek()
        node: Expr
        if token.kind is TokenKind.COMPARE:
            self.advance()
            right = self.operand()
            node = Compare(_as_compare_op(token.text), left, right, start=start, end=self.previous.end)
        elif token.is_keyword("in"):
            self.advance()
            items = self.literal_list(token)
            node = In(left, items, negated=False, start=start, end=self.previous.end)
        elif token.is_keyword("not") and self.peek(1).is_keyword("in"):
            self.advance()
            in_token = self.advance()
            items = self.literal_list(in_token)
            node = In(left, items, negated=True, start=start, end=self.previous.end)
        else:
            return left
        self.refuse_chain(node)
        return node

    def refuse_chain(self, node: Expr) -> None:
        token = self.peek()
        end = token.end
        if token.is_keyword("not") and self.peek(1).is_keyword("in"):
            end = self.peek(1).end
        elif token.kind is not TokenKind.COMPARE and not token.is_keyword("in"):
            return
        written = self.source[node.start : node.end]
        raise self.error(
            f"Comparisons cannot be chained, but '{self.source[token.start : end]}' "
            f"follows the comparison '{written}'.",
            token.start,
            end,
            _CHAIN_HINT,
        )

    def operand(self) -> Expr:
        token = self.peek()
        match token.kind:
            case _ if _starts_literal(token):
                return self.literal()
            case TokenKind.NAME:
                return self.name_or_call()
            case TokenKind.LPAREN:
                return self.group()
            case _:
                raise self.expected_value()

    def group(self) -> Expr:
        opening = self.advance()
        self.enter(opening)
        inner = self.or_expr()
        self.depth -= 1
        if self.peek().kind is TokenKind.RPAREN:
            self.advance()
            return inner
        if self.peek().kind is TokenKind.END:
            raise self.error(
                "The '(' is never closed.",
                opening.start,
                opening.end,
                "add a ')' where the group ends",
            )
        raise self.unexpected_after()

    def literal(self) -> LiteralNode:
        token = self.advance()
        span = {"start": token.start, "end": token.end}
        match token.kind, token.value:
            case TokenKind.INT, int(number):
                return IntLit(number, **span)
            case TokenKind.STRING, str(text):
                return StrLit(text, **span)
            case _ if token.text == "none":
                return NoneLit(**span)
            case _:
                return BoolLit(token.text == "true", **span)

    def name_or_call(self) -> Expr:
        first = self.advance()
        if self.peek().kind is TokenKind.LPAREN:
            return self.call(first)
        if self.peek().kind is not TokenKind.DOT:
            return Name(first.text, start=first.start, end=first.end)
        dot = self.advance()
        attribute = self.peek()
        if attribute.kind not in (TokenKind.NAME, TokenKind.KEYWORD):
            raise self.expected_after_dot(first, dot, attribute)
        self.advance()
        if self.peek().kind is TokenKind.DOT:
            extra = self.peek()
            raise self.error(
                f"Unexpected '.' after '{first.text}.{attribute.text}'.",
                extra.start,
                extra.end,
                "only bond.<character> has a dot, e.g. bond.diana",
            )
        if first.text == "bond":
            return Bond(attribute.text, start=first.start, end=attribute.end)
        return Name(f"{first.text}.{attribute.text}", start=first.start, end=attribute.end)

    def expected_after_dot(self, first: Token, dot: Token, found: Token) -> ExprSyntaxError:
        hint = (
            "write bond.<character>, e.g. bond.diana"
            if first.text == "bond"
            else "only bond.<character> has a dot, e.g. bond.diana"
        )
        if found.kind is TokenKind.END:
            return self.error(
                f"The condition ends right after '{first.text}.', where a name is expected.",
                first.start,
                dot.end,
                hint,
            )
        return self.error(
            f"Expected a name after '{first.text}.' but found {_show(found)}.",
            found.start,
            found.end,
            hint,
        )

    def call(self, function: Token) -> Call:
        opening = self.advance()
        argument = self.peek()
        example = call_example(function.text)
        if argument.kind is not TokenKind.STRING and function.text not in FUNCTIONS:
            # Not a call the writer could have meant (that would be `visit('x')`, which the
            # checker answers with "did you mean visited"): point at the parenthesis instead.
            raise self.error(
                f"Unexpected '(' after '{function.text}'.",
                opening.start,
                opening.end,
                "only visited, chose, chapter_done and has take ( )",
            )
        if argument.kind is TokenKind.END:
            raise self.error(
                f"The '(' after {function.text} is never closed.",
                opening.start,
                opening.end,
                f"write {example}",
            )
        if argument.kind is TokenKind.RPAREN:
            raise self.error(
                f"{function.text}() needs one argument in quotes.",
                function.start,
                argument.end,
                f"write {example}",
            )
        if argument.kind in (TokenKind.NAME, TokenKind.KEYWORD, TokenKind.INT, TokenKind.DOT):
            raise self.unquoted_argument(function)
        if argument.kind is not TokenKind.STRING:
            raise self.error(
                f"Unexpected {_show(argument)} where the argument of {function.text}(...) was expected.",
                argument.start,
                argument.end,
                f"write {example}",
            )
        self.advance()
        closing = self.peek()
        if closing.kind is TokenKind.RPAREN:
            self.advance()
            literal = StrLit(str(argument.value), start=argument.start, end=argument.end)
            return Call(function.text, literal, start=function.start, end=closing.end)
        if closing.kind is TokenKind.COMMA:
            raise self.error(
                f"{function.text}(...) takes exactly one argument, but a ',' follows the first.",
                closing.start,
                closing.end,
                f"name one thing per call and join calls with and / or, e.g. {example} or {example}",
            )
        if closing.kind is TokenKind.END:
            raise self.error(
                f"The '(' after {function.text} is never closed.",
                opening.start,
                opening.end,
                f"add ')' after {argument.text}",
            )
        raise self.error(
            f"Expected ')' after {argument.text} but found {_show(closing)}.",
            closing.start,
            closing.end,
            f"write {function.text}({argument.text})",
        )

    def unquoted_argument(self, function: Token) -> ExprSyntaxError:
        first = self.peek()
        words = (TokenKind.NAME, TokenKind.KEYWORD, TokenKind.INT, TokenKind.DOT)
        last = first
        ahead = 0
        while self.peek(ahead).kind in words:
            last = self.peek(ahead)
            ahead += 1
        written = self.source[first.start : last.end]
        return self.error(
            f"The argument {written} of {function.text}(...) must be in quotes.",
            first.start,
            last.end,
            f"write {function.text}('{written}')",
        )

    def literal_list(self, in_token: Token) -> tuple[LiteralNode, ...]:
        opening = self.peek()
        if opening.kind is not TokenKind.LBRACKET:
            raise self.expected_list(in_token, opening)
        self.advance()
        items: list[LiteralNode] = []
        while True:
            token = self.peek()
            if token.kind is TokenKind.RBRACKET:
                self.advance()
                return tuple(items)
            if _starts_literal(token):
                items.append(self.literal())
            else:
                raise self.bad_list_item(opening, token)
            separator = self.peek()
            if separator.kind is TokenKind.COMMA:
                self.advance()
            elif separator.kind is not TokenKind.RBRACKET:
                raise self.bad_list_separator(opening, separator)

    def expected_list(self, in_token: Token, found: Token) -> ExprSyntaxError:
        hint = "list the values in brackets, e.g. camino in ['luz', 'sombra']"
        if found.kind is TokenKind.END:
            return self.error(
                f"The condition ends right after '{in_token.text}', where a list is expected.",
                in_token.start,
                in_token.end,
                hint,
            )
        return self.error(
            f"Expected a list in brackets after '{in_token.text}' but found {_show(found)}.",
            found.start,
            found.end,
            hint,
        )

    def bad_list_item(self, opening: Token, token: Token) -> ExprSyntaxError:
        if token.kind is TokenKind.END:
            return self.unclosed_list(opening)
        if token.kind is TokenKind.NAME:
            return self.error(
                f"A list can only hold values, not the name '{token.text}'.",
                token.start,
                token.end,
                "write the values themselves, with text in quotes, e.g. ['luz', 'sombra']",
            )
        return self.error(
            f"Unexpected {_show(token)} in the list.",
            token.start,
            token.end,
            "a list holds values separated by commas, e.g. [1, 2, 3]",
        )

    def bad_list_separator(self, opening: Token, token: Token) -> ExprSyntaxError:
        if token.kind is TokenKind.END:
            return self.unclosed_list(opening)
        return self.error(
            f"Expected ',' or ']' after {_show(self.previous)} but found {_show(token)}.",
            token.start,
            token.end,
            "separate the values with commas, e.g. [1, 2, 3]",
        )

    def unclosed_list(self, opening: Token) -> ExprSyntaxError:
        return self.error(
            "The '[' is never closed.", opening.start, opening.end, "add ']' after the last value"
        )

    # -- errors shared by several rules -------------------------------------------------------

    def expected_value(self) -> ExprSyntaxError:
        token = self.peek()
        if token.kind is TokenKind.END:
            last = self.previous
            return self.error(
                f"The condition ends right after '{last.text}', where a value is expected.",
                last.start,
                last.end,
                self._missing_hint(last, after=True),
            )
        if token.kind is TokenKind.RPAREN and self.previous.kind is TokenKind.LPAREN:
            return self.error(
                "The parentheses '()' are empty.",
                self.previous.start,
                token.end,
                "put a condition inside them, or remove them",
            )
        return self.error(
            f"Unexpected {_show(token)} where a value was expected.",
            token.start,
            token.end,
            self._missing_hint(token, after=False),
        )

    def _missing_hint(self, token: Token, *, after: bool) -> str:
        where = "after" if after else "before"
        if token.kind is TokenKind.COMPARE:
            return f"put a value {where} {token.text}, e.g. confianza {token.text} 3"
        if token.is_keyword("not") and after:
            return "put the condition to negate after not, e.g. not vip"
        if token.kind is TokenKind.KEYWORD and token.text in ("and", "or", "in"):
            return f"put a condition {where} {token.text}, or remove the {token.text}"
        if token.kind is TokenKind.LPAREN:
            return "put a condition inside the parentheses and close them with )"
        if token.kind in (TokenKind.LBRACKET, TokenKind.RBRACKET):
            return "lists only come after in, e.g. camino in ['luz', 'sombra']"
        if token.kind is TokenKind.COMMA:
            return "a comma only separates values in a list"
        if token.kind is TokenKind.DOT:
            return "only bond.<character> has a dot, e.g. bond.diana"
        return "check for a missing value or a stray symbol"

    def unexpected_after(self) -> ExprSyntaxError:
        token = self.peek()
        previous = self.previous
        if token.kind is TokenKind.RPAREN:
            return self.error(
                "Unexpected ')' with no '(' to close.",
                token.start,
                token.end,
                "remove it, or add the missing (",
            )
        hint = _JOIN_HINT
        if token.is_keyword("not"):
            hint = "not goes before what it negates (not vip); after a value, write not in [...]"
        elif token.kind is TokenKind.COMMA:
            hint = "a comma only separates values in a list"
        elif token.kind is TokenKind.LPAREN:
            hint = "only visited, chose, chapter_done and has take ( )"
        return self.error(f"Unexpected {_show(token)} after {_show(previous)}.", token.start, token.end, hint)


def parse(source: str) -> Expr:
    """The tree of `source`; raises ExprSyntaxError (with its ExprIssue) on bad syntax."""
    return _Parser(source, tokenize(source)).parse()
