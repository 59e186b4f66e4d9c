"""Where a character of a scalar's value sits in the writer's file.

A finding inside a condition or a text (an undeclared name, an unknown placeholder, a stray '<') should
point at that character, not at the start of the scalar. For a plain one-line scalar that is the start
plus the offset, but a quoted scalar starts after its quote, a block scalar (``|`` or ``>``) on the line
after its indicator, a scalar written over several lines continues at each line's indentation, and an
escape (``''`` in single quotes, ``\\"`` in double quotes) is two characters in the file for one in the
value. :func:`segments` walks value and file together and records where they stop advancing in step.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from engine.diagnostics import Loc

Segments = tuple[tuple[int, Loc], ...]
# What may lie in the file between two characters of the value: folding, indentation, escapes.
_SKIPPABLE = frozenset(" \t\r\n\\'\"")


class SourceText:
    """A file's text with its line starts, to turn a line/column into an index and back."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.starts = [0]
        index = text.find("\n")
        while index >= 0:
            self.starts.append(index + 1)
            index = text.find("\n", index + 1)

    def index(self, loc: Loc) -> int:
        if not 1 <= loc.line <= len(self.starts):
            return len(self.text)
        return min(self.starts[loc.line - 1] + max(loc.column - 1, 0), len(self.text))

    def loc(self, index: int) -> Loc:
        line = bisect_right(self.starts, index)
        return Loc(self.path, line, index - self.starts[line - 1] + 1)


def segments(source: SourceText, start: Loc, value: str) -> Segments:
    """(offset in ``value``, location in the file) at each point where the two stop advancing together.

    ``start`` is where the scalar's node starts (its quote or block indicator, if any). If the file and
    the value cannot be matched (an escape such as ``\\x41``), the segments found so far are returned
    and later offsets are placed relative to the last one.
    """
    text, end = source.text, len(source.text)
    i = source.index(start)
    if i >= end:
        return ()
    if text[i] in "'\"":
        i += 1
    elif text[i] in "|>":
        newline = text.find("\n", i)
        if newline < 0:
            return ()
        i = newline + 1
    found: list[tuple[int, Loc]] = []
    in_step = False
    for offset, char in enumerate(value):
        if i < end and text[i] == char:
            if not in_step:
                found.append((offset, source.loc(i)))
                in_step = True
            i += 1
            continue
        j = i
        while j < end and text[j] != char and text[j] in _SKIPPABLE:
            j += 1
        if j >= end or text[j] != char:
            if char not in " \n":
                break
            while i < end and text[i] in " \t\r\n":  # a line break folded into this space
                i += 1
            in_step = False
            continue
        found.append((offset, source.loc(j)))
        in_step = True
        i = j + 1
    return tuple(found)


def locate(found: Sequence[tuple[int, Loc]], fallback: Loc, offset: int) -> Loc:
    """The location of ``offset`` given :func:`segments` (``fallback`` + offset if there are none)."""
    base, loc = 0, fallback
    for start, where in found:
        if start > offset:
            break
        base, loc = start, where
    return loc.shifted(offset - base)
