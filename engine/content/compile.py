"""Lint-clean content -> an immutable :class:`Bundle` (the runtime's only input)."""

from __future__ import annotations

from engine.codes import diagnostic
from engine.content.bundle import (
    AchievementSpec,
    Bundle,
    ChapterSpec,
    CharacterSpec,
    ChoiceSpec,
    EffectsSpec,
    LevelSpec,
    MediaSpec,
    MoodsSpec,
    Predicate,
    ProductSpec,
    RewardsSpec,
    RouteSpec,
    RuleSpec,
    SceneSpec,
    TierSpec,
    VariableSpec,
    hashed,
)
from engine.content.model import Condition, Effects, Scene, Text
from engine.content.project import Project
from engine.diagnostics import ContentError
from engine.gcpause import paused_gc


def _text(text: Text | None) -> dict[str, str] | None:
    return dict(text.values) if text is not None else None


def _effects(effects: Effects | None) -> EffectsSpec | None:
    if effects is None or effects.empty:
        return None
    return EffectsSpec(
        set={k: v.value for k, v in effects.set.items()},
        add={k: v.value for k, v in effects.add.items()},
        bond={k: v.value for k, v in effects.bond.items()},
        points=effects.points.value if effects.points else 0,
        achievement=effects.achievement.value if effects.achievement else None,
    )


class Compiler:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.content = project.content
        # One Predicate per checked condition: a story repeats the same few conditions on thousands of
        # choices, and unparsing + compiling each copy was a fifth of compile time at 100k scenes.
        self.predicates: dict[tuple[str, str | None], Predicate] = {}

    def predicate(self, condition: Condition | None, chapter: str | None) -> Predicate | None:
        if condition is None:
            return None
        key = (condition.source, chapter)
        known = self.predicates.get(key)
        if known is not None:
            return known
        result = self.project.checked(condition, chapter)
        if result.tree is None or result.issues:
            raise ContentError(
                [
                    diagnostic(issue.code, condition.at(issue.start), issue.message, hint=issue.hint)
                    for issue in result.issues
                ]
            )
        predicate = self.predicates[key] = Predicate.of(result.tree)
        return predicate

    def scene(self, scene: Scene) -> SceneSpec:
        qualify = self.content.qualify
        chapter = scene.chapter
        return SceneSpec(
            key=scene.key,
            chapter=chapter,
            id=scene.id,
            text=dict(scene.text.values),
            character=scene.character.value if scene.character else None,
            media=MediaSpec(scene.media.kind, scene.media.path) if scene.media else None,
            on_enter=_effects(scene.on_enter),
            choices=tuple(
                ChoiceSpec(
                    index=choice.index,
                    key=choice.key,
                    text=dict(choice.text.values),
                    goto=qualify(choice.goto, chapter),
                    condition=self.predicate(choice.if_, chapter),
                    requires=self.predicate(choice.requires, chapter),
                    vip=choice.vip,
                    cost=choice.cost,
                    effects=_effects(choice.effects),
                )
                for choice in scene.choices
            ),
            routes=tuple(
                RouteSpec(qualify(route.goto, chapter), self.predicate(route.if_, chapter))
                for route in scene.routes
            ),
            next_is_plain=scene.next_is_plain,
            input=scene.input,
            ending=scene.ending,
            next_chapter=scene.next_chapter.value if scene.next_chapter else None,
        )

    def bundle(self) -> Bundle:
        content = self.content
        story = content.story
        scenes = {scene.key: self.scene(scene) for scene in content.all_scenes()}
        chapters = {
            chapter.id: ChapterSpec(
                id=chapter.id,
                title=dict(chapter.title.values),
                order=chapter.order,
                start=f"{chapter.id}.{chapter.start_scene}",
                scenes=tuple(f"{chapter.id}.{s}" for s in chapter.scenes),
                vip=chapter.vip,
                unlock=self.predicate(chapter.unlock, chapter.id),
                description=_text(chapter.description),
            )
            for chapter in content.chapters.values()
        }
        rewards = content.rewards
        bundle = Bundle(
            story_id=story.id,
            title=dict(story.title.values),
            default_locale=story.default_locale,
            locales=story.locales,
            start=story.start,
            variables={
                name: VariableSpec(name, d.type, d.default, d.min, d.max, d.values)
                for name, d in story.variables.items()
            },
            characters={
                c.id: CharacterSpec(
                    c.id, dict(c.name.values), c.bond_min, c.bond_max, c.bond_default, c.portrait
                )
                for c in content.characters.values()
            },
            chapters=chapters,
            scenes=scenes,
            achievements={
                a.id: AchievementSpec(
                    id=a.id,
                    title=dict(a.title.values),
                    description=_text(a.description),
                    category=a.category,
                    when=self.predicate(a.when, None),
                    tiers=tuple(
                        TierSpec(tier, p)
                        for tier, cond in a.tiers.items()
                        if (p := self.predicate(cond, None)) is not None
                    ),
                    reward_points=a.reward_points,
                    secret=a.secret,
                    icon=a.icon,
                )
                for a in content.achievements.values()
            },
            rewards=RewardsSpec(
                currency_id=rewards.currency_id,
                currency_name=dict(rewards.currency_name.values),
                symbol=rewards.symbol,
                rules=tuple(
                    RuleSpec(
                        key=r.key,
                        on=r.on,
                        points=r.points,
                        once=r.once,
                        per_day=r.per_day,
                        streak_per_day=r.streak_per_day,
                        streak_max=r.streak_max,
                        condition=self.predicate(r.if_, None),
                        chapter=r.chapter.value if r.chapter else None,
                    )
                    for r in rewards.rules
                ),
                vip_multiplier=rewards.vip_multiplier,
                daily_cap=rewards.daily_cap,
                levels=tuple(LevelSpec(lv.points, dict(lv.name.values)) for lv in rewards.levels),
                grace_days=rewards.grace_days,
            ),
            products={
                p.id: ProductSpec(
                    id=p.id,
                    type=p.type,
                    title=dict(p.title.values),
                    days=p.days,
                    points=p.points,
                    description=_text(p.description),
                    stars=p.stars,
                    stripe_amount=p.stripe_amount,
                    stripe_currency=p.stripe_currency,
                    stripe_interval=p.stripe_interval,
                )
                for p in content.products.values()
            },
            moods=MoodsSpec(
                moods=content.moods.moods,
                examples={loc: dict(by_mood) for loc, by_mood in content.moods.examples.items()},
                names={mood: dict(t.values) for mood, t in content.moods.names.items()},
            ),
            aliases={
                f"{scene.chapter}.{alias.value}": scene.key
                for scene in content.all_scenes()
                for alias in scene.aliases
            },
        )
        return hashed(bundle)


def compile_bundle(project: Project) -> Bundle:
    """Compile a story that linted without errors; ContentError if a condition does not check.

    Compiled once per project (a bundle is immutable), with the collector paused: see engine.gcpause.
    """
    if project.bundle is None:
        with paused_gc():
            project.bundle = Compiler(project).bundle()
    return project.bundle
