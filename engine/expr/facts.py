"""What evaluating a condition may read about one player.

A protocol, not a class: the interpreter hands over its own state object and tests a plain
dataclass, and neither has to inherit from the expression package.
"""

from __future__ import annotations

from typing import Protocol


class Facts(Protocol):
    def variable(self, name: str) -> int | bool | str: ...

    @property
    def points(self) -> int: ...

    @property
    def vip(self) -> bool: ...

    @property
    def streak(self) -> int: ...

    @property
    def mood(self) -> str | None: ...

    def bond(self, character: str) -> int: ...

    def visited(self, scene: str) -> bool: ...

    def chose(self, choice: str) -> bool: ...

    def chapter_done(self, chapter: str) -> bool: ...

    def has(self, achievement: str) -> bool: ...
