"""What a JSON Schema cannot say about a scene: which combinations of keys make sense."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.project import Project
from engine.diagnostics import Diagnostic
from engine.lint.registry import check


@check("scene-shape", "D207", order=10)
def scene_shape(project: Project) -> Iterator[Diagnostic]:
    for scene in project.content.all_scenes():
        has = scene.present
        where = f"scene '{scene.id}'"
        if "choices" in has and "next" in has:
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} has both choices and next",
                hint="keep choices (buttons) or next (continue), not both",
            )
        if "input" in has and "next" not in has and "choices" not in has:
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} asks for input but has no next to route the reply",
                hint="add next: with routes like '- if: \"mood == 'triste'\"' and a fallback goto",
            )
        if "input" in has and "choices" in has:
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} has both input and choices",
                hint="a scene either waits for free text (input) or offers buttons (choices)",
            )
        if "ending" in has and ("choices" in has or "next" in has):
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} is an ending but also has choices or next",
                hint="an ending stops the chapter; use next_chapter to offer what comes after",
            )
        if "next_chapter" in has and "ending" not in has:
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} has next_chapter but is not an ending",
                hint="add ending: good|bad|neutral|secret, or use goto: chapter.scene in a choice",
            )
        if not has & {"choices", "next", "ending"}:
            yield diagnostic(
                "D207",
                scene.loc,
                f"{where} has no way on: no choices, no next and no ending",
                hint="add choices, a next scene, or mark it as an ending",
            )
        if scene.routes and not scene.next_is_plain:
            for index, route in enumerate(scene.routes):
                if route.if_ is None and index != len(scene.routes) - 1:
                    yield diagnostic(
                        "D207",
                        route.loc,
                        "a route without 'if' is the fallback and must be the last one",
                        hint="routes are tried in order; those after a fallback never run",
                    )
