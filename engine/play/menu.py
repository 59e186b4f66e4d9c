"""The chapter menu a player sees (/chapters): which chapters are done, open, locked or VIP-only."""

from __future__ import annotations

from dataclasses import dataclass

from engine.content.bundle import Bundle
from engine.play.interpreter import Context, _Turn, chapter_gate, resume
from engine.play.state import PlayerState

DONE, CURRENT, OPEN, LOCKED, VIP, UNSEEN = "done", "current", "open", "locked", "vip", "unseen"


@dataclass(frozen=True, slots=True)
class ChapterEntry:
    id: str
    title: str
    status: str  # done | current | open | locked | vip | unseen
    reason: str | None = None

    @property
    def enterable(self) -> bool:
        return self.status in (DONE, CURRENT, OPEN)


def chapter_menu(bundle: Bundle, state: PlayerState, ctx: Context) -> list[ChapterEntry]:
    """Chapters in order. A chapter is enterable when it is not gated and the player has been in it,
    or it is the first chapter, or it has an ``unlock`` condition that is now true (a reward, not a
    spoiler). Chapters reachable only by playing on are "unseen" until then."""
    state, _ = resume(bundle, state, ctx.locale)
    facts = _Turn(bundle, state, ctx)
    entries = []
    for chapter in sorted(bundle.chapters.values(), key=lambda c: c.order):
        title = bundle.text(dict(chapter.title), ctx.locale)
        gate = chapter_gate(bundle, chapter, facts)
        seen = any(key in state.visited for key in chapter.scenes)
        if gate is not None:
            entries.append(ChapterEntry(chapter.id, title, gate.status, gate.reason))
        elif chapter.id == state.chapter:
            entries.append(ChapterEntry(chapter.id, title, CURRENT))
        elif chapter.id in state.chapters_done:
            entries.append(ChapterEntry(chapter.id, title, DONE))
        elif seen or chapter.unlock is not None or bundle.start.startswith(chapter.id + "."):
            entries.append(ChapterEntry(chapter.id, title, OPEN))
        else:
            entries.append(ChapterEntry(chapter.id, title, UNSEEN))
    return entries
