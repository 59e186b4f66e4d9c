"""The writer's story as typed, immutable values, each remembering where in which file it was written.

This is the *source* model: it keeps positions and the writer's own spellings (unqualified scene ids,
condition source text) so the linter can point at them. The runtime never sees it; it gets the
:mod:`engine.content.bundle` compiled from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine.content.sourcemap import SourceText, locate
from engine.diagnostics import Loc

SCENE_TYPES = ("choices", "next", "input", "ending")
ENDINGS = ("good", "bad", "neutral", "secret")
MEDIA_KINDS = ("photo", "video", "animation", "audio")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Text:
    """A player-visible text: one string per locale. ``plain`` marks a text written without locales."""

    values: dict[str, str]
    loc: Loc
    locs: dict[str, Loc] = field(default_factory=dict)
    plain: bool = False
    key_locs: dict[str, Loc] = field(default_factory=dict)  # where each locale key is written

    def get(self, locale: str, fallback: str) -> str:
        return self.values.get(locale) or self.values.get(fallback) or next(iter(self.values.values()), "")

    def loc_of(self, locale: str) -> Loc:
        return self.locs.get(locale, self.loc)


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition as the writer typed it; ``loc`` is where offset 0 of the source sits in the file."""

    source: str
    loc: Loc
    # Where stretches of the source sit in the file when it is not one unbroken run from ``loc`` (a block
    # scalar, a condition over several lines, an escaped quote): see engine.content.sourcemap.
    segments: tuple[tuple[int, Loc], ...] = ()

    def at(self, offset: int) -> Loc:
        return locate(self.segments, self.loc, offset)


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: str
    type: str  # int | bool | enum | str
    default: int | bool | str
    loc: Loc
    min: int | None = None
    max: int | None = None
    values: tuple[str, ...] = ()
    description: Text | None = None


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    title: Text
    default_locale: str
    locales: tuple[str, ...]
    start: str
    start_loc: Loc
    variables: dict[str, VarDecl]
    loc: Loc
    description: Text | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Character:
    id: str
    name: Text
    bond_min: int
    bond_max: int
    bond_default: int
    loc: Loc
    portrait: str | None = None
    portrait_loc: Loc | None = None
    description: Text | None = None


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    value: T
    loc: Loc


@dataclass(frozen=True, slots=True)
class Effects:
    loc: Loc
    set: dict[str, Located[int | bool | str]] = field(default_factory=dict)
    add: dict[str, Located[int]] = field(default_factory=dict)
    bond: dict[str, Located[int]] = field(default_factory=dict)
    points: Located[int] | None = None
    achievement: Located[str] | None = None
    # Where each name is written, e.g. ("bond", "diana") -> the key 'diana' in bond: {diana: 2}; the
    # Located values above point at the values (for type and range findings).
    keys: dict[tuple[str, str], Loc] = field(default_factory=dict)

    def key_loc(self, section: str, name: str, fallback: Loc) -> Loc:
        return self.keys.get((section, name), fallback)

    @property
    def empty(self) -> bool:
        return not (self.set or self.add or self.bond or self.points or self.achievement)


@dataclass(frozen=True, slots=True)
class Choice:
    index: int  # 0-based position in the scene's list
    text: Text
    goto: str
    goto_loc: Loc
    loc: Loc
    id: str | None = None
    id_loc: Loc | None = None
    if_: Condition | None = None
    requires: Condition | None = None
    vip: bool = False
    cost: int = 0
    cost_loc: Loc | None = None
    effects: Effects | None = None

    @property
    def key(self) -> str:
        """How analytics and saved progress know this choice: its id, else its 1-based position."""
        return self.id if self.id is not None else str(self.index + 1)


@dataclass(frozen=True, slots=True)
class Route:
    goto: str
    goto_loc: Loc
    loc: Loc
    if_: Condition | None = None


@dataclass(frozen=True, slots=True)
class Media:
    kind: str
    path: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Scene:
    id: str
    chapter: str
    text: Text
    loc: Loc
    character: Located[str] | None = None
    media: Media | None = None
    on_enter: Effects | None = None
    choices: tuple[Choice, ...] = ()
    routes: tuple[Route, ...] = ()
    next_is_plain: bool = False  # `next: scene` (one Continue button) vs a list of routes
    input: str | None = None
    ending: str | None = None
    next_chapter: Located[str] | None = None
    aliases: tuple[Located[str], ...] = ()
    present: frozenset[str] = frozenset()  # the keys the writer wrote, for shape checks

    @property
    def key(self) -> str:
        return f"{self.chapter}.{self.id}"


@dataclass(frozen=True, slots=True)
class Chapter:
    id: str
    title: Text
    file: str
    loc: Loc
    order: int
    scenes: dict[str, Scene]
    vip: bool = False
    unlock: Condition | None = None
    start: Located[str] | None = None
    description: Text | None = None

    @property
    def start_scene(self) -> str:
        return self.start.value if self.start else next(iter(self.scenes))


@dataclass(frozen=True, slots=True)
class Achievement:
    id: str
    title: Text
    loc: Loc
    description: Text | None = None
    category: str | None = None
    when: Condition | None = None
    tiers: dict[str, Condition] = field(default_factory=dict)
    reward_points: int = 0
    secret: bool = False
    icon: str | None = None


@dataclass(frozen=True, slots=True)
class RewardRule:
    index: int
    on: str
    points: int
    loc: Loc
    id: str | None = None
    once: bool = False
    per_day: int | None = None
    streak_per_day: int = 0
    streak_max: int = 0
    if_: Condition | None = None
    chapter: Located[str] | None = None

    @property
    def key(self) -> str:
        return self.id or f"{self.on}#{self.index + 1}"


@dataclass(frozen=True, slots=True)
class Level:
    points: int
    name: Text


@dataclass(frozen=True, slots=True)
class Rewards:
    currency_id: str
    currency_name: Text
    symbol: str
    loc: Loc
    rules: tuple[RewardRule, ...] = ()
    vip_multiplier: float = 1.0
    daily_cap: int | None = None
    levels: tuple[Level, ...] = ()
    grace_days: int = 0


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    type: str  # vip | points
    title: Text
    loc: Loc
    days: int = 0
    points: int = 0
    description: Text | None = None
    stars: int | None = None
    stripe_amount: int | None = None
    stripe_currency: str | None = None
    stripe_interval: str | None = None


@dataclass(frozen=True, slots=True)
class Moods:
    moods: tuple[str, ...]
    examples: dict[str, dict[str, tuple[str, ...]]]  # locale -> mood -> examples
    loc: Loc
    mood_locs: dict[str, Loc] = field(default_factory=dict)
    names: dict[str, Text] = field(default_factory=dict)
    example_locs: dict[tuple[str, str], Loc] = field(default_factory=dict)  # (locale, mood) -> its key


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A content file's identity and the lint suppressions written in its comments."""

    path: str
    sha256: str
    suppressions: dict[int, frozenset[str]] = field(default_factory=dict)  # line -> codes/names
    # The file's text, so a finding inside a scalar can point at the very character (sourcemap).
    source: SourceText | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Content:
    story: Story
    chapters: dict[str, Chapter]  # in menu order
    characters: dict[str, Character]
    achievements: dict[str, Achievement]
    rewards: Rewards
    products: dict[str, Product]
    moods: Moods
    media_files: frozenset[str]
    files: dict[str, SourceFile]

    def scene(self, key: str) -> Scene | None:
        chapter, _, scene = key.partition(".")
        found = self.chapters.get(chapter)
        return found.scenes.get(scene) if found else None

    def all_scenes(self) -> list[Scene]:
        return [scene for chapter in self.chapters.values() for scene in chapter.scenes.values()]

    def qualify(self, ref: str, chapter: str) -> str:
        """``scene`` inside ``chapter`` -> ``chapter.scene``; ``other.scene`` stays as written."""
        return ref if "." in ref else f"{chapter}.{ref}"
