"""The playtest session behind ``diana play``: the real interpreter, in memory, plus writer's tools
(``:back``, ``:restart``, ``:goto``, ``:state``). Input handling is separate from printing so scripted
playthroughs and the interactive prompt run the very same code."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engine.content.bundle import Bundle
from engine.play import (
    Choose,
    Context,
    Continue,
    NextChapter,
    PlayerState,
    Restart,
    Say,
    Start,
    Step,
    View,
    new_state,
    play,
)

HELP = """\
Type a button's number (or a choice id) to choose it. On a mood scene, type any text.
  :state            show points, variables, bonds, mood, achievements
  :back             undo the last step
  :restart          start over (points and achievements stay)
  :goto CH.SCENE    jump to a scene (for testing)
  :help             this help
  :quit             leave"""


@dataclass
class Reply:
    """What one input produced: a new view, a note, or both."""

    view: View | None = None
    note: str | None = None
    state: dict[str, Any] | None = None
    quit: bool = False


@dataclass
class Playtest:
    bundle: Bundle
    ctx: Context
    state: PlayerState
    history: list[PlayerState] = field(default_factory=list)
    view: View | None = None

    @classmethod
    def begin(cls, bundle: Bundle, ctx: Context, *, points: int = 0, vip: bool = False) -> Playtest:
        session = cls(bundle, ctx, new_state(bundle, points=points, vip=vip))
        session._apply(play(bundle, session.state, Start(), ctx), remember=False)
        return session

    def _apply(self, step: Step, *, remember: bool = True) -> Reply:
        if step.applied and remember:
            self.history.append(self.state)
        self.state = step.state
        self.view = step.view
        return Reply(step.view, step.message)

    def handle(self, line: str) -> Reply:
        text = line.strip()
        if not text:
            return Reply(note="type a number, a choice id or :help")
        if text.startswith(":"):
            return self.command(text)
        assert self.view is not None
        view = self.view
        if text.isdigit():
            number = int(text)
            if not 1 <= number <= len(view.buttons):
                return Reply(note=f"there is no button {number}")
            return self.press(number)
        for number, button in enumerate(view.buttons, start=1):
            scene = self.bundle.scenes[view.scene]
            if button.action == "choose" and scene.choices[button.index].key == text:
                return self.press(number)
        if view.expects == "mood":
            return self._apply(play(self.bundle, self.state, Say(text), self.ctx))
        return Reply(note=f"'{text}' is neither a button number nor a choice id here (:help)")

    def press(self, number: int) -> Reply:
        assert self.view is not None
        button = self.view.buttons[number - 1]
        turn = self.view.turn
        if button.action == "choose":
            action: Choose | Continue | NextChapter | Restart = Choose(button.index, turn)
        elif button.action == "continue":
            action = Continue(turn)
        elif button.action == "next_chapter":
            action = NextChapter(turn)
        else:
            action = Restart()
        return self._apply(play(self.bundle, self.state, action, self.ctx))

    def command(self, text: str) -> Reply:
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        if name in (":q", ":quit", ":exit"):
            return Reply(quit=True)
        if name == ":help":
            return Reply(note=HELP)
        if name == ":state":
            return Reply(state=self.describe_state())
        if name == ":back":
            if not self.history:
                return Reply(note="nothing to undo")
            self.state = self.history.pop()
            return self._apply(play(self.bundle, self.state, Start(), self.ctx), remember=False)
        if name == ":restart":
            return self._apply(play(self.bundle, self.state, Restart(), self.ctx))
        if name == ":goto":
            if argument not in self.bundle.scenes:
                return Reply(note=f"no scene '{argument}' (write chapter.scene)")
            self.history.append(self.state)
            self.state = replace(
                self.state,
                scene=argument,
                turn=self.state.turn + 1,
                visited=self.state.visited | {argument},
            )
            return self._apply(play(self.bundle, self.state, Start(), self.ctx), remember=False)
        return Reply(note=f"unknown command {name} (:help)")

    def describe_state(self) -> dict[str, Any]:
        state = self.state
        return {
            "scene": state.scene,
            "points": state.points,
            "vip": state.vip,
            "streak": state.streak,
            "mood": state.mood,
            "variables": dict(state.variables),
            "bonds": dict(state.bonds),
            "achievements": dict(state.achievements),
            "chapters_done": sorted(state.chapters_done),
            "visited": len(state.visited),
        }
