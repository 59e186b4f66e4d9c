"""What a front-end shows: already localized and rendered, so the bot and the terminal show the same."""

from __future__ import annotations

from dataclasses import dataclass

from engine.content.bundle import MediaSpec

OPEN, LOCKED, VIP, UNAFFORDABLE = "open", "locked", "vip", "unaffordable"


@dataclass(frozen=True, slots=True)
class Button:
    action: str  # choose | continue | next_chapter | restart
    index: int  # choice index for `choose`, else 0
    text: str  # the writer's text, rendered
    label: str  # what the button shows (lock mark, price)
    status: str = OPEN
    reason: str | None = None  # why it is locked, for a tap on a locked button
    cost: int = 0

    @property
    def enabled(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True, slots=True)
class View:
    scene: str
    chapter: str
    turn: int
    locale: str
    text: str  # Telegram HTML
    buttons: tuple[Button, ...]
    points: int
    currency: str
    speaker: str | None = None
    media: MediaSpec | None = None
    ending: str | None = None
    expects: str | None = None  # "mood" when the scene waits for a free-text reply
    notices: tuple[str, ...] = ()  # localized lines: points earned, achievements, warnings
    offer: str | None = None  # "vip" when the player tapped something only VIP can open
