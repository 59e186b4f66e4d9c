"""Find a shortest input script from a fresh player to every ending of the example story.

Breadth-first search over the real interpreter's states (the same code players run), trying every open
button and, on mood scenes, one example reply per mood. The scripts it writes to tests/play/scripts/ are
what `diana play --script` replays in tests/play/test_example_story.py. Run it again after changing the
story's structure:

    .venv/bin/python -m tests.play.find_scripts   # a breadth-first search: takes minutes
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from engine.content.api import build_path
from engine.content.bundle import Bundle
from engine.mood import KeywordClassifier
from engine.play import Choose, Context, Continue, NextChapter, PlayerState, Say, Start, new_state, play

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
MAX_DEPTH = 80


def _key(state: PlayerState) -> str:
    data = state.to_dict()
    data.pop("turn")
    data.pop("economy")
    data["visited"] = []  # where a player has been matters only through variables/conditions
    return json.dumps(data, sort_keys=True)


def find(bundle: Bundle, *, vip: bool, locale: str = "es") -> dict[str, list[str]]:
    classifier = KeywordClassifier(bundle.moods.examples)
    ctx = Context(locale=locale, classify=classifier)
    replies = {mood: examples[0] for mood, examples in bundle.moods.examples[locale].items() if examples}
    first = play(bundle, new_state(bundle, vip=vip), Start(), ctx)
    queue: deque[tuple[PlayerState, list[str], object]] = deque([(first.state, [], first.view)])
    seen = {_key(first.state)}
    found: dict[str, list[str]] = {}
    endings = {k for k, s in bundle.scenes.items() if s.ending}
    while queue and len(found) < len(endings):
        state, script, view = queue.popleft()
        if state.scene in endings and state.scene not in found:
            found[state.scene] = script
        if len(script) >= MAX_DEPTH:
            continue
        moves: list[tuple[str, object]] = []
        if view.expects == "mood":  # type: ignore[attr-defined]
            moves = [(text, Say(text)) for text in replies.values()]
        for number, button in enumerate(view.buttons, start=1):  # type: ignore[attr-defined]
            if not button.enabled or button.action == "restart":
                continue
            action = (
                Choose(button.index, state.turn)
                if button.action == "choose"
                else Continue(state.turn)
                if button.action == "continue"
                else NextChapter(state.turn)
            )
            moves.append((str(number), action))
        for label, action in moves:
            step = play(bundle, state, action, ctx)  # type: ignore[arg-type]
            if not step.applied:
                continue
            key = _key(step.state)
            if key in seen:
                continue
            seen.add(key)
            queue.append((step.state, [*script, label], step.view))
    return found


def main() -> None:
    _, bundle = build_path(ROOT / "content")
    SCRIPTS.mkdir(exist_ok=True)
    free = find(bundle, vip=False)
    vip = find(bundle, vip=True)
    for ending in sorted(k for k, s in bundle.scenes.items() if s.ending):
        profile, script = ("free", free[ending]) if ending in free else ("vip", vip.get(ending))
        if script is None:
            raise SystemExit(f"no path found to {ending}")
        header = f"# profile: {profile}\n# ending: {ending}\n"
        (SCRIPTS / f"{ending}.txt").write_text(header + "\n".join(script) + "\n", encoding="utf-8")
        print(f"{ending:28} {profile:4} {len(script)} steps")


if __name__ == "__main__":
    main()
