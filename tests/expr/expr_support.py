"""Shared fixtures for the expression tests: a small story environment, a plain Facts object,
a reference interpreter and hypothesis strategies for trees."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from engine.expr import (
    And,
    Bond,
    BoolLit,
    BoolType,
    Call,
    Compare,
    EnumType,
    Environment,
    Expr,
    In,
    IntLit,
    IntType,
    LiteralNode,
    Name,
    NoneLit,
    Not,
    Or,
    StrLit,
    StrType,
)
from engine.expr.lexer import KEYWORDS

ENV = Environment(
    variables={
        "confianza": IntType(0, 10),
        "conocio_diana": BoolType(),
        "camino": EnumType(("luz", "sombra")),
        "apodo": StrType(),
        "senda": EnumType(("sombra", "luz")),
        "ruta": EnumType(("norte", "sur")),
    },
    characters={"diana": IntType(0, 10), "lucia": IntType(-5, 5)},
    moods=("alegre", "triste", "enfadado"),
    scenes=frozenset({"encuentro.inicio", "encuentro.saludo", "encuentro.beso", "jardin.entrada"}),
    choices=frozenset({"encuentro.inicio.acercarse", "jardin.entrada.entrar"}),
    chapters=frozenset({"prologo", "encuentro", "jardin"}),
    achievements=frozenset({"primer_beso", "constante"}),
)


@dataclass
class FakeFacts:
    variables: dict[str, int | bool | str] = field(default_factory=dict)
    points: int = 0
    vip: bool = False
    streak: int = 0
    mood: str | None = None
    bonds: dict[str, int] = field(default_factory=dict)
    scenes: frozenset[str] = frozenset()
    choices: frozenset[str] = frozenset()
    chapters: frozenset[str] = frozenset()
    achievements: frozenset[str] = frozenset()

    def variable(self, name: str) -> int | bool | str:
        return self.variables[name]

    def bond(self, character: str) -> int:
        return self.bonds.get(character, 0)

    def visited(self, scene: str) -> bool:
        return scene in self.scenes

    def chose(self, choice: str) -> bool:
        return choice in self.choices

    def chapter_done(self, chapter: str) -> bool:
        return chapter in self.chapters

    def has(self, achievement: str) -> bool:
        return achievement in self.achievements


def interpret(tree: Expr, facts: FakeFacts) -> object:
    """The obvious tree walk, as the specification of what compiled closures must compute."""
    match tree:
        case IntLit(value=value) | StrLit(value=value) | BoolLit(value=value):
            return value
        case NoneLit():
            return None
        case Name(name="points"):
            return facts.points
        case Name(name="vip"):
            return facts.vip
        case Name(name="streak"):
            return facts.streak
        case Name(name="mood"):
            return facts.mood
        case Name(name=name):
            return facts.variable(name)
        case Bond(character=character):
            return facts.bond(character)
        case Call(function="visited", argument=argument):
            return facts.visited(argument.value)
        case Call(function="chose", argument=argument):
            return facts.chose(argument.value)
        case Call(function="chapter_done", argument=argument):
            return facts.chapter_done(argument.value)
        case Call(function="has", argument=argument):
            return facts.has(argument.value)
        case Not(operand=operand):
            return not interpret(operand, facts)
        case And(operands=operands):
            return all(interpret(item, facts) for item in operands)
        case Or(operands=operands):
            return any(interpret(item, facts) for item in operands)
        case Compare(op=op, left=left, right=right):
            a, b = interpret(left, facts), interpret(right, facts)
            if op == "==":
                return a == b
            if op == "!=":
                return a != b
            assert isinstance(a, int)
            assert isinstance(b, int)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        case In(operand=operand, items=items, negated=negated):
            read = interpret(operand, facts)
            found = any(read == interpret(item, facts) for item in items)
            return not found if negated else found
    raise AssertionError(tree)


# -- strategies: any syntactically valid tree ------------------------------------------------

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(lambda word: word not in KEYWORDS)
attributes = identifiers | st.sampled_from(sorted(KEYWORDS))
ints = st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1)
texts = st.text(max_size=12)

literals: st.SearchStrategy[LiteralNode] = st.one_of(
    st.builds(IntLit, ints),
    st.builds(StrLit, texts),
    st.builds(BoolLit, st.booleans()),
    st.just(NoneLit()),
)
names = st.one_of(
    st.builds(Name, identifiers),
    st.builds(
        lambda base, attr: Name(f"{base}.{attr}"),
        identifiers.filter(lambda word: word != "bond"),
        attributes,
    ),
    st.builds(Bond, attributes),
    st.builds(Call, identifiers, st.builds(StrLit, texts)),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    operands = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Not, children),
        st.builds(And, operands),
        st.builds(Or, operands),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(In, children, st.lists(literals, max_size=4).map(tuple), st.booleans()),
    )


any_trees: st.SearchStrategy[Expr] = st.recursive(st.one_of(literals, names), _extend, max_leaves=20)


# -- strategies: well-typed conditions over ENV ----------------------------------------------

small_ints = st.integers(min_value=-3, max_value=12)


def _int_reads() -> st.SearchStrategy[Expr]:
    return st.sampled_from(
        [
            Name("confianza"),
            Name("points"),
            Name("streak"),
            Bond("diana"),
            Bond("lucia"),
        ]
    )


_ORDER_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
_EQ_OPS = st.sampled_from(["==", "!="])

_int_compare = st.one_of(
    st.builds(Compare, _ORDER_OPS, _int_reads(), st.builds(IntLit, small_ints)),
    st.builds(Compare, _ORDER_OPS, st.builds(IntLit, small_ints), _int_reads()),
    st.builds(Compare, _ORDER_OPS, _int_reads(), _int_reads()),
)
_enum_compare = st.one_of(
    st.builds(
        Compare,
        _EQ_OPS,
        st.just(Name("camino")),
        st.sampled_from([StrLit("luz"), StrLit("sombra")]),
    ),
    st.builds(Compare, _EQ_OPS, st.just(Name("camino")), st.just(Name("senda"))),
    st.builds(
        Compare,
        _EQ_OPS,
        st.just(Name("mood")),
        st.sampled_from([NoneLit(), StrLit("alegre"), StrLit("triste")]),
    ),
    st.builds(Compare, _EQ_OPS, st.just(NoneLit()), st.just(Name("mood"))),
    st.builds(Compare, _EQ_OPS, st.just(Name("apodo")), st.builds(StrLit, texts)),
)
_membership = st.one_of(
    st.builds(
        In,
        _int_reads(),
        st.lists(st.builds(IntLit, small_ints), max_size=4).map(tuple),
        st.booleans(),
    ),
    st.builds(
        In,
        st.just(Name("camino")),
        st.lists(st.sampled_from([StrLit("luz"), StrLit("sombra")]), max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(
        In,
        st.just(Name("mood")),
        st.lists(st.sampled_from([NoneLit(), StrLit("alegre"), StrLit("enfadado")]), max_size=3).map(tuple),
        st.booleans(),
    ),
)
_calls = st.sampled_from(
    [
        Call("visited", StrLit("inicio")),
        Call("visited", StrLit("encuentro.saludo")),
        Call("visited", StrLit("jardin.entrada")),
        Call("chose", StrLit("inicio.acercarse")),
        Call("chose", StrLit("jardin.entrada.entrar")),
        Call("chapter_done", StrLit("prologo")),
        Call("has", StrLit("primer_beso")),
    ]
)
_bool_leaves: st.SearchStrategy[Expr] = st.one_of(
    st.sampled_from([Name("vip"), Name("conocio_diana"), BoolLit(True), BoolLit(False)]),
    _calls,
    _int_compare,
    _enum_compare,
    _membership,
)


def _extend_conditions(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    operands = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(
        st.builds(Not, children),
        st.builds(And, operands),
        st.builds(Or, operands),
        st.builds(Compare, _EQ_OPS, children, children),
    )


conditions: st.SearchStrategy[Expr] = st.recursive(_bool_leaves, _extend_conditions, max_leaves=16)

facts_strategy = st.builds(
    FakeFacts,
    variables=st.fixed_dictionaries(
        {
            "confianza": st.integers(0, 10),
            "conocio_diana": st.booleans(),
            "camino": st.sampled_from(["luz", "sombra"]),
            "senda": st.sampled_from(["luz", "sombra"]),
            "ruta": st.sampled_from(["norte", "sur"]),
            "apodo": texts,
        }
    ),
    points=st.integers(0, 1000),
    vip=st.booleans(),
    streak=st.integers(0, 40),
    mood=st.sampled_from([None, "alegre", "triste", "enfadado"]),
    bonds=st.fixed_dictionaries({"diana": st.integers(0, 10), "lucia": st.integers(-5, 5)}),
    scenes=st.frozensets(st.sampled_from(sorted(ENV.scenes))),
    choices=st.frozensets(st.sampled_from(sorted(ENV.choices))),
    chapters=st.frozensets(st.sampled_from(sorted(ENV.chapters))),
    achievements=st.frozensets(st.sampled_from(sorted(ENV.achievements))),
)

# Fragments for token-soup sources: mostly valid pieces in random order, so generated text
# reaches deep into the parser and checker rather than failing on the first character.
soup_tokens = st.sampled_from(
    [
        "confianza", "vip", "points", "streak", "mood", "camino", "apodo", "conocio_diana",
        "bond.diana", "bond.x", "bond", "and", "or", "not", "in", "true", "false", "none",
        "==", "!=", "<", "<=", ">", ">=", "(", ")", "[", "]", ",", ".", "3", "-2", "0",
        "'luz'", "'lux'", "'alegre'", "\"x\"", "visited('inicio')", "chose('inicio.acercarse')",
        "chapter_done('prologo')", "has('primer_beso')", "visit('x')", "visited(", "'",
        "=", "&&", "True", "x",
    ]
)  # fmt: skip
soups = st.lists(soup_tokens, max_size=10).map(" ".join)


# -- strategies: trees over ENV's names, well-typed or not ------------------------------------

_env_literals: st.SearchStrategy[LiteralNode] = st.one_of(
    st.builds(IntLit, small_ints),
    st.builds(StrLit, st.sampled_from(["luz", "sombra", "lux", "alegre", "triste", "", "3"])),
    st.builds(BoolLit, st.booleans()),
    st.just(NoneLit()),
)
_env_names = st.sampled_from(
    [
        Name("confianza"), Name("vip"), Name("points"), Name("streak"), Name("mood"),
        Name("camino"), Name("senda"), Name("ruta"), Name("apodo"), Name("conocio_diana"),
        Name("zzz"), Bond("diana"), Bond("lucia"), Bond("zeus"),
        Call("visit", StrLit("inicio")), Call("visited", StrLit("nada")),
    ]
)  # fmt: skip


def _extend_env(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    operands = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.builds(Not, children),
        st.builds(And, operands),
        st.builds(Or, operands),
        st.builds(Compare, _ORDER_OPS, children, children),
        st.builds(In, children, st.lists(_env_literals, max_size=3).map(tuple), st.booleans()),
    )


env_trees: st.SearchStrategy[Expr] = st.recursive(
    st.one_of(_env_literals, _env_names, _bool_leaves), _extend_env, max_leaves=10
)
