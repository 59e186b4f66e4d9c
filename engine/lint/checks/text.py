"""Player-visible texts: placeholders, Telegram HTML and limits, and translations."""

from __future__ import annotations

from collections.abc import Iterator

from engine.codes import diagnostic
from engine.content.model import Content, Text
from engine.content.project import Project
from engine.content.richtext import check_html, placeholders, telegram_length
from engine.content.sourcemap import locate, segments
from engine.diagnostics import Diagnostic, Loc
from engine.lint.checks.references import did_you_mean
from engine.lint.registry import check

BUILTIN_PLACEHOLDERS = ("name", "points", "currency", "streak")
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
BUTTON_LIMIT = 64
MAX_BUTTONS = 8
# The lowest length limit checked below for each kind of text (titles have none).
_SMALLEST_LIMIT = {
    "message": MESSAGE_LIMIT,
    "text": MESSAGE_LIMIT,
    "caption": CAPTION_LIMIT,
    "button": BUTTON_LIMIT,
}


def player_texts(content: Content) -> Iterator[tuple[Text, str]]:
    """Every text a player can see, with what kind of text it is."""
    story = content.story
    yield story.title, "title"
    for chapter in content.chapters.values():
        yield chapter.title, "title"
        if chapter.description:
            yield chapter.description, "text"
        for scene in chapter.scenes.values():
            yield scene.text, "caption" if scene.media else "message"
            for choice in scene.choices:
                yield choice.text, "button"
    for achievement in content.achievements.values():
        yield achievement.title, "title"
        if achievement.description:
            yield achievement.description, "text"
    for product in content.products.values():
        yield product.title, "button"
        if product.description:
            yield product.description, "text"
    yield content.rewards.currency_name, "title"
    for level in content.rewards.levels:
        yield level.name, "title"
    yield from ((name, "title") for name in content.moods.names.values())


@check("text", "D308", "D501", "D502", "D503", "D504", "D505", "D506", "D507", "D508", order=40)
def texts(project: Project) -> Iterator[Diagnostic]:
    content = project.content
    locales = content.story.locales
    known = set(BUILTIN_PLACEHOLDERS) | set(content.story.variables)
    for text, kind in player_texts(content):
        if not text.values:
            continue
        yield from _translations(text, locales)
        names_by_locale: dict[str, set[str]] = {}
        for locale, value in text.values.items():
            loc = text.loc_of(locale)
            names_by_locale[locale] = set()
            for name, offset in placeholders(value):
                names_by_locale[locale].add(name)
                if name not in known:
                    yield diagnostic(
                        "D501",
                        inside(content, loc, value, offset),
                        f"unknown placeholder {{{name}}}" + (f" ({locale})" if not text.plain else ""),
                        hint=did_you_mean(name, known) or f"placeholders: {', '.join(sorted(known))}",
                    )
            for problem in check_html(value):
                where = inside(content, loc, value, problem.offset)
                yield diagnostic("D502", where, problem.message, hint=problem.hint)
            # Telegram counts at most two UTF-16 units per character written (tags and entities only
            # shorten the visible text), so a short text needs no counting: most texts at 100k scenes.
            limit = _SMALLEST_LIMIT.get(kind)
            if limit is None or len(value) * 2 <= limit:
                continue
            length = telegram_length(value)
            if length > MESSAGE_LIMIT and kind in ("message", "caption", "text"):
                yield diagnostic(
                    "D503",
                    loc,
                    f"text is {length} characters; Telegram's limit is {MESSAGE_LIMIT}",
                    hint="split it into two scenes joined by next:",
                )
            elif kind == "caption" and length > CAPTION_LIMIT:
                yield diagnostic(
                    "D507",
                    loc,
                    f"text under media is {length} characters; captions hold {CAPTION_LIMIT}",
                    hint="the bot will send the media and the text as two messages",
                )
            if kind == "button" and length > BUTTON_LIMIT:
                yield diagnostic(
                    "D506",
                    loc,
                    f"button text is {length} characters; Telegram shows about {BUTTON_LIMIT}",
                    hint="shorten it; put the detail in the scene text",
                )
        distinct = {frozenset(names) for names in names_by_locale.values()}
        if len(distinct) > 1:
            detail = "; ".join(
                f"{locale}: {', '.join(sorted(names)) or 'none'}" for locale, names in names_by_locale.items()
            )
            yield diagnostic(
                "D505",
                text.loc,
                f"placeholders differ between locales ({detail})",
                hint="each translation should use the same {placeholders}",
            )
    for scene in content.all_scenes():
        if len(scene.choices) > MAX_BUTTONS:
            yield diagnostic(
                "D508",
                scene.loc,
                f"scene '{scene.id}' has {len(scene.choices)} choices; more than {MAX_BUTTONS} "
                "crowd a phone screen",
                hint="split the choice into two steps",
            )


def inside(content: Content, start: Loc, value: str, offset: int) -> Loc:
    """Where character ``offset`` of the text ``value`` (whose scalar starts at ``start``) is written."""
    source = content.files.get(start.file)
    if source is None or source.source is None:
        return start
    return locate(segments(source.source, start, value), start, offset)


def _translations(text: Text, locales: tuple[str, ...]) -> Iterator[Diagnostic]:
    if text.plain:
        if len(locales) > 1:
            yield diagnostic(
                "D504",
                text.loc,
                f"text has no translations; players in {', '.join(locales[1:])} see the {locales[0]} text",
                hint="write it as a map: {" + ", ".join(f"{lo}: ..." for lo in locales) + "}",
            )
        return
    for locale in text.values:
        if locale not in locales:
            yield diagnostic(
                "D308",
                text.key_locs.get(locale, text.loc_of(locale)),
                f"locale '{locale}' is not declared in story.yaml",
                hint=did_you_mean(locale, locales) or "add it to locales: in story.yaml",
            )
    missing = [locale for locale in locales if not text.values.get(locale)]
    if missing:
        yield diagnostic(
            "D504",
            text.loc,
            f"missing translation: {', '.join(missing)}",
            hint=f"add {missing[0]}: ... to this text",
        )
