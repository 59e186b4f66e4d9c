"""What changed between two bundles, for `diana diff` and for publish's report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.content.bundle import Bundle


@dataclass(frozen=True, slots=True)
class TextChange:
    key: str
    locale: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Section:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True, slots=True)
class BundleDiff:
    before: str
    after: str
    chapters: Section = Section()
    scenes: Section = Section()
    choices: Section = Section()
    achievements: Section = Section()
    products: Section = Section()
    texts: tuple[TextChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        sections = (self.chapters, self.scenes, self.choices, self.achievements, self.products)
        return all(s.empty for s in sections) and not self.texts

    def to_dict(self) -> dict[str, Any]:
        def section(s: Section) -> dict[str, list[str]]:
            return {"added": list(s.added), "removed": list(s.removed), "changed": list(s.changed)}

        return {
            "before": self.before,
            "after": self.after,
            "chapters": section(self.chapters),
            "scenes": section(self.scenes),
            "choices": section(self.choices),
            "achievements": section(self.achievements),
            "products": section(self.products),
            "texts": [
                {"key": t.key, "locale": t.locale, "before": t.before, "after": t.after} for t in self.texts
            ],
        }


def _section(before: Mapping[str, object], after: Mapping[str, object]) -> Section:
    added = tuple(k for k in after if k not in before)
    removed = tuple(k for k in before if k not in after)
    changed = tuple(k for k in after if k in before and before[k] != after[k])
    return Section(added, removed, changed)


def _texts(key: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[TextChange]:
    return [
        TextChange(key, locale, before.get(locale, ""), after.get(locale, ""))
        for locale in sorted(set(before) | set(after))
        if before.get(locale, "") != after.get(locale, "")
    ]


def diff_bundles(before: Bundle, after: Bundle) -> BundleDiff:
    choices_before = {f"{s.key}.{c.key}": c for s in before.scenes.values() for c in s.choices}
    choices_after = {f"{s.key}.{c.key}": c for s in after.scenes.values() for c in s.choices}
    texts: list[TextChange] = []
    for key, scene in after.scenes.items():
        old = before.scenes.get(key)
        if old is not None:
            texts.extend(_texts(key, old.text, scene.text))
    for key, choice in choices_after.items():
        old_choice = choices_before.get(key)
        if old_choice is not None:
            texts.extend(_texts(key, old_choice.text, choice.text))
    return BundleDiff(
        before=before.content_hash,
        after=after.content_hash,
        chapters=_section(before.chapters, after.chapters),
        scenes=_section(before.scenes, after.scenes),
        choices=_section(choices_before, choices_after),
        achievements=_section(before.achievements, after.achievements),
        products=_section(before.products, after.products),
        texts=tuple(texts),
    )
