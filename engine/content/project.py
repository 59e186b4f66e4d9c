"""What every check needs about a story, computed once: the content, the names conditions may use,
and each condition parsed and type-checked (so compile and lint never parse the same text twice)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.content.bundle import Bundle
from engine.content.model import Condition, Content
from engine.expr import (
    BoolType,
    CheckResult,
    EnumType,
    Environment,
    IntType,
    StrType,
    check_source,
)


def environment(content: Content) -> Environment:
    variables: dict[str, IntType | BoolType | StrType | EnumType] = {}
    for name, decl in content.story.variables.items():
        if decl.type == "int":
            variables[name] = IntType(decl.min, decl.max)
        elif decl.type == "bool":
            variables[name] = BoolType()
        elif decl.type == "enum":
            variables[name] = EnumType(decl.values, False)
        else:
            variables[name] = StrType()
    scenes = frozenset(scene.key for scene in content.all_scenes())
    choices = frozenset(
        f"{scene.key}.{choice.id}" for scene in content.all_scenes() for choice in scene.choices if choice.id
    )
    return Environment(
        variables=variables,
        characters={c.id: IntType(c.bond_min, c.bond_max) for c in content.characters.values()},
        moods=content.moods.moods,
        scenes=scenes,
        choices=choices,
        chapters=frozenset(content.chapters),
        achievements=frozenset(content.achievements),
    )


@dataclass
class Project:
    content: Content
    env: Environment
    _checked: dict[tuple[str, str | None], CheckResult] = field(default_factory=dict)
    # The compiled bundle, once compiled (engine.content.compile): the softlock check plays the story
    # during lint, and publishing compiles the same project again right after.
    bundle: Bundle | None = None

    @classmethod
    def of(cls, content: Content) -> Project:
        return cls(content, environment(content))

    def checked(self, condition: Condition, chapter: str | None) -> CheckResult:
        key = (condition.source, chapter)
        result = self._checked.get(key)
        if result is None:
            result = check_source(condition.source, self.env, chapter)
            self._checked[key] = result
        return result

    def conditions(self) -> list[tuple[Condition, str | None, str]]:
        """Every condition in the story with the chapter it is read in and what it guards."""
        content = self.content
        found: list[tuple[Condition, str | None, str]] = []
        for chapter in content.chapters.values():
            if chapter.unlock:
                found.append((chapter.unlock, chapter.id, "unlock"))
            for scene in chapter.scenes.values():
                for choice in scene.choices:
                    if choice.if_:
                        found.append((choice.if_, chapter.id, "if"))
                    if choice.requires:
                        found.append((choice.requires, chapter.id, "requires"))
                for route in scene.routes:
                    if route.if_:
                        found.append((route.if_, chapter.id, "route"))
        for achievement in content.achievements.values():
            if achievement.when:
                found.append((achievement.when, None, "when"))
            for tier in achievement.tiers.values():
                found.append((tier, None, "tier"))
        for rule in content.rewards.rules:
            if rule.if_:
                found.append((rule.if_, None, "rule"))
        return found
