"""``diana randomtest``: many random playthroughs on the real interpreter, and what they never saw.

Each run is a fresh player with a random profile (VIP or not, a starting balance), who presses random
enabled buttons, replies to mood questions with a random mood (or one the model does not recognise),
and at endings goes on, restarts or opens another chapter from the menu, for at most ``max_steps`` moves.
Everything is drawn from one ``random.Random(seed)``: the same seed gives the same report.

Reported: scenes and choices no run visited, endings with how many runs reached each, runtime errors
(an exception from the interpreter) with the moves that led there, players stuck with nothing to press,
and the coverage.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from engine.content.bundle import Bundle
from engine.lint.explore import begin, context, moves
from engine.play import Step, play

STARTING_POINTS = (0, 0, 0, 10, 50, 200, 1000)
STUCK_AFTER = 25  # moves in a row that change nothing: the player cannot go on


@dataclass(frozen=True, slots=True)
class Failure:
    run: int
    kind: str  # error | stuck
    message: str
    path: tuple[str, ...]
    vip: bool
    points: int

    def to_dict(self) -> dict[str, object]:
        return {
            "run": self.run,
            "kind": self.kind,
            "message": self.message,
            "path": list(self.path),
            "vip": self.vip,
            "points": self.points,
        }


@dataclass
class RandomTestReport:
    runs: int
    seed: int
    steps: int = 0
    scenes: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    visited: set[str] = field(default_factory=set)
    chosen: set[str] = field(default_factory=set)
    endings: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.kind == "error"]

    @property
    def stuck(self) -> list[Failure]:
        return [f for f in self.failures if f.kind == "stuck"]

    @property
    def unvisited_scenes(self) -> list[str]:
        return [key for key in self.scenes if key not in self.visited]

    @property
    def unvisited_choices(self) -> list[str]:
        return [key for key in self.choices if key not in self.chosen]

    @property
    def coverage(self) -> float:
        """Share of scenes and choices that some run visited (0..100)."""
        total = len(self.scenes) + len(self.choices)
        seen = len(self.scenes) - len(self.unvisited_scenes) + len(self.choices) - len(self.unvisited_choices)
        return 100.0 * seen / total if total else 100.0

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def to_dict(self) -> dict[str, object]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "steps": self.steps,
            "coverage": round(self.coverage, 1),
            "scenes": {"total": len(self.scenes), "unvisited": self.unvisited_scenes},
            "choices": {"total": len(self.choices), "unvisited": self.unvisited_choices},
            "endings": dict(sorted(self.endings.items())),
            "errors": [f.to_dict() for f in self.errors],
            "stuck": [f.to_dict() for f in self.stuck],
            "failed": self.failed,
        }


def endings_of(bundle: Bundle) -> list[str]:
    return [key for key, scene in bundle.scenes.items() if scene.ending]


def random_test(bundle: Bundle, *, runs: int, seed: int, max_steps: int = 200) -> RandomTestReport:
    rng = random.Random(seed)
    ctx = context(bundle)
    report = RandomTestReport(
        runs=runs,
        seed=seed,
        scenes=tuple(bundle.scenes),
        choices=tuple(
            f"{key}.{choice.key}" for key, scene in bundle.scenes.items() for choice in scene.choices
        ),
    )
    report.endings.update(dict.fromkeys(endings_of(bundle), 0))
    for run in range(runs):
        vip = rng.random() < 0.5
        points = rng.choice(STARTING_POINTS)
        path: list[str] = []
        try:
            step = begin(bundle, ctx, vip=vip, points=points)
            path.append(step.state.scene)
            reached: set[str] = set()
            idle = 0
            for _ in range(max_steps):
                _record(report, step, reached)
                options = moves(bundle, step)
                if not options:
                    report.failures.append(
                        Failure(
                            run, "stuck", f"nothing to press at {step.state.scene}", tuple(path), vip, points
                        )
                    )
                    break
                move = rng.choice(options)
                path.append(move.label)
                following = play(bundle, step.state, move.action, ctx)
                report.steps += 1
                if following.applied:
                    step = following
                    path.append(step.state.scene)
                    idle = 0
                    continue
                idle += 1
                if idle >= STUCK_AFTER:
                    report.failures.append(
                        Failure(
                            run, "stuck", f"no move goes on from {step.state.scene}", tuple(path), vip, points
                        )
                    )
                    break
            else:
                _record(report, step, reached)
        except Exception as exc:  # a runtime error is the finding, reported with the path to it
            report.failures.append(
                Failure(run, "error", f"{type(exc).__name__}: {exc}", tuple(path), vip, points)
            )
    return report


def _record(report: RandomTestReport, step: Step, reached: set[str]) -> None:
    state = step.state
    report.visited.update(state.visited)
    report.chosen.update(state.chosen)
    if step.view.ending and state.scene not in reached:
        reached.add(state.scene)
        report.endings[state.scene] += 1
