"""Read one YAML file into a located tree, turning every way it can be broken into a diagnostic.

Scalars are resolved with the YAML 1.2 core schema (``on``/``yes``/``no`` stay strings, only ``true`` and
``false`` are booleans) because writers type ``on: daily_checkin`` and mean the word. PyYAML resolves with
YAML 1.1 rules, so we take its *composed* nodes (which keep line/column marks) and resolve plain scalars
ourselves. The C parser (libyaml) is used where present: it keeps marks and is ~7x faster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from engine.codes import diagnostic
from engine.content.ynode import YMap, YNode, YScalar, YSeq
from engine.diagnostics import Diagnostic, Loc

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_KIND_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _Loader(_BaseLoader):
    """PyYAML's loader without its YAML 1.1 implicit resolution, which we redo by the 1.2 core schema.

    The composer asks ``resolve`` for the tag of every untagged node (a regex match per scalar, in Python);
    its answer is never used here, so a node's kind is enough. Explicit tags still reach the converter.
    """

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        return _KIND_TAGS[kind]


MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 500_000
MAX_DEPTH = 64

_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_LEADING_TAB = re.compile(r"^( *)\t", re.MULTILINE)
_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


# Plain scalars that are not text, by their exact spelling; anything else that does not start like a
# number is text (most plain scalars are ids: s0001, diana, luz), without trying every pattern.
_WORDS: dict[str, bool | None] = {
    **dict.fromkeys(("~", "null", "Null", "NULL", ""), None),
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
}
_NUMBER_START = frozenset("0123456789+-.")


def resolve_plain(text: str) -> str | int | float | bool | None:
    """Resolve an unquoted scalar by the YAML 1.2 core schema."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] not in _NUMBER_START:
        return text
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


@dataclass(slots=True)
class ReadResult:
    """The tree of one file (None when it could not be read) and what went wrong reading it."""

    path: str
    root: YNode | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MiB".replace(".0 ", " ")
    if count >= 1024:
        return f"{count / 1024:.1f} KiB".replace(".0 ", " ")
    return f"{count} bytes"


def decode(path: str, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Bytes to text, refusing what is too large or not UTF-8 with the position of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            diagnostic(
                "D104",
                Loc(path, 1, 1),
                f"the file is {_size(len(data))}; the most a content file may be is {_size(MAX_FILE_BYTES)}",
                hint="split it: one chapter per file in content/chapters/",
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, col = _line_col(good, len(good))
        return None, [
            diagnostic(
                "D106",
                Loc(path, line, col),
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at byte {exc.start})",
                hint="save the file as UTF-8 in your editor (VS Code: 'Save with Encoding' > UTF-8)",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []


def read_yaml(path: str, data: bytes) -> ReadResult:
    """Parse one content file; never raises for bad input, reports it."""
    text, problems = decode(path, data)
    if text is None:
        return ReadResult(path, None, problems)
    result = ReadResult(path, None, [], text)
    for match in _LEADING_TAB.finditer(text):
        line, col = _line_col(text, match.start() + len(match.group(1)))
        result.diagnostics.append(
            diagnostic(
                "D103",
                Loc(path, line, col),
                "a tab is used for indentation; YAML only allows spaces",
                hint="replace the tab with spaces (set your editor to 'indent using spaces')",
            )
        )
    if result.diagnostics:
        return result
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        result.diagnostics.append(_syntax_diagnostic(path, exc))
        return result
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        result.diagnostics.append(diagnostic("D101", Loc(path, 1, 1), f"YAML error: {exc}"))
        return result
    if node is None:
        result.root = YMap(Loc(path, 1, 1))
        return result
    converter = _Converter(path)
    try:
        result.root = converter.convert(node, 0)
    except _TooComplexError as exc:
        result.diagnostics.append(diagnostic("D105", exc.loc, f"{exc.subject} {exc.message}", hint=exc.hint))
        result.root = None
        return result
    result.diagnostics.extend(converter.diagnostics)
    return result


_SYNTAX_HINTS = (
    (
        "mapping values are not allowed",
        'put text that contains ": " in quotes: text: "Ella dijo: hola"',
    ),
    ("could not find expected ':'", "a key is missing its ':' or a text needs quotes"),
    ("found character '\\t'", "replace the tab with spaces"),
    ("found undefined alias", "define the anchor (&name) before using it (*name)"),
    ("did not find expected key", "check the indentation of this line against the lines above"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
    (
        "found unknown escape character",
        "in double quotes a backslash starts an escape; use single quotes",
    ),
    ("expected <block end>", "check the indentation: this line does not line up with its siblings"),
    ("did not find expected ',' or ']'", "a list in [ ] is not closed, or an item needs quotes"),
    ("did not find expected ',' or '}'", "a mapping in { } is not closed, or a text in it needs quotes"),
    ("found character that cannot start any token", "put the text in quotes"),
)


def _syntax_diagnostic(path: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    if "maximum nesting depth" in problem:
        return diagnostic(
            "D105",
            Loc(path, line, col),
            f"the YAML is nested too deep: {problem}",
            hint="flatten the structure; content files need only a few levels",
        )
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in problem), None)
    return diagnostic("D101", Loc(path, line, col), message, hint=hint)


class _TooComplexError(Exception):
    """Raised deep inside the tree; the top-level mapping re-points it at the key whose value it is in,
    because the node where counting stopped is an arbitrary copy made by an alias."""

    def __init__(self, loc: Loc, message: str, hint: str, subject: str = "the file") -> None:
        super().__init__(message)
        self.loc, self.message, self.hint, self.subject = loc, message, hint, subject


# Loc(file, line, column) without the named tuple's Python-level __new__: one per node.
_new_loc = tuple.__new__


class _Converter:
    """PyYAML nodes -> YNode, counting nodes as it expands aliases so a 'billion laughs' file stops early."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.count = 0
        self.diagnostics: list[Diagnostic] = []

    def loc(self, node: yaml.Node) -> Loc:
        return Loc(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    # convert() and mapping() run once per node (millions at 100k scenes): the common cases are
    # written out rather than split into small methods.
    def convert(self, node: yaml.Node, depth: int) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooComplexError(
                self.loc(node),
                f"expands to more than {MAX_NODES:,} YAML nodes",
                "anchors and aliases (&a / *a) multiply content; write the content out or split the file",
            )
        if depth > MAX_DEPTH:
            raise _TooComplexError(
                self.loc(node),
                f"is nested more than {MAX_DEPTH} levels deep (or an alias refers to itself)",
                "flatten the structure; an alias (*a) may not appear inside its own anchor (&a)",
            )
        mark = node.start_mark
        loc = _new_loc(Loc, (self.path, mark.line + 1, mark.column + 1))
        if node.tag not in _STANDARD_TAGS:
            self.diagnostics.append(
                diagnostic(
                    "D108",
                    loc,
                    f"YAML tag '{node.tag}' is not supported in content files",
                    hint="remove the tag; content files hold plain text, numbers, lists and mappings",
                )
            )
        if isinstance(node, yaml.ScalarNode):
            if node.style:
                return YScalar(node.value, loc, node.style)
            return YScalar(resolve_plain(node.value), loc, None)
        if isinstance(node, yaml.SequenceNode):
            return YSeq(loc, [self.convert(item, depth + 1) for item in node.value])
        assert isinstance(node, yaml.MappingNode)
        return self.mapping(node, loc, depth)

    def mapping(self, node: yaml.MappingNode, loc: Loc, depth: int) -> YMap:
        path = self.path
        entries: dict[str, tuple[YScalar, YNode]] = {}
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
            mark = key_node.start_mark
            name = key_node.value
            key = YScalar(name, _new_loc(Loc, (path, mark.line + 1, mark.column + 1)), key_node.style or None)
            if name in entries:
                first = entries[name][0].loc
                self.diagnostics.append(
                    diagnostic(
                        "D102",
                        key.loc,
                        f"duplicate key '{name}' (first defined at line {first.line})",
                        hint="rename one of them or merge them; YAML keeps only the last one",
                        related=(first,),
                    )
                )
                continue
            try:
                value = self.convert(value_node, depth + 1)
            except _TooComplexError as exc:
                if depth == 0:
                    raise _TooComplexError(key.loc, exc.message, exc.hint, f"the value of '{name}'") from None
                raise
            entries[name] = (key, value)
        return YMap(loc, entries)
