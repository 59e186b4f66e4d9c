"""Split a condition into tokens with offsets.

The lexer also recognises the mistakes writers coming from spreadsheets or other languages
make (`=`, `&&`, `True`, curly quotes) so the message can say what to write instead of only
"unexpected character".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

from engine.expr.issues import SYNTAX, ExprIssue, ExprSyntaxError


class TokenKind(Enum):
    INT = "number"
    STRING = "text"
    NAME = "name"
    KEYWORD = "keyword"
    COMPARE = "comparison"
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    DOT = "."
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    value: int | str | None = None

    def is_keyword(self, word: str) -> bool:
        return self.kind is TokenKind.KEYWORD and self.text == word


KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false", "none"})
_IDENT: Final = re.compile(r"[a-z_][a-z0-9_]*\Z")
_PUNCTUATION: Final = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "[": TokenKind.LBRACKET,
    "]": TokenKind.RBRACKET,
    ",": TokenKind.COMMA,
    ".": TokenKind.DOT,
}
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"'}
_CURLY_QUOTES: Final = "‘’‚‛“”„‟«»"
_LOGIC_HINT: Final = "use and / or / not"
_MAX_DIGITS: Final = 18


def _fail(message: str, start: int, end: int, hint: str | None) -> ExprSyntaxError:
    return ExprSyntaxError(ExprIssue(SYNTAX, message, start, end, hint))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.tokens: list[Token] = []

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.source[index] if index < len(self.source) else ""

    def emit(self, kind: TokenKind, end: int, value: int | str | None = None) -> None:
        self.tokens.append(Token(kind, self.source[self.pos : end], self.pos, end, value))
        self.pos = end

    def run(self) -> list[Token]:
        while self.pos < len(self.source):
            ch = self.peek()
            if ch.isspace():
                self.pos += 1
            elif ch in "0123456789" or (ch == "-" and self.peek(1) in tuple("0123456789")):
                self.number()
            elif ch.isalpha() or ch == "_":
                self.word()
            elif ch in "'\"":
                self.string(ch)
            elif ch in _PUNCTUATION:
                self.emit(_PUNCTUATION[ch], self.pos + 1)
            else:
                self.operator(ch)
        self.tokens.append(Token(TokenKind.END, "", len(self.source), len(self.source)))
        return self.tokens

    def number(self) -> None:
        end = self.pos + 1
        while end < len(self.source) and self.source[end].isdigit() and self.source[end].isascii():
            end += 1
        rest = self.source[end:]
        if rest[:1] == "." and rest[1:2].isdigit():
            stop = end + 1
            while stop < len(self.source) and self.source[stop].isdigit():
                stop += 1
            text = self.source[self.pos : stop]
            raise _fail(
                f"'{text}' is not a whole number.",
                self.pos,
                stop,
                "conditions only use whole numbers, e.g. 3",
            )
        if rest[:1] and _is_word_char(rest[0]):
            stop = end
            while stop < len(self.source) and _is_word_char(self.source[stop]):
                stop += 1
            text = self.source[self.pos : stop]
            raise _fail(
                f"'{text}' is neither a number nor a name.",
                self.pos,
                stop,
                "names start with a letter, and numbers are digits only",
            )
        text = self.source[self.pos : end]
        if len(text.lstrip("-")) > _MAX_DIGITS:
            raise _fail(
                f"'{text}' is too large a number.",
                self.pos,
                end,
                f"numbers in conditions have at most {_MAX_DIGITS} digits",
            )
        self.emit(TokenKind.INT, end, int(text))

    def word(self) -> None:
        end = self.pos
        while end < len(self.source) and _is_word_char(self.source[end]):
            end += 1
        text = self.source[self.pos : end]
        if _IDENT.match(text):
            kind = TokenKind.KEYWORD if text in KEYWORDS else TokenKind.NAME
            self.emit(kind, end)
            return
        lower = text.lower()
        if lower in ("true", "false"):
            raise _fail(f"'{text}' is not a value here.", self.pos, end, f"use true / false: write {lower}")
        if lower in ("and", "or", "not"):
            raise _fail(
                f"'{text}' is not an operator here.",
                self.pos,
                end,
                f"{_LOGIC_HINT}, in lowercase: write {lower}",
            )
        if lower in ("none", "null"):
            raise _fail(f"'{text}' is not a value here.", self.pos, end, "write none")
        if text.isascii():
            raise _fail(
                f"'{text}' is not a valid name because names are lowercase.",
                self.pos,
                end,
                f"write {lower}",
            )
        raise _fail(
            f"'{text}' is not a valid name because names only use a-z, 0-9 and _.",
            self.pos,
            end,
            "write the name exactly as it was declared, without accents or ñ",
        )

    def string(self, quote: str) -> None:
        chars: list[str] = []
        index = self.pos + 1
        while index < len(self.source):
            ch = self.source[index]
            if ch == quote:
                self.emit(TokenKind.STRING, index + 1, "".join(chars))
                return
            if ch == "\\":
                escaped = self.source[index + 1 : index + 2]
                if escaped not in _ESCAPES:
                    raise _fail(
                        f"'\\{escaped}' is not an escape that text in quotes understands.",
                        index,
                        index + 1 + len(escaped),
                        "only \\\\, \\' and \\\" may follow a backslash",
                    )
                chars.append(_ESCAPES[escaped])
                index += 2
                continue
            chars.append(ch)
            index += 1
        raise _fail(
            f"The text starting with {quote} is never closed.",
            self.pos,
            len(self.source),
            f"add the closing {quote}",
        )

    def operator(self, ch: str) -> None:
        two = self.source[self.pos : self.pos + 2]
        if two in ("==", "!=", "<=", ">="):
            self.emit(TokenKind.COMPARE, self.pos + 2)
        elif two == "<>":
            raise _fail("'<>' is not a comparison.", self.pos, self.pos + 2, "use != instead")
        elif two in ("=<", "=>"):
            fixed = two[1] + "="
            raise _fail(f"'{two}' is not a comparison.", self.pos, self.pos + 2, f"use {fixed} instead")
        elif ch in "<>":
            self.emit(TokenKind.COMPARE, self.pos + 1)
        elif ch == "=":
            raise _fail("'=' is not a comparison.", self.pos, self.pos + 1, "use == to compare")
        elif ch in "&|!":
            token = two if two in ("&&", "||") else ch
            word = {"&": "and", "|": "or", "!": "not"}[ch]
            raise _fail(
                f"'{token}' is not an operator in conditions.",
                self.pos,
                self.pos + len(token),
                f"{_LOGIC_HINT}: write {word}",
            )
        elif ch in _CURLY_QUOTES:
            raise _fail(
                f"'{ch}' is a typographic quote, which conditions do not use.",
                self.pos,
                self.pos + 1,
                "use straight quotes ' or \" (your editor may have replaced them)",
            )
        elif ch == "-":
            raise _fail(
                "'-' can only start a negative number.",
                self.pos,
                self.pos + 1,
                "conditions have no arithmetic; write a negative number as -3",
            )
        else:
            raise _fail(
                f"'{ch}' is not allowed in a condition.",
                self.pos,
                self.pos + 1,
                "conditions use names, numbers, text in quotes, comparisons, and / or / not",
            )


def tokenize(source: str) -> list[Token]:
    """Tokens in order, always ending with an END token at `len(source)`."""
    return _Lexer(source).run()
