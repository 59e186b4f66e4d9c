"""Variables nobody reads or writes, comparisons that can never be true, achievements nobody can get."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.model import Condition
from engine.content.project import Project
from engine.content.richtext import placeholders
from engine.diagnostics import Diagnostic, Loc
from engine.expr import And, Bond, Call, Compare, Expr, In, Name, Not, Or, parse, references, walk
from engine.expr.issues import ExprSyntaxError
from engine.lint.checks.text import player_texts
from engine.lint.domain import FALSE, all_effects, name_key
from engine.lint.graph import Analysis, analysis
from engine.lint.registry import check


def positive_atoms(tree: Expr, positive: bool = True) -> Iterator[Expr]:
    """The tests in a condition that make it true when they are true (not under a ``not``)."""
    match tree:
        case Not(operand=operand):
            yield from positive_atoms(operand, not positive)
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from positive_atoms(operand, positive)
        case Compare() | In() | Name() | Bond() | Call():
            if positive:
                yield tree
        case _:
            return


def condition_reads(project: Project) -> dict[str, list[Loc]]:
    """Variable -> where conditions read it (also for conditions with errors, parsed as far as they go)."""
    found: dict[str, list[Loc]] = {}
    for condition, chapter, _ in project.conditions():
        tree = project.checked(condition, chapter).tree
        if tree is None:
            try:
                tree = parse(condition.source)
            except ExprSyntaxError:
                continue
        for name in references(tree).variables:
            found.setdefault(name, []).append(_first_read(condition, tree, name))
    return found


def _first_read(condition: Condition, tree: Expr, name: str) -> Loc:
    for node in walk(tree):
        if isinstance(node, Name) and node.name == name:
            return condition.at(node.start)
    return condition.loc


def text_reads(project: Project) -> set[str]:
    return {
        name
        for text, _ in player_texts(project.content)
        for value in text.values.values()
        for name, _ in placeholders(value)
    }


def why_never(found: Analysis, atom: Expr, source: str) -> str | None:
    """Why a test can never be true, or None if it can (or the analysis cannot tell)."""
    if isinstance(atom, Call):
        if found.call_truth(atom) == FALSE:
            target = atom.argument.value
            scene = target.rpartition(".")[0] if atom.function == "chose" else target
            return f"{source} can never be true: no player can reach '{scene}'"
        return None
    if found.possible.truth(atom) != FALSE:
        return None
    keys = [k for node in _operands(atom) if (k := name_key(node)) is not None]
    detail = f" ({keys[0]} is {found.possible.describe(keys[0])})" if keys else ""
    return f"{source} can never be true{detail}"


def _operands(atom: Expr) -> list[Expr]:
    if isinstance(atom, Compare):
        return [atom.left, atom.right]
    if isinstance(atom, In):
        return [atom.operand]
    return [atom]


@check("variables", "D705", "D706", "D707", "D708", "D709", order=60)
def variables(project: Project) -> Iterator[Diagnostic]:
    content = project.content
    found = analysis(project)
    reads = condition_reads(project)
    in_texts = text_reads(project)
    written = found.possible.written
    # A misspelt name in a condition or an effect is reported where it is written; until it is fixed,
    # "never read" or "never written" about the name the writer meant would be noise.
    reads_known = all(project.checked(c, chapter).ok for c, chapter, _ in project.conditions())
    writes_known = all(
        name in content.story.variables
        for effects in all_effects(content)
        for name in [*effects.set, *effects.add]
    )
    for name, decl in content.story.variables.items():
        if name not in reads and name not in in_texts and reads_known:
            what = "set by effects" if name in written else "declared"
            yield diagnostic(
                "D705",
                decl.loc,
                f"variable '{name}' is {what} but no condition or text reads it",
                hint=f"read it in a condition or as {{{name}}} in a text, or remove it",
            )
        elif name in reads and name not in written and writes_known:
            shown = str(decl.default).lower() if isinstance(decl.default, bool) else repr(decl.default)
            yield diagnostic(
                "D706",
                decl.loc,
                f"conditions read '{name}' but no effect ever changes it: it is always {shown}",
                hint=f"set or add it in an effect (effects: set: {{{name}: ...}}), or drop the conditions",
                related=tuple(reads[name][:5]),
            )
    never_written = {n for n in content.story.variables if n in reads and n not in written}
    yield from _achievements(found, values_known=writes_known)
    if not writes_known:
        return  # what a variable can hold is unknown while an effect writes a misspelt name
    for condition, chapter, kind in project.conditions():
        if kind in ("when", "tier"):
            continue
        tree = found.tree(condition, chapter)
        if tree is None:
            continue
        for atom in positive_atoms(tree):
            if any(name_key(node) in never_written for node in _operands(atom)):
                continue  # D706 explains it at the declaration
            why = why_never(found, atom, condition.source[atom.start : atom.end])
            if why is not None:
                yield diagnostic(
                    "D707",
                    condition.at(atom.start),
                    why,
                    hint="check the number or value against the declaration in story.yaml",
                )


def _achievements(found: Analysis, *, values_known: bool) -> Iterator[Diagnostic]:
    content = found.content
    granted = {e.achievement.value for e in all_effects(content) if e.achievement}
    for achievement in content.achievements.values():
        if achievement.when is None and not achievement.tiers and achievement.id not in granted:
            yield diagnostic(
                "D709",
                achievement.loc,
                f"nothing can grant achievement '{achievement.id}': it has no when, no tiers and "
                "no effect gives it",
                hint=f'add when: "..." or an effect achievement: {achievement.id}',
            )
        conditions: list[tuple[str, Condition]] = []
        if achievement.when is not None and values_known:
            conditions.append(("when", achievement.when))
        conditions += list(achievement.tiers.items()) if values_known else []
        for label, condition in conditions:
            tree = found.tree(condition, None)
            if tree is None or True in found.possible.truth(tree, found.call_truth):
                continue
            atom = next(
                (
                    a
                    for a in positive_atoms(tree)
                    if why_never(found, a, condition.source[a.start : a.end]) is not None
                ),
                tree,
            )
            reason = why_never(found, atom, condition.source[atom.start : atom.end])
            where = "its condition" if label == "when" else f"its {label} tier"
            yield diagnostic(
                "D708",
                condition.at(atom.start),
                f"achievement '{achievement.id}' can never be unlocked: {where} can never be true"
                + (f"; {reason}" if reason else ""),
                hint="compare with values the variables can hold, or name a scene players reach",
            )
