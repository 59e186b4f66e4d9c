"""What a player can do. Button actions carry the ``turn`` of the view they were pressed on, so a button
from an old message (or a double click) is recognised as stale instead of being applied twice."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Start:
    """Begin the story, or show where the player is if they already began."""


@dataclass(frozen=True, slots=True)
class Refresh:
    """Show the current view again (no change)."""


@dataclass(frozen=True, slots=True)
class Choose:
    index: int  # the choice's position in its scene (stable for one view)
    turn: int


@dataclass(frozen=True, slots=True)
class Continue:
    turn: int


@dataclass(frozen=True, slots=True)
class NextChapter:
    turn: int


@dataclass(frozen=True, slots=True)
class Say:
    text: str


@dataclass(frozen=True, slots=True)
class Restart:
    """Play the story again from the start; points, achievements and finished chapters stay."""


@dataclass(frozen=True, slots=True)
class EnterChapter:
    chapter: str


Action = Start | Refresh | Choose | Continue | NextChapter | Say | Restart | EnterChapter
