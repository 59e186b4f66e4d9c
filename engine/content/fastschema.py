"""A fast yes/no answer to "is this document valid against its JSON Schema?", for the happy path.

jsonschema walks the schema for every value of every document (and resolves each ``$ref`` through its
registry each time): at 100k scenes that is most of the linter's time. Most stories are valid, and a
valid file needs no messages; so the schema is compiled once into nested closures that only answer
yes or no, and only a file that fails is handed to jsonschema, whose errors the loader explains.

The compiler knows exactly the keywords our schemas use, with Draft 2020-12 semantics as jsonschema
implements them (an ``integer`` may be written 1.0; ``true`` is not the number 1 for ``enum``/``const``
and ``uniqueItems``). A keyword it does not know makes :func:`compile_schema` raise, and the loader then
uses jsonschema for everything: the fast path can only be missing, never wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]
ANNOTATIONS = frozenset(
    ("description", "examples", "default", "title", "$schema", "$id", "$defs", "$comment", "deprecated")
)


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword this compiler does not implement."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
}


def equal(one: object, two: object) -> bool:
    """JSON equality as jsonschema has it: booleans are not numbers; containers compare deeply."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    return bool(one == two)


class _Compiler:
    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self.documents = documents
        self.compiled: dict[tuple[str, str], Check] = {}

    def ref(self, ref: str, base: str) -> Check:
        file, _, fragment = ref.partition("#")
        file = file or base
        key = (file, fragment)
        if key not in self.compiled:
            node: Any = self.documents.get(file)
            if node is None:
                raise UnsupportedSchemaError(f"$ref to an unknown document: {ref}")
            for part in (p for p in fragment.strip("/").split("/") if p):
                node = node[part]
            slot: list[Check] = []
            self.compiled[key] = lambda value: slot[0](value)  # recursion-safe until compiled
            slot.append(self.schema(node, file))
            self.compiled[key] = slot[0]
        return self.compiled[key]

    def schema(self, node: Any, base: str) -> Check:
        if node is True:
            return lambda value: True
        if node is False:
            return lambda value: False
        if not isinstance(node, dict):
            raise UnsupportedSchemaError(f"not a schema: {node!r}")
        checks: list[Check] = []
        for keyword, argument in node.items():
            if keyword in ANNOTATIONS or keyword in ("then", "else"):
                continue
            checks.append(self.keyword(keyword, argument, node, base))
        return _all_of(checks)

    def keyword(self, keyword: str, argument: Any, node: dict[str, Any], base: str) -> Check:
        match keyword:
            case "$ref":
                return self.ref(argument, base)
            case "type":
                names = argument if isinstance(argument, list) else [argument]
                tests = [_TYPES[name] for name in names]
                if len(tests) == 1:
                    return tests[0]
                return lambda value: any(test(value) for test in tests)
            case "enum":
                options = list(argument)
                return lambda value: any(equal(value, option) for option in options)
            case "const":
                return lambda value: equal(value, argument)
            case "pattern":
                search = re.compile(argument).search
                return lambda value: not isinstance(value, str) or search(value) is not None
            case "minLength":
                return lambda value: not isinstance(value, str) or len(value) >= argument
            case "minimum":
                return lambda value: not _is_number(value) or value >= argument
            case "maximum":
                return lambda value: not _is_number(value) or value <= argument
            case "exclusiveMinimum":
                return lambda value: not _is_number(value) or value > argument
            case "minItems":
                return lambda value: not isinstance(value, list) or len(value) >= argument
            case "uniqueItems":
                if not argument:
                    return lambda value: True
                return lambda value: (
                    not isinstance(value, list)
                    or not any(equal(a, b) for i, a in enumerate(value) for b in value[i + 1 :])
                )
            case "items":
                item = self.schema(argument, base)
                return lambda value: not isinstance(value, list) or all(item(v) for v in value)
            case "minProperties":
                return lambda value: not isinstance(value, dict) or len(value) >= argument
            case "maxProperties":
                return lambda value: not isinstance(value, dict) or len(value) <= argument
            case "required":
                names = list(argument)
                return lambda value: not isinstance(value, dict) or all(n in value for n in names)
            case "properties":
                props = {name: self.schema(sub, base) for name, sub in argument.items()}
                return lambda value: (
                    not isinstance(value, dict) or all(props[k](v) for k, v in value.items() if k in props)
                )
            case "additionalProperties":
                known = set(node.get("properties", {}))
                if "patternProperties" in node:
                    raise UnsupportedSchemaError("patternProperties")
                extra = self.schema(argument, base)
                return lambda value: (
                    not isinstance(value, dict) or all(extra(v) for k, v in value.items() if k not in known)
                )
            case "propertyNames":
                name = self.schema(argument, base)
                return lambda value: not isinstance(value, dict) or all(name(k) for k in value)
            case "anyOf":
                options = [self.schema(sub, base) for sub in argument]
                return lambda value: any(option(value) for option in options)
            case "allOf":
                parts = [self.schema(sub, base) for sub in argument]
                return lambda value: all(part(value) for part in parts)
            case "if":
                condition = self.schema(argument, base)
                then = self.schema(node.get("then", True), base)
                otherwise = self.schema(node.get("else", True), base)
                return lambda value: then(value) if condition(value) else otherwise(value)
            case _:
                raise UnsupportedSchemaError(f"keyword {keyword!r}")


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    if len(checks) == 3:
        first, second, third = checks
        return lambda value: first(value) and second(value) and third(value)

    return lambda value: all(check(value) for check in checks)


def compile_schema(documents: Mapping[str, Mapping[str, Any]], name: str) -> Check:
    """A validity test for the document ``name`` (a file name in ``documents``, which ``$ref``s use)."""
    return _Compiler(documents).schema(documents[name], name)
