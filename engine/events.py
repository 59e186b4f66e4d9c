"""Domain events: what happened in a player's story, for reward rules, the outbox and analytics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

EVENT_TYPES = (
    "story_started",
    "choice_made",
    "scene_entered",
    "chapter_completed",
    "ending_reached",
    "daily_checkin",
    "achievement_unlocked",
    "purchase_completed",
    "referral_joined",
)


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    chapter: str | None = None
    scene: str | None = None
    data: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "chapter": self.chapter,
            "scene": self.scene,
            "data": dict(self.data),
        }
