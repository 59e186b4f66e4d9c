"""Say why a choice is locked in the player's words: ``bond.diana >= 5`` -> "vínculo con Diana ≥ 5".

Players never see condition syntax. Names that have titles (chapters, achievements, characters, moods)
are shown by their localized title; variables by their name, which writers choose to be readable.
"""

from __future__ import annotations

from engine.content.bundle import Bundle
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
from engine.play.messages import t

_OPS = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def describe(tree: Expr, bundle: Bundle, locale: str) -> str:
    return _Describer(bundle, locale).node(tree)


class _Describer:
    def __init__(self, bundle: Bundle, locale: str) -> None:
        self.bundle = bundle
        self.locale = locale

    def title(self, value: dict[str, str] | None) -> str:
        return self.bundle.text(value, self.locale)

    def literal(self, node: Expr) -> str:
        match node:
            case IntLit(value=value):
                return str(value)
            case StrLit(value=value):
                mood = self.bundle.moods.names.get(value)
                return self.title(dict(mood)) if mood else value
            case BoolLit(value=value):
                return t(self.locale, "yes" if value else "no")
            case NoneLit():
                return t(self.locale, "none")
        return self.node(node)

    def name(self, node: Expr) -> str:
        match node:
            case Bond(character=character):
                spec = self.bundle.characters.get(character)
                label = self.title(dict(spec.name)) if spec else character
                return t(self.locale, "bond", character=label)
            case Name(name="points"):
                return self.title(dict(self.bundle.rewards.currency_name))
            case Name(name="vip"):
                return t(self.locale, "vip")
            case Name(name="mood"):
                return t(self.locale, "mood_is", mood="").strip()
            case Name(name=name):
                return name.replace("_", " ")
        return self.literal(node)

    def node(self, node: Expr) -> str:
        loc = self.locale
        match node:
            case And(operands=operands):
                return t(loc, "and").join(self.node(op) for op in operands)
            case Or(operands=operands):
                return t(loc, "or").join(self.node(op) for op in operands)
            case Not(operand=operand):
                return t(loc, "not") + self.node(operand)
            case Compare(op=op, left=left, right=right):
                return f"{self.name(left)} {_OPS[op]} {self.literal(right)}"
            case In(operand=operand, items=items, negated=negated):
                listed = ", ".join(self.literal(item) for item in items)
                inner = f"{self.name(operand)} ∈ {{{listed}}}"
                return t(loc, "not") + inner if negated else inner
            case Name(name="vip"):
                return t(loc, "vip")
            case Call(function=function, argument=StrLit(value=arg)):
                return self.call(function, arg)
        return self.name(node)

    def call(self, function: str, arg: str) -> str:
        loc = self.locale
        if function == "chapter_done":
            chapter = self.bundle.chapters.get(arg)
            return t(loc, "chapter_done", title=self.title(dict(chapter.title)) if chapter else arg)
        if function == "has":
            achievement = self.bundle.achievements.get(arg)
            title = self.title(dict(achievement.title)) if achievement else arg
            return t(loc, "has", title=title)
        if function == "visited":
            chapter_id, _, scene = arg.partition(".")
            chapter = self.bundle.chapters.get(chapter_id)
            where = f"{self.title(dict(chapter.title))} · {scene}" if chapter else arg
            return t(loc, "visited", scene=where)
        return t(loc, "chose")
