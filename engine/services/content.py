"""Where services get the story from. The runtime reads compiled bundles only, never YAML.

``StaticContent`` serves one bundle (tests, `diana chat` before publishing existed); the release
watcher of the publishing layer implements the same ``current()`` and swaps bundles atomically: a
decision takes ``current()`` once at its start and finishes on that bundle even if a new one arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.content.bundle import Bundle
from engine.mood import KeywordClassifier

Classifier = Callable[[str, str], str | None]


class ContentSource(Protocol):
    def current(self) -> Bundle: ...

    def classifier(self, bundle: Bundle) -> Classifier: ...


class ClassifierCache:
    """One mood model per bundle, built on first use."""

    def __init__(self) -> None:
        self._by_hash: dict[str, Classifier] = {}

    def get(self, bundle: Bundle) -> Classifier:
        found = self._by_hash.get(bundle.content_hash)
        if found is None:
            found = KeywordClassifier(bundle.moods.examples)
            self._by_hash = {bundle.content_hash: found}  # keep only the live one
        return found


class StaticContent:
    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self._classifiers = ClassifierCache()

    def current(self) -> Bundle:
        return self.bundle

    def classifier(self, bundle: Bundle) -> Classifier:
        return self._classifiers.get(bundle)
