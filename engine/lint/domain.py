"""What every name in a condition can ever hold, and conditions evaluated over those possibilities.

The analysis is flow-insensitive and over-approximating: an int variable can hold anything between the
lowest and the highest value any effect can give it (its default, every ``set``, and, where some ``add``
moves it, up to its declared ``max`` or down to its ``min``); a bool, enum or text variable any value
it starts with or is ``set`` to. A condition that is false for every such value can never be true, for
any player, on any path: that is what the checks built on this module claim, and all they claim.

Evaluation is three-valued: a set of the truth values a condition can take, ``{True}``, ``{False}`` or
both. Anything the domain does not model (two names compared with each other, ``visited()`` of a
reachable scene...) is "either", which keeps every finding on the safe side.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from engine.content.model import Content, Effects
from engine.expr import (
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
    compile_expr,
    walk,
)

INF = float("inf")
EITHER: frozenset[bool] = frozenset((True, False))
TRUE: frozenset[bool] = frozenset((True,))
FALSE: frozenset[bool] = frozenset((False,))
Value = int | bool | str | None
Truth = frozenset[bool]
CallTruth = Callable[[Call], Truth]
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
MAX_POINTS = 4096  # most combinations tried when asking whether conditions can be false together


@dataclass(frozen=True, slots=True)
class Span:
    lo: float
    hi: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.lo <= value <= self.hi

    @property
    def single(self) -> bool:
        return self.lo == self.hi


def name_key(node: Expr) -> str | None:
    """The key a readable node has in :class:`Possible` ('confianza', 'bond.diana', 'mood'), else None."""
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Bond):
        return f"bond.{node.character}"
    return None


def literal(node: Expr) -> tuple[bool, Value]:
    match node:
        case IntLit(value=value) | StrLit(value=value) | BoolLit(value=value):
            return True, value
        case NoneLit():
            return True, None
        case _:
            return False, None


def all_effects(content: Content) -> Iterator[Effects]:
    for scene in content.all_scenes():
        if scene.on_enter:
            yield scene.on_enter
        for choice in scene.choices:
            if choice.effects:
                yield choice.effects


@dataclass
class Possible:
    """The values each name can hold: int spans and value sets, keyed like :func:`name_key`."""

    spans: dict[str, Span] = field(default_factory=dict)
    sets: dict[str, frozenset[Value]] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, content: Content) -> Possible:
        found = cls()
        story = content.story
        lows: dict[str, float] = {}
        highs: dict[str, float] = {}
        values: dict[str, set[Value]] = {}
        for name, decl in story.variables.items():
            if decl.type == "int" and isinstance(decl.default, int):
                lows[name] = highs[name] = decl.default
            else:
                values[name] = {decl.default}
        bounds = {
            name: (
                -INF if decl.min is None else decl.min,
                INF if decl.max is None else decl.max,
            )
            for name, decl in story.variables.items()
        }
        for character in content.characters.values():
            key = f"bond.{character.id}"
            lows[key] = highs[key] = character.bond_default
            bounds[key] = (character.bond_min, character.bond_max)
        for effects in all_effects(content):
            for name, item in effects.set.items():
                found.written.add(name)
                value = item.value
                if name in lows and isinstance(value, int) and not isinstance(value, bool):
                    lows[name] = min(lows[name], value)
                    highs[name] = max(highs[name], value)
                elif name in values:
                    values[name].add(value)
            moves = [(n, i.value) for n, i in effects.add.items()]
            moves += [(f"bond.{c}", i.value) for c, i in effects.bond.items()]
            for name, delta in moves:
                found.written.add(name)
                if name not in lows or not isinstance(delta, int):
                    continue
                low, high = bounds[name]
                if delta > 0:
                    highs[name] = high
                elif delta < 0:
                    lows[name] = low
        found.spans = {name: Span(lows[name], highs[name]) for name in lows}
        found.spans["points"] = Span(0, INF)
        found.spans["streak"] = Span(0, INF)
        found.sets = {name: frozenset(vals) for name, vals in values.items()}
        found.sets["vip"] = frozenset((True, False))
        found.sets["mood"] = frozenset((None, *content.moods.moods))
        return found

    def describe(self, key: str) -> str:
        """The values ``key`` can hold, in words for a message."""
        if key in self.spans:
            span = self.spans[key]
            if span.single:
                return f"always {int(span.lo)}"
            low = "" if span.lo == -INF else str(int(span.lo))
            high = "" if span.hi == INF else str(int(span.hi))
            return f"only {low}..{high}"
        shown = sorted(
            "none" if v is None else str(v).lower() if isinstance(v, bool) else repr(v)
            for v in self.sets.get(key, ())
        )
        if len(shown) == 1:
            return f"always {shown[0]}"
        return "only " + ", ".join(shown)

    # -- three-valued evaluation ------------------------------------------------------------------

    def truth(self, node: Expr, calls: CallTruth | None = None) -> Truth:
        match node:
            case BoolLit(value=value):
                return TRUE if value else FALSE
            case Name() | Bond():
                key = name_key(node)
                held = self.sets.get(key or "")
                if held is not None and held <= {True, False}:
                    return frozenset(bool(v) for v in held)
                return EITHER
            case Not(operand=operand):
                return frozenset(not v for v in self.truth(operand, calls))
            case And(operands=operands):
                parts = [self.truth(op, calls) for op in operands]
                result: set[bool] = set()
                if all(True in p for p in parts):
                    result.add(True)
                if any(False in p for p in parts):
                    result.add(False)
                return frozenset(result)
            case Or(operands=operands):
                parts = [self.truth(op, calls) for op in operands]
                result = set()
                if any(True in p for p in parts):
                    result.add(True)
                if all(False in p for p in parts):
                    result.add(False)
                return frozenset(result)
            case Compare():
                return self.compare(node)
            case In():
                return self.membership(node)
            case Call():
                return calls(node) if calls is not None else EITHER
            case _:
                return EITHER

    def compare(self, node: Compare) -> Truth:
        op: str = node.op
        key, (is_literal, value) = name_key(node.left), literal(node.right)
        if key is None or not is_literal:
            key, (is_literal, value) = name_key(node.right), literal(node.left)
            op = _FLIP[op]
        if key is None or not is_literal:
            return EITHER
        if key in self.spans:
            if not isinstance(value, int) or isinstance(value, bool):
                return EITHER
            return _span_compare(self.spans[key], op, value)
        held = self.sets.get(key)
        if held is None or op not in ("==", "!="):
            return EITHER
        equal = frozenset(v == value and type(v) is type(value) for v in held)
        return equal if op == "==" else frozenset(not v for v in equal)

    def membership(self, node: In) -> Truth:
        key = name_key(node.operand)
        items = []
        for item in node.items:
            _, value = literal(item)
            items.append(value)
        result: set[bool] = set()
        if key in self.spans:
            span = self.spans[key or ""]
            inside = [v for v in items if v in span]
            if inside:
                result.add(True)
            if span.hi - span.lo + 1 > len(set(inside)):
                result.add(False)
        elif key in self.sets:
            for held in self.sets[key or ""]:
                result.add(any(held == v and type(held) is type(v) for v in items))
        else:
            return EITHER
        if node.negated:
            result = {not v for v in result}
        return frozenset(result)

    # -- can several conditions be false together? ------------------------------------------------

    def points(self, trees: list[Expr]) -> Iterator[_Point] | None:
        """Concrete assignments covering every way ``trees`` can evaluate (None: too many to try).

        Comparisons with constants only change value at those constants, so an int name needs only its
        bounds and each constant it is compared with (and its neighbours) as representatives.
        """
        cuts: dict[str, set[int]] = {}
        calls: set[str] = set()
        for tree in trees:
            for node in walk(tree):
                key = name_key(node)
                if key is not None:
                    cuts.setdefault(key, set())
                elif isinstance(node, Call):
                    calls.add(f"{node.function}:{node.argument.value}")
                elif isinstance(node, Compare | In):
                    operands: list[Expr] = (
                        [node.left, node.right] if isinstance(node, Compare) else [node.operand]
                    )
                    constants: list[Expr] = (
                        [node.right, node.left] if isinstance(node, Compare) else list(node.items)
                    )
                    for operand in operands:
                        found = name_key(operand)
                        if found is None:
                            continue
                        for constant in constants:
                            ok, value = literal(constant)
                            if ok and isinstance(value, int) and not isinstance(value, bool):
                                cuts.setdefault(found, set()).update((value - 1, value, value + 1))
        choices: list[tuple[str, list[Value]]] = []
        for key, cut in sorted(cuts.items()):
            if key in self.spans:
                span = self.spans[key]
                kept = {v for v in cut if v in span}
                kept.update(int(b) for b in (span.lo, span.hi) if b not in (INF, -INF))
                choices.append((key, [*(sorted(kept) or [0])]))
            elif key in self.sets:
                choices.append((key, sorted(self.sets[key], key=repr)))
            else:
                return None
        choices.extend((key, [True, False]) for key in sorted(calls))
        total = 1
        for _, values in choices:
            total *= len(values)
        if total > MAX_POINTS:
            return None
        keys = [key for key, _ in choices]
        return (
            _Point(dict(zip(keys, combo, strict=True)))
            for combo in itertools.product(*(options for _, options in choices))
        )


def _span_compare(span: Span, op: str, value: int) -> Truth:
    lo, hi = span.lo, span.hi
    can_true = {
        "==": lo <= value <= hi,
        "!=": not (lo == hi == value),
        "<": lo < value,
        "<=": lo <= value,
        ">": hi > value,
        ">=": hi >= value,
    }[op]
    can_false = {
        "==": not (lo == hi == value),
        "!=": lo <= value <= hi,
        "<": hi >= value,
        "<=": hi > value,
        ">": lo <= value,
        ">=": lo < value,
    }[op]
    return frozenset(v for v, ok in ((True, can_true), (False, can_false)) if ok)


class _Point:
    """One concrete assignment, readable by compiled conditions (the Facts protocol)."""

    def __init__(self, values: dict[str, Value]) -> None:
        self.values = values

    def variable(self, name: str) -> int | bool | str:
        value = self.values.get(name)
        return value if value is not None else ""

    @property
    def points(self) -> int:
        return int(self.values.get("points") or 0)

    @property
    def vip(self) -> bool:
        return bool(self.values.get("vip"))

    @property
    def streak(self) -> int:
        return int(self.values.get("streak") or 0)

    @property
    def mood(self) -> str | None:
        value = self.values.get("mood")
        return value if isinstance(value, str) else None

    def bond(self, character: str) -> int:
        return int(self.values.get(f"bond.{character}") or 0)

    def _call(self, function: str, argument: str) -> bool:
        return bool(self.values.get(f"{function}:{argument}"))

    def visited(self, scene: str) -> bool:
        return self._call("visited", scene)

    def chose(self, choice: str) -> bool:
        return self._call("chose", choice)

    def chapter_done(self, chapter: str) -> bool:
        return self._call("chapter_done", chapter)

    def has(self, achievement: str) -> bool:
        return self._call("has", achievement)


def all_false_together(possible: Possible, groups: list[list[Expr]]) -> bool | None:
    """Can every group be false at once, each group being false when any of its conditions is?

    A group is one exit (its ``if``, its ``requires``, the unlock of the chapter it enters). True: some
    assignment within the possible values closes every exit; False: none does; None: too many
    combinations to try (the caller stays silent or asks a stronger analysis).
    """
    trees = [tree for group in groups for tree in group]
    assignments = possible.points(trees)
    if assignments is None:
        return None
    compiled = [[compile_expr(tree) for tree in group] for group in groups]
    return any(all(any(not test(point) for test in group) for group in compiled) for point in assignments)
