"""Will a new bundle strand players? Counted before a release is activated.

Players are carried over by scene id, then by ``aliases``, else moved to their chapter's start (or the
story's start) with a notice. Those last ones are "stranded": the publisher shows them per scene and
refuses without ``--force``. So are players whose saved variables no longer fit the declarations, and
players sitting in a chapter that has become VIP-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.content.bundle import Bundle, VariableSpec


@dataclass(frozen=True, slots=True)
class Compatibility:
    stranded: Mapping[str, int] = field(default_factory=dict)  # old scene -> players moved to a start
    aliased: Mapping[str, int] = field(default_factory=dict)  # old scene -> players carried by alias
    mistyped: Mapping[str, int] = field(
        default_factory=dict
    )  # variable -> players whose value no longer fits
    now_vip: Mapping[str, int] = field(default_factory=dict)  # scene -> players in a chapter now VIP-only

    @property
    def blocking(self) -> bool:
        return bool(self.stranded or self.mistyped or self.now_vip)

    @property
    def affected(self) -> int:
        return sum(self.stranded.values()) + sum(self.mistyped.values()) + sum(self.now_vip.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "stranded": dict(self.stranded),
            "aliased": dict(self.aliased),
            "mistyped": dict(self.mistyped),
            "now_vip": dict(self.now_vip),
            "blocking": self.blocking,
        }


def _fits(spec: VariableSpec, value: object) -> bool:
    if spec.type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "enum":
        return isinstance(value, str) and value in spec.values
    return isinstance(value, str)


def check_compatibility(
    new: Bundle,
    old: Bundle | None,
    players_by_scene: Mapping[str, int],
    player_variables: Iterable[tuple[str, Mapping[str, object]]] = (),
) -> Compatibility:
    stranded: Counter[str] = Counter()
    aliased: Counter[str] = Counter()
    now_vip: Counter[str] = Counter()
    for scene, count in players_by_scene.items():
        if scene in new.scenes:
            chapter = new.scenes[scene].chapter
            was_vip = old is not None and chapter in old.chapters and old.chapters[chapter].vip
            if new.chapters[chapter].vip and not was_vip:
                now_vip[scene] += count
        elif scene in new.aliases:
            aliased[scene] += count
        else:
            stranded[scene] += count
    mistyped: Counter[str] = Counter()
    for _, variables in player_variables:
        for name, value in variables.items():
            spec = new.variables.get(name)
            if spec is not None and not _fits(spec, value):
                mistyped[name] += 1
    return Compatibility(dict(stranded), dict(aliased), dict(mistyped), dict(now_vip))
