"""The story graph: what no player can reach, where a player gets stuck, chapters that never end."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.project import Project
from engine.diagnostics import Diagnostic
from engine.lint.graph import Analysis, analysis
from engine.lint.registry import check

MAX_LISTED = 6


def listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED])
    return shown + (f" and {len(keys) - MAX_LISTED} more" if len(keys) > MAX_LISTED else "")


def _way_in(found: Analysis, key: str) -> str:
    """Why nobody gets to ``key``: nothing leads there, or only exits that can never be taken."""
    sources = found.story.incoming.get(key, [])
    if not sources:
        return "nothing leads there"
    if not any(item.source in found.reachable for item in sources):
        return "only scenes nobody reaches lead there"
    return "every way in has a condition that can never be true"


@check(
    "story-graph",
    "D601",
    "D602",
    "D603",
    "D604",
    "D605",
    "D606",
    order=50,
)
def story_graph(project: Project) -> Iterator[Diagnostic]:
    found = analysis(project)
    content = project.content
    if found.story.start is None:
        return  # the start names no scene: D301 says so, and everything would look unreachable
    reachable = found.reachable
    start = found.story.start
    for chapter in content.chapters.values():
        keys = [scene.key for scene in chapter.scenes.values()]
        if not any(scene.ending for scene in chapter.scenes.values()):
            yield diagnostic(
                "D606",
                chapter.loc,
                f"chapter '{chapter.id}' has no ending scene, so it is never completed",
                hint="mark its last scene(s) with ending: good|bad|neutral|secret "
                "(chapter_done() and chapter_completed rewards need one)",
            )
        if keys and not any(key in reachable for key in keys):
            yield diagnostic(
                "D602",
                chapter.loc,
                f"no player can reach chapter '{chapter.id}' from the start ({start})",
                hint="lead to it from an ending (next_chapter), with a goto 'chapter.scene', "
                "or give it an unlock so it opens in the chapter menu",
            )
            continue
        for scene in chapter.scenes.values():
            if scene.key in reachable:
                continue
            why = _way_in(found, scene.key)
            if scene.ending:
                yield diagnostic(
                    "D603",
                    scene.loc,
                    f"no player can reach the ending '{scene.id}': {why}",
                    hint="add a choice or next that leads to it, or remove it",
                )
            else:
                yield diagnostic(
                    "D601",
                    scene.loc,
                    f"no player can reach scene '{scene.id}': {why}",
                    hint="add a choice or next that leads here, or remove the scene",
                )
    for scene in content.all_scenes():
        items = found.story.exits.get(scene.key, [])
        if scene.ending or not items or found.open_exits(scene.key):
            continue
        yield diagnostic(
            "D604",
            scene.loc,
            f"scene '{scene.id}' is a dead end: every way on has a condition that can never be true",
            hint="add a choice without conditions, or fix the conditions (see the never-true findings)",
        )
    yield from _traps(found)


def _traps(found: Analysis) -> Iterator[Diagnostic]:
    to_ending = found.to_ending
    content = found.content
    for members in found.components:
        if members[0] in to_ending or not found.cyclic(members):
            continue
        first = content.scene(members[0])
        assert first is not None
        yield diagnostic(
            "D605",
            first.loc,
            f"trap: from {listing(members)} no way leads to an ending; a player who gets here "
            "goes round in circles",
            hint="give one of these scenes a way out to an ending",
            related=tuple(s.loc for key in members[1:] if (s := content.scene(key)) is not None),
        )
