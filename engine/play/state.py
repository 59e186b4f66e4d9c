"""A player's place in the story and everything conditions can read about them.

The state is a plain immutable value with its own format version, so the service can store it as JSON and
a future engine can refuse (or migrate) a state it does not understand instead of misreading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.content.bundle import Bundle
from engine.economy import EconomyState

STATE_FORMAT = 1


class StateFormatError(ValueError):
    """A saved state this engine cannot read."""


@dataclass(frozen=True, slots=True)
class PlayerState:
    scene: str = ""  # "chapter.scene"; "" before the story began
    turn: int = 0  # bumps with every applied action: a view's buttons carry it
    variables: Mapping[str, int | bool | str] = field(default_factory=dict)
    bonds: Mapping[str, int] = field(default_factory=dict)
    visited: frozenset[str] = frozenset()
    chosen: frozenset[str] = frozenset()
    chapters_done: frozenset[str] = frozenset()
    mood: str | None = None
    achievements: Mapping[str, str] = field(default_factory=dict)  # id -> highest tier ("" if none)
    points: int = 0
    vip: bool = False  # read-time fact supplied by the caller (VIP expiry is checked outside)
    economy: EconomyState = field(default_factory=EconomyState)
    format: int = STATE_FORMAT

    @property
    def chapter(self) -> str:
        return self.scene.partition(".")[0]

    @property
    def started(self) -> bool:
        return bool(self.scene)

    @property
    def streak(self) -> int:
        return self.economy.streak

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "scene": self.scene,
            "turn": self.turn,
            "variables": dict(self.variables),
            "bonds": dict(self.bonds),
            "visited": sorted(self.visited),
            "chosen": sorted(self.chosen),
            "chapters_done": sorted(self.chapters_done),
            "mood": self.mood,
            "achievements": dict(self.achievements),
            "points": self.points,
            "economy": self.economy.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, vip: bool = False) -> PlayerState:
        version = data.get("format")
        if version != STATE_FORMAT:
            raise StateFormatError(
                f"saved player state has format {version!r}; this engine reads format {STATE_FORMAT}"
            )
        return cls(
            scene=str(data.get("scene", "")),
            turn=int(data.get("turn", 0)),
            variables=dict(data.get("variables", {})),
            bonds={str(k): int(v) for k, v in dict(data.get("bonds", {})).items()},
            visited=frozenset(data.get("visited", ())),
            chosen=frozenset(data.get("chosen", ())),
            chapters_done=frozenset(data.get("chapters_done", ())),
            mood=data.get("mood"),
            achievements={str(k): str(v) for k, v in dict(data.get("achievements", {})).items()},
            points=int(data.get("points", 0)),
            vip=vip,
            economy=EconomyState.from_dict(data.get("economy", {})),
        )


def default_variables(bundle: Bundle) -> dict[str, int | bool | str]:
    return {name: spec.default for name, spec in bundle.variables.items()}


def default_bonds(bundle: Bundle) -> dict[str, int]:
    return {cid: spec.bond_default for cid, spec in bundle.characters.items()}


def new_state(bundle: Bundle, *, points: int = 0, vip: bool = False) -> PlayerState:
    return PlayerState(
        variables=default_variables(bundle), bonds=default_bonds(bundle), points=points, vip=vip
    )


def reconcile(bundle: Bundle, state: PlayerState) -> PlayerState:
    """Fit a saved state to a (possibly newer) bundle: new variables get defaults, removed ones go,
    values that no longer fit their declaration fall back to the default."""
    variables: dict[str, int | bool | str] = {}
    for name, spec in bundle.variables.items():
        value = state.variables.get(name, spec.default)
        if spec.type == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if ok:
                assert isinstance(value, int)
                low = spec.min if spec.min is not None else value
                high = spec.max if spec.max is not None else value
                value = min(max(value, low), high)
        elif spec.type == "bool":
            ok = isinstance(value, bool)
        elif spec.type == "enum":
            ok = isinstance(value, str) and value in spec.values
        else:
            ok = isinstance(value, str)
        variables[name] = value if ok else spec.default
    bonds = {
        cid: min(max(state.bonds.get(cid, spec.bond_default), spec.bond_min), spec.bond_max)
        for cid, spec in bundle.characters.items()
    }
    if variables == dict(state.variables) and bonds == dict(state.bonds):
        return state
    return replace(state, variables=variables, bonds=bonds)
