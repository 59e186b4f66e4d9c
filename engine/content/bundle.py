"""The compiled story: what the runtime reads, instead of YAML.

Like ink's JSON artifact carries ``inkVersion``, a bundle carries ``format``: a runtime refuses a bundle it
cannot read with a clear message rather than misreading it. A bundle is immutable, normalized (every
reference qualified as ``chapter.scene``), has its conditions parsed and compiled to closures, and is
identified by a content hash over its canonical JSON, so "publish the same story twice" is detectable.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, TypeVar

from engine.expr import Expr, Facts, compile_expr, parse, unparse
from engine.gcpause import paused_gc

BUNDLE_FORMAT = 1


class BundleFormatError(ValueError):
    """A bundle this runtime cannot read (written by a newer or an unknown engine)."""


@dataclass(frozen=True, slots=True)
class Predicate:
    """A checked condition: its canonical source, its tree, and the compiled closure the runtime calls."""

    source: str
    tree: Expr = field(compare=False, repr=False)
    test: Callable[[Facts], object] = field(compare=False, repr=False)

    @classmethod
    def of(cls, tree: Expr) -> Predicate:
        return cls(unparse(tree), tree, compile_expr(tree))

    @classmethod
    def from_source(cls, source: str) -> Predicate:
        return cls.of(parse(source))

    def __call__(self, facts: Facts) -> bool:
        return bool(self.test(facts))


LocalText = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class EffectsSpec:
    set: Mapping[str, int | bool | str] = field(default_factory=dict)
    add: Mapping[str, int] = field(default_factory=dict)
    bond: Mapping[str, int] = field(default_factory=dict)
    points: int = 0
    achievement: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    index: int
    key: str  # the explicit id, else the 1-based position
    text: LocalText
    goto: str
    condition: Predicate | None = None  # `if`: hidden unless true
    requires: Predicate | None = None  # shown locked unless true
    vip: bool = False
    cost: int = 0
    effects: EffectsSpec | None = None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    goto: str
    condition: Predicate | None = None


@dataclass(frozen=True, slots=True)
class MediaSpec:
    kind: str
    path: str


@dataclass(frozen=True, slots=True)
class SceneSpec:
    key: str
    chapter: str
    id: str
    text: LocalText
    character: str | None = None
    media: MediaSpec | None = None
    on_enter: EffectsSpec | None = None
    choices: tuple[ChoiceSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    next_is_plain: bool = False
    input: str | None = None
    ending: str | None = None
    next_chapter: str | None = None


@dataclass(frozen=True, slots=True)
class ChapterSpec:
    id: str
    title: LocalText
    order: int
    start: str
    scenes: tuple[str, ...]
    vip: bool = False
    unlock: Predicate | None = None
    description: LocalText | None = None


@dataclass(frozen=True, slots=True)
class VariableSpec:
    name: str
    type: str
    default: int | bool | str
    min: int | None = None
    max: int | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CharacterSpec:
    id: str
    name: LocalText
    bond_min: int = 0
    bond_max: int = 10
    bond_default: int = 0
    portrait: str | None = None


@dataclass(frozen=True, slots=True)
class TierSpec:
    tier: str
    condition: Predicate


@dataclass(frozen=True, slots=True)
class AchievementSpec:
    id: str
    title: LocalText
    description: LocalText | None = None
    category: str | None = None
    when: Predicate | None = None
    tiers: tuple[TierSpec, ...] = ()
    reward_points: int = 0
    secret: bool = False
    icon: str | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    key: str
    on: str
    points: int
    once: bool = False
    per_day: int | None = None
    streak_per_day: int = 0
    streak_max: int = 0
    condition: Predicate | None = None
    chapter: str | None = None


@dataclass(frozen=True, slots=True)
class LevelSpec:
    points: int
    name: LocalText


@dataclass(frozen=True, slots=True)
class RewardsSpec:
    currency_id: str
    currency_name: LocalText
    symbol: str = ""
    rules: tuple[RuleSpec, ...] = ()
    vip_multiplier: float = 1.0
    daily_cap: int | None = None
    levels: tuple[LevelSpec, ...] = ()
    grace_days: int = 0


@dataclass(frozen=True, slots=True)
class ProductSpec:
    id: str
    type: str
    title: LocalText
    days: int = 0
    points: int = 0
    description: LocalText | None = None
    stars: int | None = None
    stripe_amount: int | None = None
    stripe_currency: str | None = None
    stripe_interval: str | None = None


@dataclass(frozen=True, slots=True)
class MoodsSpec:
    moods: tuple[str, ...] = ()
    examples: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    names: Mapping[str, LocalText] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Bundle:
    story_id: str
    title: LocalText
    default_locale: str
    locales: tuple[str, ...]
    start: str
    variables: Mapping[str, VariableSpec]
    characters: Mapping[str, CharacterSpec]
    chapters: Mapping[str, ChapterSpec]
    scenes: Mapping[str, SceneSpec]
    achievements: Mapping[str, AchievementSpec]
    rewards: RewardsSpec
    products: Mapping[str, ProductSpec]
    moods: MoodsSpec
    aliases: Mapping[str, str]  # former scene key -> current scene key
    format: int = BUNDLE_FORMAT
    content_hash: str = ""
    # The canonical JSON, when it was already made (hashing it at compile time): publishing stores the
    # very same text instead of encoding the story a second time. Not part of the bundle's data: never
    # copied by ``replace`` (init=False), never encoded, never compared.
    _json: str = field(default="", init=False, repr=False, compare=False)

    def text(self, value: LocalText | None, locale: str) -> str:
        if not value:
            return ""
        return value.get(locale) or value.get(self.default_locale) or next(iter(value.values()))

    def chapter_of(self, scene_key: str) -> ChapterSpec:
        return self.chapters[self.scenes[scene_key].chapter]

    # -- serialization -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        encoded = _encode(self)
        assert isinstance(encoded, dict)
        return encoded

    def to_json(self) -> str:
        """The canonical JSON (sorted keys, no spaces, UTF-8 text as is): what a release stores."""
        return self._json or _join(_encoded_fields(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> Bundle:
        with paused_gc():
            data = json.loads(text)
        if not isinstance(data, dict):
            raise BundleFormatError("a bundle is a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bundle:
        version = data.get("format")
        if version != BUNDLE_FORMAT:
            raise BundleFormatError(
                f"bundle format {version!r} cannot be read by this engine (it reads format "
                f"{BUNDLE_FORMAT}); upgrade the engine or republish the content with this one"
            )
        with paused_gc():  # a large story is millions of objects at once: see engine.gcpause
            bundle = _decode(Bundle, data)
        assert isinstance(bundle, Bundle)
        return bundle


def content_hash(bundle: Bundle) -> str:
    """sha256 of the canonical JSON without the hash itself: equal stories hash equal."""
    return _digest(_encoded_fields(bundle))


def hashed(bundle: Bundle) -> Bundle:
    """The bundle with its content hash set and its canonical JSON kept, both from one encoding.

    A 100k-scene story's JSON is ~120 MB; encoding it once for the hash and again to store it cost
    seconds per publish.
    """
    encoded = _encoded_fields(bundle)
    digest = _digest(encoded)
    result = replace(bundle, content_hash=digest)
    encoded["content_hash"] = json.dumps(digest)
    object.__setattr__(result, "_json", _join(encoded))  # a cache on a frozen value: see Bundle._json
    return result


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_shallow)


def _encoded_fields(bundle: Bundle) -> dict[str, str]:
    """Each top-level field's canonical JSON: the pieces of the whole document.

    ``json.dumps`` of a dict with sorted keys is ``{"key":value,...}`` with each value encoded on its
    own by the same rules, so joining the pieces in key order gives exactly the JSON of the whole.
    """
    return {name: _json_text(getattr(bundle, name)) for name in _field_names(Bundle)}


def _document(encoded: dict[str, str], *, without: str = "") -> list[str]:
    """The whole document as strings to join or to hash in turn (no 100 MB intermediate copies)."""
    parts = ["{"]
    for name in sorted(encoded):
        if name == without:
            continue
        parts.extend(("," if len(parts) > 1 else "", json.dumps(name), ":", encoded[name]))
    parts.append("}")
    return parts


def _join(encoded: dict[str, str]) -> str:
    return "".join(_document(encoded))


def _digest(encoded: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for part in _document(encoded, without="content_hash"):
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def _shallow(value: object) -> object:
    """``json.dumps``' hook for what it cannot encode itself, one level at a time (it walks the rest in
    C): a dataclass as the mapping of its fields, a Predicate as its source, another Mapping as a dict.
    Gives the same JSON as ``json.dumps(_encode(value))`` without building that whole tree first."""
    if isinstance(value, Predicate):
        return value.source
    cls = type(value)
    if cls in _FIELD_NAMES or (is_dataclass(value) and not isinstance(value, type)):
        return {name: getattr(value, name) for name in _field_names(cls)}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    raise TypeError(f"a bundle cannot hold {cls.__name__} values")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The data fields of a bundle class (a private field such as ``Bundle._json`` is not data)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls) if not f.name.startswith("_"))
    return names


def _encode(value: object) -> object:
    """Plain JSON data of a bundle; field names cached per class (a 100k-scene bundle has ~1M values)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Predicate):
        return value.source
    cls = type(value)
    if cls in _FIELD_NAMES or (is_dataclass(value) and not isinstance(value, type)):
        return {name: _encode(getattr(value, name)) for name in _field_names(cls)}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


T = TypeVar("T")
_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(hint: Any, value: Any) -> Any:
    """Rebuild typed values from JSON by the dataclasses' own annotations (one decoder for all)."""
    origin = typing.get_origin(hint)
    if hint is Predicate:
        return Predicate.from_source(value)
    if isinstance(hint, type) and is_dataclass(hint):
        known = _hints(hint)
        kwargs = {
            name: _decode(known[name], item)
            for name, item in value.items()
            if name in known and not name.startswith("_")
        }
        return hint(**kwargs)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        candidates = [a for a in args if a is not type(None)]
        for candidate in candidates:
            if (isinstance(candidate, type) and is_dataclass(candidate)) or candidate is Predicate:
                return _decode(candidate, value)
        return value
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_decode(inner, item) for item in value)
    if origin in (Mapping, dict) or origin is typing.get_origin(Mapping[str, str]):
        _, value_type = typing.get_args(hint)
        return {k: _decode(value_type, v) for k, v in value.items()}
    return value
