"""Structural validation of each content file against the JSON Schemas in ``schemas/``.

The schemas are the single description of the format: editors use them for autocomplete and this module
uses them for the loader, so the two can never disagree. jsonschema's errors are phrased for programmers;
here each one becomes a writer's diagnostic at the exact key or value, with a "did you mean" hint.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from engine.codes import diagnostic
from engine.content.fastschema import Check, UnsupportedSchemaError, compile_schema
from engine.content.ynode import PathPart, YMap, YNode, locate, to_data
from engine.diagnostics import Diagnostic, Loc

FILE_KINDS = ("story", "chapter", "characters", "achievements", "rewards", "shop", "moods")
ID_PATTERN = "^[a-z][a-z0-9_]*$"
SCENE_REF_PATTERN = "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?$"
LOCALE_PATTERN = "^[a-z]{2}(-[A-Z]{2})?$"
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list (lines starting with '- ')",
    "null": "nothing",
}


def schema_dir() -> Path:
    """Where the schemas live: $DIANA_SCHEMAS, else the repository's ``schemas/`` folder."""
    configured = os.environ.get("DIANA_SCHEMAS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def _validators(directory: str) -> dict[str, Draft202012Validator]:
    resources: list[tuple[str, Resource[Any]]] = []
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory).glob("*.schema.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[path.name.removesuffix(".schema.json")] = document
        resource = Resource.from_contents(document)
        resources.append((path.name, resource))
        if "$id" in document:
            resources.append((document["$id"], resource))
    registry: Registry[Any] = Registry().with_resources(resources)
    return {
        kind: Draft202012Validator(documents[kind], registry=registry)
        for kind in FILE_KINDS
        if kind in documents
    }


@cache
def _fast_checks(directory: str) -> dict[str, Check]:
    """Compiled yes/no validity tests (engine.content.fastschema); a kind it cannot compile is left out."""
    documents = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(Path(directory).glob("*.schema.json"))
    }
    found: dict[str, Check] = {}
    for kind in FILE_KINDS:
        name = f"{kind}.schema.json"
        if name in documents:
            try:
                found[kind] = compile_schema(documents, name)
            except (UnsupportedSchemaError, KeyError, TypeError, re.error):
                continue
    return found


def validator_for(kind: str) -> Draft202012Validator:
    validators = _validators(str(schema_dir()))
    if kind not in validators:
        raise FileNotFoundError(f"no JSON Schema for '{kind}' in {schema_dir()}")
    return validators[kind]


def validate(kind: str, root: YNode) -> list[Diagnostic]:
    """Every structural problem in one file, each located at the key or value it is about."""
    data = to_data(root)
    fast = _fast_checks(str(schema_dir())).get(kind)
    if fast is not None and fast(data):
        return []  # the happy path: valid, so no messages to explain
    errors = sorted(validator_for(kind).iter_errors(data), key=lambda e: list(map(str, e.path)))
    diagnostics: list[Diagnostic] = []
    for error in errors:
        diagnostics.extend(_explain(error, root))
    return _dedupe(diagnostics)


def _dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, Loc, str]] = set()
    out = []
    for item in diagnostics:
        key = (item.code, item.loc, item.message)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}' (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{short}'"
    if isinstance(value, dict):
        return "a mapping"
    return "a list"


def _type_words(expected: object) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)


def _suggest(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", value.strip().lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = "x_" + slug
    return slug or "my_id"


def _explain(error: ValidationError, root: YNode) -> list[Diagnostic]:
    path: tuple[PathPart, ...] = tuple(error.absolute_path)
    node, entry_loc = locate(root, path)
    value_loc = node.loc
    kind = error.validator
    expected: Any = error.validator_value
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}

    if kind == "additionalProperties" and isinstance(error.instance, dict) and isinstance(node, YMap):
        allowed = list(schema.get("properties", {}))
        pattern_props = schema.get("patternProperties", {})
        found = []
        for key in error.instance:
            if key in allowed or any(re.search(p, key) for p in pattern_props):
                continue
            suggestion = _suggest(key, allowed)
            listing = f"allowed keys here: {', '.join(allowed)}" if allowed else None
            hint = "; ".join(part for part in (suggestion, listing) if part) or None
            found.append(diagnostic("D201", node.key_loc(key), f"unknown key '{key}'", hint=hint))
        return found
    if kind == "required" and isinstance(error.instance, dict):
        missing = [k for k in expected if k not in error.instance]
        where = _entry_words(path)
        return [
            diagnostic(
                "D204",
                entry_loc if path else Loc(entry_loc.file, 1, 1),
                f"{where} is missing the required key '{key}'",
                hint=_field_hint(schema, key),
            )
            for key in missing
        ]
    if kind == "pattern" and expected in _PATTERNS:
        bad = str(error.instance)
        # A map's value is never a string, so a string failing a pattern there is one of its keys.
        loc = node.key_loc(bad) if isinstance(node, YMap) and bad in node.entries else value_loc
        code, what, make_hint = _PATTERNS[expected]
        return [diagnostic(code, loc, f"'{bad}' is not {what}", hint=make_hint(bad))]
    if kind == "type":
        return [
            diagnostic(
                "D202",
                value_loc,
                f"expected {_type_words(error.validator_value)}, found {_describe(error.instance)}",
                hint=schema.get("description", "").split(". ")[0] or None,
            )
        ]
    if kind == "enum":
        options = [str(option) for option in expected]
        return [
            diagnostic(
                "D203",
                value_loc,
                f"{_describe(error.instance)} is not allowed here; use one of: {', '.join(options)}",
                hint=_suggest(str(error.instance), options),
            )
        ]
    if kind in ("oneOf", "anyOf") and error.context:
        return _explain_alternatives(error, root, value_loc)
    return [diagnostic("D203", value_loc, _plain_message(error), hint=None)]


def _explain_alternatives(error: ValidationError, root: YNode, value_loc: Loc) -> list[Diagnostic]:
    """A value that fits none of several shapes (a Text that is neither text nor a locale map, ...).

    If the value has the type of one of the alternatives (a mapping where a text-or-mapping belongs),
    the writer meant that one: explain what is wrong inside it (an unknown key, a missing goto, a bad
    locale), not that it should have been some other type.
    """
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context or ():
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(branch, []).append(sub)

    def wrong_type(errors: list[ValidationError]) -> bool:
        return any(sub.validator == "type" and not sub.relative_path for sub in errors)

    fitting = [errors for errors in branches.values() if not wrong_type(errors)]
    if fitting:
        found: list[Diagnostic] = []
        for sub in fitting[0]:
            found.extend(_explain(sub, root))
        return _dedupe(found)
    flat: list[str] = []
    for errors in branches.values():
        for sub in errors:
            if sub.validator == "type" and not sub.relative_path:
                value: Any = sub.validator_value
                flat.extend(value if isinstance(value, list) else [value])
    words = _type_words(list(dict.fromkeys(flat)))
    return [diagnostic("D202", value_loc, f"expected {words}, found {_describe(error.instance)}")]


def _entry_words(path: tuple[PathPart, ...]) -> str:
    """How a writer would name the mapping at ``path``: 'the file', 'inicio', 'item 2 of choices'."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        return f"item {last + 1} of '{path[-2]}'" if len(path) > 1 else f"item {last + 1}"
    return f"'{last}'"


def _scene_ref_hint(bad: str) -> str:
    example = ".".join(_slug(part) for part in bad.split(".")[:2])
    return f"write a scene id, or chapter.scene, in lowercase letters, digits and _, e.g. '{example}'"


def _locale_hint(bad: str) -> str:
    language, _, country = bad.partition("-")
    example = language.lower()[:2] + (f"-{country.upper()[:2]}" if country else "")
    words = "two lowercase letters, optionally a dash and a country (es, pt-BR)"
    return f"{words}, e.g. '{example}'" if re.match(LOCALE_PATTERN, example) else words


def _id_hint(bad: str) -> str:
    return f"ids use lowercase letters, digits and _, starting with a letter, e.g. '{_slug(bad)}'"


# Patterns with a meaning a writer knows -> (code, what the text is not, hint).
_PATTERNS: dict[str, tuple[str, str, Callable[[str], str]]] = {
    ID_PATTERN: ("D205", "a valid id", _id_hint),
    SCENE_REF_PATTERN: ("D205", "a valid scene reference", _scene_ref_hint),
    LOCALE_PATTERN: ("D203", "a language code", _locale_hint),
}


def _field_hint(schema: dict[str, Any], key: str) -> str | None:
    prop = schema.get("properties", {}).get(key)
    if isinstance(prop, dict) and prop.get("description"):
        return f"{key}: {str(prop['description']).split('. ')[0].rstrip('.')}"
    return None


def _plain_message(error: ValidationError) -> str:
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "minimum":
        return f"{_describe(instance)} is too small; the least allowed is {expected}"
    if validator == "maximum":
        return f"{_describe(instance)} is too large; the most allowed is {expected}"
    if validator == "exclusiveMinimum":
        return f"{_describe(instance)} must be more than {expected}"
    if validator == "minItems":
        return f"the list needs at least {expected} item(s)"
    if validator == "minProperties":
        return f"the mapping needs at least {expected} entry(ies)"
    if validator == "maxProperties":
        found = len(instance) if isinstance(instance, dict) else "more"
        return f"the mapping may have at most {expected} entry(ies), not {found}"
    if validator == "uniqueItems":
        return "the list repeats an item; each item may appear once"
    if validator == "minLength":
        return "the text is empty"
    if validator == "pattern":
        return f"{_describe(instance)} does not have the expected form ({expected})"
    return str(error.message)
