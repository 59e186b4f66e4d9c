"""The YAML reader's tree and findings equal a plain reference reading of the same file, node for node.

``engine/content/yamlread.py`` is written for speed (millions of nodes at 100k scenes): one pass with
the common cases inline, plain scalars resolved by a lookup before any pattern, each location made as
a tuple. This module keeps the straightforward version as an oracle (the reader as it was before, the
YAML 1.2 core schema as regular expressions) and compares the two on every content file the project
has, on a generated story, and on generated YAML full of the awkward cases: tags, duplicate and
non-scalar keys, anchors and aliases, every plain-scalar spelling, nesting and alias bombs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lint_support import MINIMAL

from bench.lint_scale import generate
from engine.codes import diagnostic
from engine.content import yamlread
from engine.content.yamlread import MAX_DEPTH, MAX_NODES, read_yaml, resolve_plain
from engine.content.ynode import YMap, YNode, YScalar, YSeq
from engine.diagnostics import Diagnostic, Loc

ROOT = Path(__file__).resolve().parents[2]
FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# -- the oracle ---------------------------------------------------------------------------------------
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def reference_resolve(text: str) -> object:
    """The YAML 1.2 core schema, pattern by pattern, as the spec's table lists it."""
    if _NULL.match(text):
        return None
    if _BOOL_TRUE.match(text):
        return True
    if _BOOL_FALSE.match(text):
        return False
    if _INT_DEC.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


class TooComplexError(Exception):
    def __init__(self, loc: Loc, message: str, subject: str = "the file") -> None:
        super().__init__(message)
        self.loc, self.message, self.subject = loc, message, subject


class ReferenceConverter:
    """The reader's conversion written plainly: one small method per kind of node."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.diagnostics: list[Diagnostic] = []

    def loc(self, node: yaml.Node) -> Loc:
        return Loc(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise TooComplexError(self.loc(node), f"expands to more than {MAX_NODES:,} YAML nodes")
        if depth > MAX_DEPTH:
            raise TooComplexError(
                self.loc(node), f"is nested more than {MAX_DEPTH} levels deep (or an alias refers to itself)"
            )
        if node.tag not in yamlread._STANDARD_TAGS:
            self.diagnostics.append(
                diagnostic(
                    "D108",
                    self.loc(node),
                    f"YAML tag '{node.tag}' is not supported in content files",
                    hint="remove the tag; content files hold plain text, numbers, lists and mappings",
                )
            )
        if isinstance(node, yaml.ScalarNode):
            style = node.style or None
            value = reference_resolve(node.value) if style is None else node.value
            return YScalar(value, self.loc(node), style)  # type: ignore[arg-type]
        if isinstance(node, yaml.SequenceNode):
            return YSeq(self.loc(node), [self.convert(item, depth + 1) for item in node.value])
        result = YMap(self.loc(node))
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(
                    diagnostic(
                        "D108",
                        self.loc(key_node),
                        "a key must be a plain word, not a list or a mapping",
                        hint="write keys as ids, e.g. 'inicio:'",
                    )
                )
                continue
            key = YScalar(key_node.value, self.loc(key_node), key_node.style or None)
            if key.value in result.entries:
                first = result.entries[str(key.value)][0].loc
                self.diagnostics.append(
                    diagnostic(
                        "D102",
                        key.loc,
                        f"duplicate key '{key.value}' (first defined at line {first.line})",
                        hint="rename one of them or merge them; YAML keeps only the last one",
                        related=(first,),
                    )
                )
                continue
            try:
                value = self.convert(value_node, depth + 1)
            except TooComplexError as exc:
                if depth == 0:
                    raise TooComplexError(key.loc, exc.message, f"the value of '{key.value}'") from None
                raise
            result.entries[str(key.value)] = (key, value)
        return result


def same_reading(path: str, text: str) -> bool:
    """Convert the composed file with the reader and with the oracle: same tree, same findings.

    False when the text is not YAML at all (nothing to compare: the parser reports it, not the reader).
    """
    try:
        node = yaml.compose(text, Loader=yamlread._Loader)
    except yaml.YAMLError:
        return False
    if node is None:
        return True
    reader = yamlread._Converter(path)
    oracle = ReferenceConverter(path)
    try:
        expected: YNode | TooComplexError = oracle.convert(node, 0)
    except TooComplexError as exc:
        expected = exc
    try:
        tree: YNode | yamlread._TooComplexError = reader.convert(node, 0)
    except yamlread._TooComplexError as exc:
        tree = exc
    if isinstance(expected, TooComplexError):
        assert isinstance(tree, yamlread._TooComplexError)
        assert (tree.loc, tree.message, tree.subject) == (expected.loc, expected.message, expected.subject)
        return True
    assert not isinstance(tree, yamlread._TooComplexError)
    assert same_tree(tree, expected), path
    assert reader.diagnostics == oracle.diagnostics
    return True


def same_tree(one: YNode, two: YNode) -> bool:
    """Equal values (NaN equal to NaN, True not equal to 1), styles and locations, all the way down."""
    if type(one) is not type(two) or one.loc != two.loc or type(one.loc) is not type(two.loc):
        return False
    if isinstance(one, YScalar):
        assert isinstance(two, YScalar)
        if one.style != two.style or type(one.value) is not type(two.value):
            return False
        if isinstance(one.value, float) and one.value != one.value:
            return two.value != two.value
        return one.value == two.value
    if isinstance(one, YSeq):
        assert isinstance(two, YSeq)
        return len(one.items) == len(two.items) and all(map(same_tree, one.items, two.items))
    assert isinstance(one, YMap) and isinstance(two, YMap)
    return list(one.entries) == list(two.entries) and all(
        same_tree(k1, k2) and same_tree(v1, v2)
        for (k1, v1), (k2, v2) in zip(one.entries.values(), two.entries.values(), strict=True)
    )


# -- the project's own files ----------------------------------------------------------------------------
def project_yaml() -> list[Path]:
    return sorted(
        [
            *(ROOT / "content").rglob("*.yaml"),
            *(ROOT / "tests").rglob("*.yaml"),
            *(ROOT / "k8s").rglob("config*.yaml"),
        ]
    )


@pytest.mark.parametrize("path", project_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_content_file_reads_as_the_oracle_reads_it(path: Path) -> None:
    assert same_reading(path.name, path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(name for name in MINIMAL if name.endswith(".yaml")))
def test_the_lint_fixtures_read_as_the_oracle_reads_them(name: str) -> None:
    text = MINIMAL[name]
    assert isinstance(text, str)
    assert same_reading(name, text)


def test_a_generated_story_reads_as_the_oracle_reads_it(tmp_path: Path) -> None:
    story = generate(tmp_path / "story", 400, seed=11)
    files = sorted(story.rglob("*.yaml"))
    assert len(files) > 100
    for path in files:
        assert same_reading(path.relative_to(story).as_posix(), path.read_text(encoding="utf-8"))


# -- generated YAML ------------------------------------------------------------------------------------
PLAIN = [
    "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "FALSE", "yes", "no",
    "on", "off", "y", "0", "-0", "+12", "007", "0o17", "0o18", "0x1F", "0x1g", "0b101", "1_000", "1.",
    ".5", "-.5e3", "1e5", "1E-2", "+.inf", "-.Inf", ".INF", "inf", ".nan", ".NaN", "nan", ".", "-",
    "+", "12:30", "2024-01-01", "s0001", "inicio", "diana", "hola mundo", "é", "💋",
]  # fmt: skip
QUOTED = ['"5"', "'true'", '"con \\"comillas\\""', "''", '"línea\\n"', "'it''s'"]
TAGGED = ["!!str 5", "!!int 7", "!!float 1", "!!bool true", "!!null ''", "!custom x", "!!binary aGk="]


def scalars() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(PLAIN), st.sampled_from(QUOTED), st.sampled_from(TAGGED))


KEYS = st.one_of(
    st.sampled_from(["a", "b", "c", "text", "goto", "es", "en", "1", "true", "null", '"a"', "'b'"]),
    st.sampled_from(["[x, y]", "{k: v}", "? [z]"]),
)


def block(depth: int) -> st.SearchStrategy[list[str]]:
    """Lines of a block node (mapping or sequence) at ``depth`` levels of indentation."""
    indent = "  " * depth
    leaf = scalars().map(lambda s: [s])
    flow = st.lists(scalars(), max_size=3).map(lambda items: ["[" + ", ".join(items) + "]"])

    def mapping(children: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        entry = st.tuples(KEYS, children).map(
            lambda kv: _entry(indent, kv[0], kv[1]) if not kv[0].startswith("?") else [f"{indent}{kv[0]}"]
        )
        return st.lists(entry, min_size=1, max_size=4).map(
            lambda entries: [line for e in entries for line in e]
        )

    def sequence(children: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
        item = children.map(lambda lines: _item(indent, lines))
        return st.lists(item, min_size=1, max_size=3).map(lambda items: [line for i in items for line in i])

    if depth >= 3:
        return st.one_of(leaf, flow)
    inner = block(depth + 1)
    return st.one_of(leaf, flow, mapping(inner), sequence(inner))


def _entry(indent: str, key: str, lines: list[str]) -> list[str]:
    if len(lines) == 1 and not lines[0].startswith(" "):
        return [f"{indent}{key}: {lines[0]}"]
    return [f"{indent}{key}:", *lines]


def _item(indent: str, lines: list[str]) -> list[str]:
    if len(lines) == 1 and not lines[0].startswith(" "):
        return [f"{indent}- {lines[0]}"]
    return [f"{indent}-", *lines]


@FAST
@given(st.lists(st.tuples(KEYS, block(1)), min_size=1, max_size=5), st.booleans())
def test_generated_yaml_reads_as_the_oracle_reads_it(
    entries: list[tuple[str, list[str]]], anchor: bool
) -> None:
    lines = [line for key, body in entries for line in _entry("", key, body)]
    if anchor:  # an anchor on the first value and aliases to it further down
        lines = ["base: &b {x: 1, y: [1, 2]}", *lines, "again: *b", "list: [*b, *b]"]
    assume(same_reading("chapters/x.yaml", "\n".join(lines) + "\n"))


@pytest.mark.parametrize("text", PLAIN)
def test_every_listed_plain_spelling_resolves_as_the_core_schema_says(text: str) -> None:
    expected, got = reference_resolve(text), resolve_plain(text)
    assert type(got) is type(expected)
    assert got == expected or (got != got and expected != expected)


@FAST
@given(st.text(alphabet="~nNuUlLtTrRfFaAsSeE0123456789+-.oxXabcdefgi_:é", max_size=8))
def test_plain_scalars_resolve_as_the_core_schema_says(text: str) -> None:
    expected = reference_resolve(text)
    got = resolve_plain(text)
    assert type(got) is type(expected)
    assert got == expected or (got != got and expected != expected)


def test_alias_bombs_and_deep_nesting_stop_at_the_same_node() -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ", ".join(f"*{previous}" for _ in range(10)) + "]")
    assert same_reading("chapters/bomb.yaml", "\n".join(bomb) + "\n")
    deep = "k: " + "[" * (MAX_DEPTH + 3) + "x" + "]" * (MAX_DEPTH + 3) + "\n"
    assert same_reading("chapters/deep.yaml", deep)


def test_read_yaml_reports_exactly_the_oracles_findings() -> None:
    text = "id: x\nid: y\n!!binary k: 1\n[a]: 2\nv: !custom z\n"
    result = read_yaml("chapters/x.yaml", text.encode())
    node = yaml.compose(text, Loader=yamlread._Loader)
    oracle = ReferenceConverter("chapters/x.yaml")
    oracle.convert(node, 0)
    assert result.diagnostics == oracle.diagnostics
    assert [d.code for d in result.diagnostics] == ["D102", "D108", "D108"]
