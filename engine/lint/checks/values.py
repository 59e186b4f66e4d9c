"""Effects must fit the variables they write: types, ranges and enum values."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.model import Effects, VarDecl
from engine.content.project import Project
from engine.diagnostics import Diagnostic
from engine.lint.checks.references import did_you_mean
from engine.lint.registry import check

_TYPE_WORD = {
    "int": "a whole number",
    "bool": "true or false",
    "enum": "one of its values",
    "str": "a text",
}


def _fits(decl: VarDecl, value: object) -> bool:
    if decl.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if decl.type == "bool":
        return isinstance(value, bool)
    return isinstance(value, str)


def _effect_problems(effects: Effects, variables: dict[str, VarDecl]) -> Iterator[Diagnostic]:
    for name, item in effects.set.items():
        decl = variables.get(name)
        if decl is None:
            continue  # reported by the references check
        if not _fits(decl, item.value):
            yield diagnostic(
                "D309",
                item.loc,
                f"'{name}' is {decl.type}; set it to {_TYPE_WORD[decl.type]}, not {item.value!r}",
            )
        elif decl.type == "enum" and item.value not in decl.values:
            yield diagnostic(
                "D310",
                item.loc,
                f"'{item.value}' is not a value of '{name}' ({', '.join(decl.values)})",
                hint=did_you_mean(str(item.value), decl.values),
            )
        elif decl.type == "int" and isinstance(item.value, int):
            low, high = decl.min, decl.max
            if (low is not None and item.value < low) or (high is not None and item.value > high):
                yield diagnostic(
                    "D310",
                    item.loc,
                    f"set {name}: {item.value} is outside its range "
                    f"{'' if low is None else low}..{'' if high is None else high}",
                    hint="use add: to move it (add is clamped), or widen min/max in story.yaml",
                )
    for name, add in effects.add.items():
        decl = variables.get(name)
        if decl is not None and decl.type != "int":
            yield diagnostic(
                "D309",
                add.loc,
                f"add only works on int variables; '{name}' is {decl.type}",
                hint=f"use set: {{{name}: ...}} instead",
            )


@check("effect-values", "D309", "D310", order=30)
def effect_values(project: Project) -> Iterator[Diagnostic]:
    variables = project.content.story.variables
    for scene in project.content.all_scenes():
        if scene.on_enter:
            yield from _effect_problems(scene.on_enter, variables)
        for choice in scene.choices:
            if choice.effects:
                yield from _effect_problems(choice.effects, variables)
