"""Every name a writer uses must name something that exists: scenes, chapters, characters, media..."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from engine.codes import diagnostic
from engine.content.model import Content, Scene
from engine.content.project import Project
from engine.diagnostics import Diagnostic, Loc
from engine.lint.registry import check


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def aliases(content: Content) -> dict[str, str]:
    """Former scene keys -> current scene keys."""
    found = {}
    for scene in content.all_scenes():
        for alias in scene.aliases:
            found[f"{scene.chapter}.{alias.value}"] = scene.key
    return found


def _scene_ref(
    content: Content, ref: str, chapter: str, loc: Loc, what: str, alias_map: dict[str, str]
) -> Iterator[Diagnostic]:
    key = content.qualify(ref, chapter)
    if content.scene(key) is not None:
        return
    target_chapter, _, scene_id = key.partition(".")
    if target_chapter not in content.chapters:
        yield diagnostic(
            "D301",
            loc,
            f"{what} '{ref}' names chapter '{target_chapter}', which does not exist",
            hint=did_you_mean(target_chapter, content.chapters) or f"chapters: {', '.join(content.chapters)}",
        )
        return
    if key in alias_map:
        yield diagnostic(
            "D301",
            loc,
            f"{what} '{ref}' is a former id (an alias) of '{alias_map[key]}'",
            hint=f"write the scene's current id: '{alias_map[key].partition('.')[2]}'",
        )
        return
    scenes = content.chapters[target_chapter].scenes
    hint = did_you_mean(scene_id, scenes)
    if hint is None and "." not in ref:
        elsewhere = [c for c, ch in content.chapters.items() if scene_id in ch.scenes]
        if elsewhere:
            hint = f"that scene is in chapter '{elsewhere[0]}': write '{elsewhere[0]}.{scene_id}'"
    yield diagnostic(
        "D301",
        loc,
        f"{what} '{ref}' names no scene in chapter '{target_chapter}'",
        hint=hint,
    )


@check("references", "D301", "D302", "D303", "D304", "D305", "D306", "D307", "D312", order=20)
def references(project: Project) -> Iterator[Diagnostic]:
    content = project.content
    alias_map = aliases(content)
    story = content.story
    if "." not in story.start:
        yield diagnostic(
            "D301",
            story.start_loc,
            f"start '{story.start}' must name a chapter and a scene",
            hint=f"write it as 'chapter.scene', e.g. '{next(iter(content.chapters), 'c')}.{story.start}'",
        )
    else:
        yield from _scene_ref(content, story.start, "", story.start_loc, "start", alias_map)
    for chapter in content.chapters.values():
        if chapter.start and chapter.start.value not in chapter.scenes:
            yield diagnostic(
                "D301",
                chapter.start.loc,
                f"start '{chapter.start.value}' names no scene of chapter '{chapter.id}'",
                hint=did_you_mean(chapter.start.value, chapter.scenes),
            )
        for scene in chapter.scenes.values():
            yield from _scene_references(content, scene, alias_map)
    yield from _alias_clashes(content)
    for character in content.characters.values():
        if character.portrait and character.portrait not in content.media_files:
            yield _missing_media(content, character.portrait, character.portrait_loc or character.loc)
    for rule in content.rewards.rules:
        if rule.chapter and rule.chapter.value not in content.chapters:
            yield diagnostic(
                "D302",
                rule.chapter.loc,
                f"rule names chapter '{rule.chapter.value}', which does not exist",
                hint=_chapter_hint(content, rule.chapter.value),
            )
    yield from _mood_references(content)


def _scene_references(content: Content, scene: Scene, alias_map: dict[str, str]) -> Iterator[Diagnostic]:
    chapter = scene.chapter
    for choice in scene.choices:
        yield from _scene_ref(content, choice.goto, chapter, choice.goto_loc, "goto", alias_map)
    for route in scene.routes:
        what = "next" if scene.next_is_plain else "goto"
        yield from _scene_ref(content, route.goto, chapter, route.goto_loc, what, alias_map)
    if scene.next_chapter and scene.next_chapter.value not in content.chapters:
        yield diagnostic(
            "D302",
            scene.next_chapter.loc,
            f"next_chapter '{scene.next_chapter.value}' does not exist",
            hint=_chapter_hint(content, scene.next_chapter.value),
        )
    if scene.character and scene.character.value not in content.characters:
        yield diagnostic(
            "D303",
            scene.character.loc,
            f"character '{scene.character.value}' is not in characters.yaml",
            hint=_character_hint(content, scene.character.value),
        )
    if scene.media and scene.media.path not in content.media_files:
        yield _missing_media(content, scene.media.path, scene.media.loc)
    if scene.input == "mood" and not content.moods.moods:
        yield diagnostic(
            "D307",
            scene.loc,
            f"scene '{scene.id}' asks for a mood but moods.yaml declares none",
            hint="add content/moods.yaml with moods and examples",
        )
    effects = [c.effects for c in scene.choices if c.effects]
    if scene.on_enter:
        effects.append(scene.on_enter)
    for effect in effects:
        for name, item in effect.bond.items():
            if name not in content.characters:
                yield diagnostic(
                    "D303",
                    effect.key_loc("bond", name, item.loc),
                    f"bond with '{name}': no such character in characters.yaml",
                    hint=_character_hint(content, name),
                )
        if effect.achievement and effect.achievement.value not in content.achievements:
            yield diagnostic(
                "D304",
                effect.achievement.loc,
                f"achievement '{effect.achievement.value}' is not in achievements.yaml",
                hint=did_you_mean(effect.achievement.value, content.achievements),
            )
        written = [(name, effect.key_loc("set", name, item.loc)) for name, item in effect.set.items()]
        written += [(name, effect.key_loc("add", name, item.loc)) for name, item in effect.add.items()]
        for name, loc in written:
            if name not in content.story.variables:
                yield diagnostic(
                    "D305",
                    loc,
                    f"variable '{name}' is not declared in story.yaml",
                    hint=did_you_mean(name, content.story.variables)
                    or f"declare it under variables: in story.yaml, e.g. {name}: {{type: int}}",
                )


def _chapter_hint(content: Content, name: str) -> str:
    return did_you_mean(name, content.chapters) or f"chapters: {', '.join(content.chapters)}"


def _character_hint(content: Content, name: str) -> str:
    if not content.characters:
        return "characters.yaml declares no characters"
    return did_you_mean(name, content.characters) or f"characters: {', '.join(content.characters)}"


def _missing_media(content: Content, path: str, loc: Loc) -> Diagnostic:
    hint = did_you_mean(path, content.media_files) or "put the file under content/media/"
    return diagnostic("D306", loc, f"media file '{path}' does not exist", hint=hint)


def _alias_clashes(content: Content) -> Iterator[Diagnostic]:
    for chapter in content.chapters.values():
        seen: dict[str, Loc] = {}
        for scene in chapter.scenes.values():
            for alias in scene.aliases:
                if alias.value in chapter.scenes:
                    yield diagnostic(
                        "D206",
                        alias.loc,
                        f"alias '{alias.value}' is also the id of a scene in this chapter",
                        hint="an alias is a former id; a current scene cannot use it",
                    )
                elif alias.value in seen:
                    yield diagnostic(
                        "D206",
                        alias.loc,
                        f"alias '{alias.value}' is used by two scenes",
                        hint="a former id can lead to one scene only",
                        related=(seen[alias.value],),
                    )
                seen[alias.value] = alias.loc


def _mood_references(content: Content) -> Iterator[Diagnostic]:
    moods = content.moods
    declared = set(moods.moods)
    for locale, by_mood in moods.examples.items():
        for mood in by_mood:
            if mood not in declared:
                yield diagnostic(
                    "D307",
                    moods.example_locs.get((locale, mood), moods.loc),
                    f"examples.{locale} has examples for '{mood}', which is not in moods",
                    hint=did_you_mean(mood, declared) or "add it to the moods list",
                )
    for mood in moods.moods:
        if not any(by_mood.get(mood) for by_mood in moods.examples.values()):
            yield diagnostic(
                "D312",
                moods.mood_locs.get(mood, moods.loc),
                f"mood '{mood}' has no examples, so it can never be detected",
                hint=f"add examples under examples.<locale>.{mood}",
            )
