"""The JSON Schemas of the content format (schemas/*.schema.json).

Checks that every schema is a valid draft 2020-12 schema, that the schemas are
documented for writers (a description on every property and definition), that
every reference resolves the way the engine's loader resolves it (a registry
holding every schema under its file name and its $id), and that small documents
written here pass or fail as the contract says.

Validating the real content/ tree is a separate test (owned by the lead).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
BASE_URI = "https://diana.dev/schemas/"
CONTENT_SCHEMAS = [
    "story",
    "chapter",
    "characters",
    "achievements",
    "rewards",
    "shop",
    "moods",
]
ALL_FILES = sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json"))

# Keywords whose value is a mapping name -> subschema.
MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "dependentSchemas")
# Keywords whose value is one subschema.
SINGLE_KEYWORDS = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
)
# Keywords whose value is a list of subschemas.
LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
# Where a writer's editor shows a description: every property, every definition,
# every value of a mapping or list, every alternative.
DOCUMENTED_ROLES = {
    "properties",
    "patternProperties",
    "$defs",
    "items",
    "additionalProperties",
    "prefixItems",
    "anyOf",
    "oneOf",
}


def _load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return schema


SCHEMAS: dict[str, dict[str, Any]] = {name: _load(name) for name in ALL_FILES}


def _registry() -> Registry:
    """The registry as the loader builds it: each schema under its file name and its $id."""
    pairs = []
    for name, contents in SCHEMAS.items():
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        pairs.append((name, resource))
        pairs.append((contents["$id"], resource))
    return Registry().with_resources(pairs)


REGISTRY = _registry()


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[f"{kind}.schema.json"], registry=REGISTRY)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def walk(schema: Any, pointer: str = "", role: str = "root") -> Iterator[tuple[str, str, Any]]:
    """Yield (JSON pointer, role, subschema) for the schema and every subschema in it."""
    yield pointer, role, schema
    if not isinstance(schema, dict):
        return
    for keyword in MAP_KEYWORDS:
        for name, sub in schema.get(keyword, {}).items():
            yield from walk(sub, f"{pointer}/{_escape(keyword)}/{_escape(name)}", keyword)
    for keyword in SINGLE_KEYWORDS:
        if keyword in schema:
            yield from walk(schema[keyword], f"{pointer}/{keyword}", keyword)
    for keyword in LIST_KEYWORDS:
        for index, sub in enumerate(schema.get(keyword, [])):
            yield from walk(sub, f"{pointer}/{keyword}/{index}", keyword)


def all_errors(errors: Any) -> Iterator[ValidationError]:
    """Every error, including those nested in anyOf/oneOf contexts."""
    for error in errors:
        yield error
        yield from all_errors(error.context)


# --------------------------------------------------------------------------- the schemas


def test_every_content_file_has_a_schema() -> None:
    expected = {f"{kind}.schema.json" for kind in CONTENT_SCHEMAS} | {"common.schema.json"}
    assert expected <= set(ALL_FILES)


@pytest.mark.parametrize("name", ALL_FILES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    Draft202012Validator.check_schema(SCHEMAS[name])


@pytest.mark.parametrize("name", ALL_FILES)
def test_schema_header(name: str) -> None:
    schema = SCHEMAS[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == BASE_URI + name
    assert schema.get("title")
    assert schema.get("description")


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_property_and_definition_has_a_description(name: str) -> None:
    missing = [
        pointer or "/"
        for pointer, role, sub in walk(SCHEMAS[name])
        if isinstance(sub, dict)
        and (role == "root" or role in DOCUMENTED_ROLES)
        and not (isinstance(sub.get("description"), str) and sub["description"].strip())
    ]
    assert not missing, f"{name}: no description at {missing}"


@pytest.mark.parametrize("name", ALL_FILES)
def test_fixed_mappings_reject_unknown_keys(name: str) -> None:
    """A mapping with a fixed key set says additionalProperties: false.

    `if` schemas are tests, not mappings a writer fills in, so they are exempt.
    """
    offenders = [
        pointer
        for pointer, role, sub in walk(SCHEMAS[name])
        if isinstance(sub, dict)
        and "properties" in sub
        and role != "if"
        and sub.get("additionalProperties") is not False
    ]
    assert not offenders, f"{name}: additionalProperties is not false at {offenders}"


@pytest.mark.parametrize("name", ALL_FILES)
def test_open_mappings_restrict_their_keys(name: str) -> None:
    """A mapping keyed by ids or locales (scenes, variables, ...) says which keys are allowed."""
    offenders = [
        pointer
        for pointer, _, sub in walk(SCHEMAS[name])
        if isinstance(sub, dict)
        and isinstance(sub.get("additionalProperties"), dict)
        and "propertyNames" not in sub
    ]
    assert not offenders, f"{name}: a mapping without propertyNames at {offenders}"


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_ref_resolves(name: str) -> None:
    schema = SCHEMAS[name]
    resolver = REGISTRY.resolver(base_uri=schema["$id"])
    refs = [sub["$ref"] for _, _, sub in walk(schema) if isinstance(sub, dict) and "$ref" in sub]
    for ref in refs:
        if not ref.startswith("#"):
            # Cross-file references are relative to the same folder.
            assert "/" not in ref.split("#")[0], ref
        resolver.lookup(ref)  # raises if it does not resolve


@pytest.mark.parametrize("name", ALL_FILES)
def test_examples_and_defaults_are_valid(name: str) -> None:
    """Every `examples` entry and `default` value validates against its own subschema."""
    schema = SCHEMAS[name]
    for pointer, _, sub in walk(schema):
        if not isinstance(sub, dict):
            continue
        values = list(sub.get("examples", []))
        if "default" in sub:
            values.append(sub["default"])
        if not values:
            continue
        check = Draft202012Validator(
            {"$schema": schema["$schema"], "$ref": f"{schema['$id']}#{pointer}"},
            registry=REGISTRY,
        )
        for value in values:
            errors = [e.message for e in check.iter_errors(value)]
            assert not errors, f"{name}#{pointer}: {value!r} is invalid: {errors}"


# --------------------------------------------------------------------------- valid documents
# The examples of the writers' contract (shared/content-format.md), written as Python
# data (the loader reads YAML 1.2, where `on` is a string key), plus the added keys.

STORY: dict[str, Any] = {
    "id": "diana",
    "title": {"es": "Diana", "en": "Diana"},
    "description": {"es": "Una historia de amor", "en": "A love story"},
    "author": "Ana García",
    "default_locale": "es",
    "locales": ["es", "en", "pt-BR"],
    "start": "encuentro.inicio",
    "variables": {
        "confianza": {"type": "int", "default": 0, "min": 0, "max": 10},
        "conocio_diana": {"type": "bool", "default": False},
        "camino": {"type": "enum", "values": ["luz", "sombra"], "default": "luz"},
        "apodo": {"type": "str", "default": "", "description": "how she calls you"},
        "visitas": {"type": "int"},
    },
}

CHAPTER: dict[str, Any] = {
    "id": "encuentro",
    "title": {"es": "El encuentro", "en": "The encounter"},
    "description": "Todo empieza en un café",
    "order": 1,
    "vip": False,
    "unlock": "chapter_done('prologo')",
    "start": "inicio",
    "scenes": {
        "inicio": {
            "text": {
                "es": "Una noche lluviosa, en el café de siempre, {name} la ve por primera vez.",
                "en": "One rainy night, at the usual café, {name} sees her for the first time.",
            },
            "character": "diana",
            "media": "media/cafe.jpg",
            "on_enter": {"set": {"conocio_diana": True}},
            "choices": [
                {
                    "id": "acercarse",
                    "text": {"es": "Acercarte", "en": "Walk over"},
                    "goto": "saludo",
                    "effects": {"add": {"confianza": 1}, "bond": {"diana": 2}, "points": 5},
                },
                {
                    "text": {"es": "Invitarla a una copa", "en": "Buy her a drink"},
                    "cost": 10,
                    "goto": "copa",
                },
                {
                    "text": {"es": "Seguirla al jardín secreto", "en": "Follow her"},
                    "vip": True,
                    "goto": "jardin.entrada",
                },
                {
                    "text": {"es": "Confesarle tu apodo", "en": "Tell her your nickname"},
                    "if": "confianza >= 3",
                    "goto": "apodo",
                },
                {
                    "text": {"es": "Besarla", "en": "Kiss her"},
                    "requires": "bond.diana >= 5",
                    "goto": "beso",
                },
            ],
        },
        "como_estas": {
            "text": {"es": "¿Cómo te sientes hoy?", "en": "How do you feel today?"},
            "media": {"video": "media/lluvia.mp4"},
            "input": "mood",
            "next": [{"if": "mood == 'triste'", "goto": "consolar"}, {"goto": "charlar"}],
        },
        "despedida": {"text": "...", "next": "final"},
        "final": {
            "text": "...",
            "on_enter": {"set": {"camino": "luz", "confianza": 3}, "achievement": "primer_beso"},
            "ending": "good",
            "next_chapter": "jardin",
            "aliases": ["fin_viejo"],
        },
    },
}

CHARACTERS: dict[str, Any] = {
    "diana": {
        "name": "Diana",
        "bond": {"min": 0, "max": 10},
        "portrait": "media/diana.jpg",
        "description": {"es": "Camarera del café", "en": "The café's waitress"},
    },
    "lucia": {"name": {"es": "Lucía", "en": "Lucy"}, "bond": {"min": -5, "max": 5, "default": 0}},
}

ACHIEVEMENTS: dict[str, Any] = {
    "primer_beso": {
        "title": {"es": "Primer beso", "en": "First kiss"},
        "description": {"es": "Besaste a Diana", "en": "You kissed Diana"},
        "category": "story",
        "when": "visited('encuentro.beso')",
        "reward": {"points": 50},
        "secret": True,
        "icon": "💋",
    },
    "constante": {
        "title": "Constancia",
        "tiers": {"bronze": "streak >= 3", "silver": "streak >= 7", "gold": "streak >= 30"},
    },
}

REWARDS: dict[str, Any] = {
    "currency": {"id": "besitos", "name": {"es": "besitos", "en": "kisses"}, "symbol": "💋"},
    "rules": [
        {"id": "bienvenida", "on": "story_started", "points": 50, "once": True},
        {"on": "daily_checkin", "points": 10, "streak_bonus": {"per_day": 5, "max": 50}},
        {"on": "choice_made", "points": 1, "limit": {"per_day": 30}},
        {"on": "chapter_completed", "points": 20, "chapter": "encuentro", "if": "vip"},
        {"on": "achievement_unlocked", "points": 5},
        {"on": "referral_joined", "points": 0},
    ],
    "multipliers": {"vip": 1.5},
    "daily_cap": 500,
    "levels": [
        {"points": 0, "name": "Desconocido"},
        {"points": 100, "name": {"es": "Amigo", "en": "Friend"}},
    ],
    "streak": {"grace_days": 1},
}

SHOP: dict[str, Any] = {
    "products": {
        "vip_30": {
            "type": "vip",
            "days": 30,
            "title": {"es": "Pase VIP 30 días", "en": "VIP pass, 30 days"},
            "description": {"es": "Capítulos y decisiones exclusivas", "en": "Exclusive chapters"},
            "price": {"stars": 250, "stripe": {"amount": 499, "currency": "eur"}},
        },
        "vip_mensual": {
            "type": "vip",
            "days": 30,
            "title": "VIP mensual",
            "price": {"stripe": {"amount": 399, "currency": "eur", "interval": "month"}},
        },
        "besitos_100": {
            "type": "points",
            "points": 100,
            "title": "100 besitos",
            "price": {"stars": 50},
        },
    }
}

MOODS: dict[str, Any] = {
    "moods": ["alegre", "triste", "enfadado", "ansioso", "romantico", "aburrido", "curioso"],
    "examples": {
        "es": {"alegre": ["¡qué buen día!", "estoy feliz"], "triste": ["me siento solo"]},
        "en": {"alegre": ["what a great day"]},
    },
    "names": {"alegre": {"es": "Alegre", "en": "Happy"}, "triste": "Triste"},
}

VALID = {
    "story": STORY,
    "chapter": CHAPTER,
    "characters": CHARACTERS,
    "achievements": ACHIEVEMENTS,
    "rewards": REWARDS,
    "shop": SHOP,
    "moods": MOODS,
}


@pytest.mark.parametrize("kind", CONTENT_SCHEMAS)
def test_valid_document_passes(kind: str) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator(kind).iter_errors(VALID[kind])]
    assert not errors


@pytest.mark.parametrize(
    ("kind", "doc"),
    [
        (
            "story",
            {"id": "d", "title": "D", "default_locale": "es", "locales": ["es"], "start": "c.s"},
        ),
        ("chapter", {"id": "c", "title": "C", "scenes": {"s": {"text": "Fin", "ending": "bad"}}}),
        ("characters", {}),
        ("characters", {"diana": {"name": "Diana"}}),
        ("achievements", {"a": {"title": "A"}}),
        ("rewards", {"currency": {"id": "besitos", "name": "besitos"}}),
        ("shop", {"products": {}}),
        ("moods", {"moods": ["alegre"], "examples": {"es": {"alegre": ["bien"]}}}),
    ],
)
def test_minimal_document_passes(kind: str, doc: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator(kind).iter_errors(doc)]
    assert not errors


# --------------------------------------------------------------------------- invalid documents
# Each case changes one thing in a valid document above and names the keyword that must
# report it, and where (a JSON path into the document).

DELETE = object()


def changed(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of doc with the value at path replaced (or deleted, with DELETE)."""
    result = copy.deepcopy(doc)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


def renamed(doc: dict[str, Any], path: tuple[Any, ...], old: str, new: str) -> dict[str, Any]:
    """A deep copy of doc with the key `old` of the mapping at path renamed to `new`."""
    result = copy.deepcopy(doc)
    target: Any = result
    for step in path:
        target = target[step]
    target[new] = target.pop(old)
    return result


# fmt: off
INVALID = [
    # story.yaml
    ("story-unknown-key", "story", changed(STORY, ("titel",), "Diana"),
     "additionalProperties", "$"),
    ("story-bad-id", "story", changed(STORY, ("id",), "Diana"), "pattern", "$.id"),
    ("story-missing-start", "story", changed(STORY, ("start",), DELETE), "required", "$"),
    ("story-bad-start", "story", changed(STORY, ("start",), "encuentro.inicio.x"),
     "pattern", "$.start"),
    ("story-bad-locale", "story", changed(STORY, ("locales",), ["es", "EN"]),
     "pattern", "$.locales[1]"),
    ("story-duplicate-locale", "story", changed(STORY, ("locales",), ["es", "es"]),
     "uniqueItems", "$.locales"),
    ("story-no-locales", "story", changed(STORY, ("locales",), []), "minItems", "$.locales"),
    ("variable-bad-id", "story", renamed(STORY, ("variables",), "confianza", "Confianza"),
     "pattern", "$.variables"),
    ("variable-id-with-dash", "story", renamed(STORY, ("variables",), "apodo", "mi-apodo"),
     "pattern", "$.variables"),
    ("variable-wrong-type-enum", "story",
     changed(STORY, ("variables", "confianza", "type"), "float"),
     "enum", "$.variables.confianza.type"),
    ("variable-missing-type", "story",
     changed(STORY, ("variables", "confianza", "type"), DELETE),
     "required", "$.variables.confianza"),
    ("values-on-int-variable", "story",
     changed(STORY, ("variables", "confianza", "values"), ["a", "b"]),
     "additionalProperties", "$.variables.confianza"),
    ("min-on-bool-variable", "story",
     changed(STORY, ("variables", "conocio_diana", "min"), 0),
     "additionalProperties", "$.variables.conocio_diana"),
    ("max-on-enum-variable", "story", changed(STORY, ("variables", "camino", "max"), 3),
     "additionalProperties", "$.variables.camino"),
    ("enum-variable-without-values", "story",
     changed(STORY, ("variables", "camino", "values"), DELETE),
     "required", "$.variables.camino"),
    ("enum-variable-bad-value", "story",
     changed(STORY, ("variables", "camino", "values"), ["luz", "Sombra"]),
     "pattern", "$.variables.camino.values[1]"),
    ("bool-variable-int-default", "story",
     changed(STORY, ("variables", "conocio_diana", "default"), 0),
     "type", "$.variables.conocio_diana.default"),
    ("int-variable-string-default", "story",
     changed(STORY, ("variables", "confianza", "default"), "0"),
     "type", "$.variables.confianza.default"),
    ("variable-unknown-key", "story",
     changed(STORY, ("variables", "apodo", "maxlen"), 10),
     "additionalProperties", "$.variables.apodo"),
    # chapters/*.yaml
    ("chapter-unknown-key", "chapter", changed(CHAPTER, ("premium",), True),
     "additionalProperties", "$"),
    ("chapter-missing-scenes", "chapter", changed(CHAPTER, ("scenes",), DELETE),
     "required", "$"),
    ("chapter-empty-scenes", "chapter", changed(CHAPTER, ("scenes",), {}),
     "minProperties", "$.scenes"),
    ("chapter-vip-not-bool", "chapter", changed(CHAPTER, ("vip",), "yes"), "type", "$.vip"),
    ("chapter-empty-unlock", "chapter", changed(CHAPTER, ("unlock",), ""),
     "minLength", "$.unlock"),
    ("scene-bad-id", "chapter", renamed(CHAPTER, ("scenes",), "final", "Final"),
     "pattern", "$.scenes"),
    ("scene-unknown-key", "chapter",
     changed(CHAPTER, ("scenes", "final", "speaker"), "diana"),
     "additionalProperties", "$.scenes.final"),
    ("scene-missing-text", "chapter", changed(CHAPTER, ("scenes", "final", "text"), DELETE),
     "required", "$.scenes.final"),
    ("scene-wrong-ending", "chapter", changed(CHAPTER, ("scenes", "final", "ending"), "happy"),
     "enum", "$.scenes.final.ending"),
    ("scene-wrong-input", "chapter",
     changed(CHAPTER, ("scenes", "como_estas", "input"), "text"),
     "enum", "$.scenes.como_estas.input"),
    ("scene-bad-next", "chapter", changed(CHAPTER, ("scenes", "despedida", "next"), "Final"),
     "pattern", "$.scenes.despedida.next"),
    ("scene-empty-routes", "chapter", changed(CHAPTER, ("scenes", "como_estas", "next"), []),
     "minItems", "$.scenes.como_estas.next"),
    ("route-unknown-key", "chapter",
     changed(CHAPTER, ("scenes", "como_estas", "next", 1, "when"), "vip"),
     "additionalProperties", "$.scenes.como_estas.next[1]"),
    ("route-missing-goto", "chapter",
     changed(CHAPTER, ("scenes", "como_estas", "next", 0, "goto"), DELETE),
     "required", "$.scenes.como_estas.next[0]"),
    ("media-two-kinds", "chapter",
     changed(CHAPTER, ("scenes", "como_estas", "media"), {"photo": "a.jpg", "audio": "b.mp3"}),
     "maxProperties", "$.scenes.como_estas.media"),
    ("media-unknown-kind", "chapter",
     changed(CHAPTER, ("scenes", "como_estas", "media"), {"sticker": "a.webp"}),
     "additionalProperties", "$.scenes.como_estas.media"),
    ("duplicate-alias", "chapter",
     changed(CHAPTER, ("scenes", "final", "aliases"), ["fin", "fin"]),
     "uniqueItems", "$.scenes.final.aliases"),
    ("text-empty-translations", "chapter", changed(CHAPTER, ("scenes", "final", "text"), {}),
     "minProperties", "$.scenes.final.text"),
    ("text-bad-locale", "chapter",
     changed(CHAPTER, ("scenes", "final", "text"), {"spanish": "Fin"}),
     "pattern", "$.scenes.final.text"),
    ("text-not-a-string", "chapter",
     changed(CHAPTER, ("scenes", "final", "text"), {"es": ["Fin"]}),
     "type", "$.scenes.final.text.es"),
    ("choice-missing-goto", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "goto"), DELETE),
     "required", "$.scenes.inicio.choices[0]"),
    ("choice-missing-text", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 1, "text"), DELETE),
     "required", "$.scenes.inicio.choices[1]"),
    ("choice-unknown-key", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "price"), 5),
     "additionalProperties", "$.scenes.inicio.choices[0]"),
    ("choice-bad-id", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "id"), "1st"),
     "pattern", "$.scenes.inicio.choices[0].id"),
    ("choice-zero-cost", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 1, "cost"), 0),
     "minimum", "$.scenes.inicio.choices[1].cost"),
    ("no-choices", "chapter", changed(CHAPTER, ("scenes", "inicio", "choices"), []),
     "minItems", "$.scenes.inicio.choices"),
    ("effects-unknown-key", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "effects", "give"), {"a": 1}),
     "additionalProperties", "$.scenes.inicio.choices[0].effects"),
    ("effects-add-not-int", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "effects", "add"), {"confianza": 1.5}),
     "type", "$.scenes.inicio.choices[0].effects.add.confianza"),
    ("effects-set-list", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "on_enter", "set"), {"conocio_diana": [True]}),
     "type", "$.scenes.inicio.on_enter.set.conocio_diana"),
    ("effects-bad-variable-id", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "on_enter", "set"), {"Conocio": True}),
     "pattern", "$.scenes.inicio.on_enter.set"),
    ("effects-zero-points", "chapter",
     changed(CHAPTER, ("scenes", "inicio", "choices", 0, "effects", "points"), 0),
     "minimum", "$.scenes.inicio.choices[0].effects.points"),
    # characters.yaml
    ("character-bad-id", "characters", renamed(CHARACTERS, (), "diana", "Diana"),
     "pattern", "$"),
    ("character-unknown-key", "characters", changed(CHARACTERS, ("diana", "nombre"), "Diana"),
     "additionalProperties", "$.diana"),
    ("character-missing-name", "characters", changed(CHARACTERS, ("diana", "name"), DELETE),
     "required", "$.diana"),
    ("bond-unknown-key", "characters", changed(CHARACTERS, ("diana", "bond", "start"), 0),
     "additionalProperties", "$.diana.bond"),
    # achievements.yaml
    ("achievement-bad-id", "achievements", renamed(ACHIEVEMENTS, (), "constante", "x-1"),
     "pattern", "$"),
    ("achievement-missing-title", "achievements",
     changed(ACHIEVEMENTS, ("constante", "title"), DELETE), "required", "$.constante"),
    ("achievement-unknown-tier", "achievements",
     changed(ACHIEVEMENTS, ("constante", "tiers", "platinum"), "streak >= 90"),
     "additionalProperties", "$.constante.tiers"),
    ("achievement-empty-tiers", "achievements",
     changed(ACHIEVEMENTS, ("constante", "tiers"), {}), "minProperties", "$.constante.tiers"),
    ("achievement-secret-yes", "achievements",
     changed(ACHIEVEMENTS, ("primer_beso", "secret"), "yes"), "type", "$.primer_beso.secret"),
    ("achievement-reward-unknown-key", "achievements",
     changed(ACHIEVEMENTS, ("primer_beso", "reward"), {"points": 5, "vip_days": 1}),
     "additionalProperties", "$.primer_beso.reward"),
    # rewards.yaml
    ("rewards-unknown-key", "rewards", changed(REWARDS, ("bonus",), 5),
     "additionalProperties", "$"),
    ("rewards-missing-currency", "rewards", changed(REWARDS, ("currency",), DELETE),
     "required", "$"),
    ("currency-missing-name", "rewards", changed(REWARDS, ("currency", "name"), DELETE),
     "required", "$.currency"),
    ("rule-wrong-event", "rewards", changed(REWARDS, ("rules", 1, "on"), "login"),
     "enum", "$.rules[1].on"),
    ("rule-missing-points", "rewards", changed(REWARDS, ("rules", 2, "points"), DELETE),
     "required", "$.rules[2]"),
    ("rule-unknown-key", "rewards", changed(REWARDS, ("rules", 0, "every"), "day"),
     "additionalProperties", "$.rules[0]"),
    ("rule-negative-points", "rewards", changed(REWARDS, ("rules", 0, "points"), -1),
     "minimum", "$.rules[0].points"),
    ("rule-zero-limit", "rewards", changed(REWARDS, ("rules", 2, "limit", "per_day"), 0),
     "minimum", "$.rules[2].limit.per_day"),
    ("vip-multiplier-below-one", "rewards", changed(REWARDS, ("multipliers", "vip"), 0.5),
     "minimum", "$.multipliers.vip"),
    ("level-missing-name", "rewards", changed(REWARDS, ("levels", 1, "name"), DELETE),
     "required", "$.levels[1]"),
    ("grace-days-too-many", "rewards", changed(REWARDS, ("streak", "grace_days"), 8),
     "maximum", "$.streak.grace_days"),
    # shop.yaml
    ("shop-unknown-key", "shop", changed(SHOP, ("currency",), "eur"),
     "additionalProperties", "$"),
    ("product-bad-id", "shop", renamed(SHOP, ("products",), "vip_30", "VIP30"),
     "pattern", "$.products"),
    ("vip-product-without-days", "shop", changed(SHOP, ("products", "vip_30", "days"), DELETE),
     "required", "$.products.vip_30"),
    ("points-product-without-points", "shop",
     changed(SHOP, ("products", "besitos_100", "points"), DELETE),
     "required", "$.products.besitos_100"),
    ("points-product-with-days", "shop",
     changed(SHOP, ("products", "besitos_100", "days"), 30),
     "additionalProperties", "$.products.besitos_100"),
    ("product-wrong-type", "shop", changed(SHOP, ("products", "vip_30", "type"), "bundle"),
     "enum", "$.products.vip_30.type"),
    ("product-without-price", "shop", changed(SHOP, ("products", "vip_30", "price"), DELETE),
     "required", "$.products.vip_30"),
    ("product-empty-price", "shop", changed(SHOP, ("products", "vip_30", "price"), {}),
     "minProperties", "$.products.vip_30.price"),
    ("stripe-uppercase-currency", "shop",
     changed(SHOP, ("products", "vip_30", "price", "stripe", "currency"), "EUR"),
     "pattern", "$.products.vip_30.price.stripe.currency"),
    ("stripe-wrong-interval", "shop",
     changed(SHOP, ("products", "vip_mensual", "price", "stripe", "interval"), "week"),
     "enum", "$.products.vip_mensual.price.stripe.interval"),
    ("stripe-missing-amount", "shop",
     changed(SHOP, ("products", "vip_30", "price", "stripe", "amount"), DELETE),
     "required", "$.products.vip_30.price.stripe"),
    ("zero-stars", "shop", changed(SHOP, ("products", "besitos_100", "price", "stars"), 0),
     "minimum", "$.products.besitos_100.price.stars"),
    # moods.yaml
    ("moods-unknown-key", "moods", changed(MOODS, ("labels",), ["alegre"]),
     "additionalProperties", "$"),
    ("moods-missing-examples", "moods", changed(MOODS, ("examples",), DELETE),
     "required", "$"),
    ("moods-duplicate", "moods", changed(MOODS, ("moods",), ["alegre", "alegre"]),
     "uniqueItems", "$.moods"),
    ("moods-bad-id", "moods", changed(MOODS, ("moods",), ["Alegre"]), "pattern", "$.moods[0]"),
    ("examples-bad-locale", "moods", renamed(MOODS, ("examples",), "es", "spanish"),
     "pattern", "$.examples"),
    ("examples-bad-mood-id", "moods", renamed(MOODS, ("examples", "en"), "alegre", "Happy"),
     "pattern", "$.examples.en"),
    ("examples-not-a-list", "moods",
     changed(MOODS, ("examples", "en", "alegre"), "what a great day"),
     "type", "$.examples.en.alegre"),
]
# fmt: on


@pytest.mark.parametrize(
    ("kind", "doc", "keyword", "where"),
    [pytest.param(kind, doc, keyword, where, id=case) for case, kind, doc, keyword, where in INVALID],
)
def test_invalid_document_fails(kind: str, doc: dict[str, Any], keyword: str, where: str) -> None:
    errors = list(all_errors(validator(kind).iter_errors(doc)))
    assert errors, "the document was accepted"
    found = {(e.validator, e.json_path) for e in errors}
    assert (keyword, where) in found, f"expected {keyword} at {where}; got {sorted(found)}"
