"""Resolve the argument of visited/chose/chapter_done/has against what the story declares.

Arguments are rewritten to their qualified form here, once, so that evaluation, references and
the runtime all key on one spelling: inside chapter `encuentro`, `visited('inicio')` and
`visited('encuentro.inicio')` are the same fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.expr.ast import Call, StrLit
from engine.expr.environment import FUNCTIONS, Environment
from engine.expr.issues import UNKNOWN_FUNCTION, UNKNOWN_REFERENCE, ExprIssue
from engine.expr.unparse import quote
from engine.expr.wording import closest, did_you_mean

_UNIQUE_CHOICE_HINT = "chose() only names choices that exist and have an `id`"


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def resolve_call(call: Call, env: Environment, chapter: str | None) -> tuple[Call, ExprIssue | None]:
    """The call with its argument qualified, and the issue if it names nothing."""
    match call.function:
        case "visited":
            return _scene(call, env, chapter)
        case "chose":
            return _choice(call, env, chapter)
        case "chapter_done":
            return call, _plain(call, env.chapters, "chapter")
        case "has":
            return call, _plain(call, env.achievements, "achievement")
        case _:
            return call, _unknown_function(call, env)


def _issue(call: Call, message: str, hint: str | None) -> ExprIssue:
    argument = call.argument
    return ExprIssue(UNKNOWN_REFERENCE, message, argument.start, argument.end, hint)


def _with_argument(call: Call, value: str) -> Call:
    argument = StrLit(value, start=call.argument.start, end=call.argument.end)
    return Call(call.function, argument, start=call.start, end=call.end)


def _closest(qualified: str, known: Iterable[str]) -> str | None:
    """The closest known name, compared on the last part among siblings when the prefix exists:
    whole qualified names share long prefixes, which would make any two of them look alike."""
    prefix, _, last = qualified.rpartition(".")
    known = list(known)
    siblings = [name.rpartition(".")[2] for name in known if name.rpartition(".")[0] == prefix]
    if siblings:
        match = closest(last, siblings)
        return f"{prefix}.{match}" if match else None
    return closest(qualified, known)


def _suggest(target: str, known: Iterable[str], chapter: str | None, local: bool) -> str | None:
    """A close match, spelled the way the writer spelled the argument (with or without chapter)."""
    match = _closest(target, known)
    if match is None:
        return None
    if local and chapter is not None:
        match = match.removeprefix(f"{chapter}.")
    return f"did you mean '{match}'?"


def _in_chapter(names: Iterable[str], chapter: str) -> list[str]:
    return [name for name in names if name.startswith(chapter + ".")]


def _scene(call: Call, env: Environment, chapter: str | None) -> tuple[Call, ExprIssue | None]:
    written = call.argument.value
    if "." in written:
        qualified, local = written, False
    elif chapter is None:
        endings = sorted(scene for scene in env.scenes if scene.endswith("." + written))
        example = f", e.g. {quote(endings[0])}" if endings else ""
        message = (
            f"visited({quote(written)}) must name the chapter too, "
            "because this condition is not inside a chapter."
        )
        return call, _issue(call, message, f"qualify it: 'chapter.scene'{example}")
    else:
        qualified, local = f"{chapter}.{written}", True
    if qualified in env.scenes:
        return _with_argument(call, qualified), None
    hint = _suggest(qualified, env.scenes, chapter, local)
    chapter_part = qualified.partition(".")[0]
    if hint is None and chapter_part not in env.chapters:
        hint = f"there is no chapter '{chapter_part}' either; write 'chapter.scene'"
    if hint is None:
        hint = "check the spelling of the scene id"
    return call, _issue(call, f"There is no scene '{qualified}'.", hint)


def _choice(call: Call, env: Environment, chapter: str | None) -> tuple[Call, ExprIssue | None]:
    written = call.argument.value
    dots = written.count(".")
    if dots >= 2:
        qualified, local = written, False
    elif dots == 0:
        return call, _choice_without_scene(call, env, chapter)
    elif chapter is None:
        message = (
            f"chose({quote(written)}) must name the chapter too, "
            "because this condition is not inside a chapter."
        )
        endings = sorted(choice for choice in env.choices if choice.endswith("." + written))
        example = f", e.g. {quote(endings[0])}" if endings else ""
        return call, _issue(call, message, f"qualify it: 'chapter.scene.choice_id'{example}")
    else:
        qualified, local = f"{chapter}.{written}", True
    if qualified in env.choices:
        return _with_argument(call, qualified), None
    scene, _, choice_id = qualified.rpartition(".")
    hint = _suggest(qualified, env.choices, chapter, local)
    if scene in env.scenes:
        message = f"Scene '{scene}' has no choice with id '{choice_id}', and {_UNIQUE_CHOICE_HINT}."
        if hint is None and _ID.match(choice_id):
            hint = f"if the choice exists, give it `id: {choice_id}`"
        elif hint is None:
            hint = "choices are named by their `id:` (lowercase letters, digits, _), not by position"
    else:
        message = f"There is no scene '{scene}' for chose({quote(written)})."
    return call, _issue(call, message, hint)


def _choice_without_scene(call: Call, env: Environment, chapter: str | None) -> ExprIssue:
    written = call.argument.value
    matches = sorted(choice for choice in env.choices if choice.endswith("." + written))
    if chapter is not None:
        local = _in_chapter(matches, chapter)
        if local:
            shown = local[0].removeprefix(chapter + ".")
            return _issue(
                call,
                f"chose({quote(written)}) must name the scene of the choice too.",
                f"did you mean '{shown}'?",
            )
    example = f", e.g. {quote(matches[0])}" if matches else ""
    hint = (
        f"write it as 'scene.choice_id'{example}"
        if chapter is not None
        else f"qualify it: 'chapter.scene.choice_id'{example}"
    )
    return _issue(call, f"chose({quote(written)}) must name the scene of the choice too.", hint)


def _plain(call: Call, known: frozenset[str], what: str) -> ExprIssue | None:
    written = call.argument.value
    if written in known:
        return None
    hint = did_you_mean(written, known)
    if "." in written:
        hint = f"{call.function}() takes a plain {what} id, without dots"
        first = written.partition(".")[0]
        if first in known:
            hint += f": did you mean '{first}'?"
    return _issue(call, f"There is no {what} '{written}'.", hint)


def _unknown_function(call: Call, env: Environment) -> ExprIssue:
    name = call.function
    hint = did_you_mean(name, FUNCTIONS)
    if hint is None and (name in env.variables or env.builtin(name) is not None):
        hint = f"{name} is a value, not a function: compare it instead, e.g. {name} == ..."
    if hint is None:
        hint = "the functions are " + ", ".join(FUNCTIONS[:-1]) + f" and {FUNCTIONS[-1]}"
    return ExprIssue(
        UNKNOWN_FUNCTION,
        f"'{name}' is not a function that conditions know.",
        call.start,
        call.start + len(name),
        hint,
    )
