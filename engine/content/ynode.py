"""A YAML tree that remembers where every node came from.

The rest of the engine never sees PyYAML's nodes: keeping our own small tree lets us swap the parser (for
speed at 100k scenes) without touching the code that turns nodes into the content model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.diagnostics import Loc

Scalar = str | int | float | bool | None
PathPart = str | int


@dataclass(slots=True)
class YScalar:
    value: Scalar
    loc: Loc
    style: str | None = None  # None: plain; "'" or '"': quoted; "|" or ">": block


@dataclass(slots=True)
class YMap:
    loc: Loc
    entries: dict[str, tuple[YScalar, YNode]] = field(default_factory=dict)

    def key_loc(self, key: str) -> Loc:
        return self.entries[key][0].loc

    def get(self, key: str) -> YNode | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)


@dataclass(slots=True)
class YSeq:
    loc: Loc
    items: list[YNode] = field(default_factory=list)


YNode = YScalar | YMap | YSeq


def to_data(node: YNode) -> object:
    """Plain Python data for schema validation (dicts, lists, scalars)."""
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YMap):
        return {key: to_data(value) for key, (_, value) in node.entries.items()}
    return [to_data(item) for item in node.items]


def locate(root: YNode, path: tuple[PathPart, ...]) -> tuple[YNode, Loc]:
    """The node at ``path`` and the location a finding about it should point at.

    A finding about a mapping entry points at its key (that is where a writer looks for it); for a
    sequence item, at the item. If the path runs off the tree, the deepest node reached is used.
    """
    node: YNode = root
    loc = root.loc
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node.entries:
            key, value = node.entries[part]
            node, loc = value, key.loc
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
            loc = node.loc
        else:
            break
    return node, loc


def value_loc(root: YNode, path: tuple[PathPart, ...]) -> Loc:
    """Where the value at ``path`` starts (for findings about a wrong value rather than a whole entry)."""
    node, _ = locate(root, path)
    return node.loc
