"""A transparent baseline classifier: the mood whose examples share the most words with the reply.

It needs no training step and explains itself (writers can see why a reply matched), which makes it the
right default for playtesting; a statistical model can replace it behind the same call signature.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

_WORD = re.compile(r"[a-zñ']+")
# Words so common they say nothing about a mood (es/en); kept short on purpose.
_STOP = frozenset(
    [
        "a",
        "al",
        "algo",
        "como",
        "con",
        "de",
        "del",
        "el",
        "en",
        "es",
        "esta",
        "estoy",
        "la",
        "las",
        "lo",
        "los",
        "me",
        "mi",
        "muy",
        "no",
        "que",
        "se",
        "si",
        "soy",
        "su",
        "te",
        "tu",
        "un",
        "una",
        "y",
        "yo",
        "i",
        "im",
        "i'm",
        "am",
        "is",
        "are",
        "the",
        "to",
        "of",
        "and",
        "my",
        "me",
        "it",
        "so",
        "very",
        "a",
        "an",
        "in",
        "on",
        "at",
        "be",
        "this",
        "that",
    ]
)


def normalize(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch) or ch == "\u0303")
    plain = unicodedata.normalize("NFC", plain)
    return [w for w in _WORD.findall(plain) if w not in _STOP]


class KeywordClassifier:
    """``classifier(text, locale) -> mood | None``; None when no example shares a word."""

    def __init__(self, examples: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
        self.weights: dict[str, dict[str, Counter[str]]] = {}
        self.idf: dict[str, dict[str, float]] = {}
        for locale, by_mood in examples.items():
            counts = {
                mood: Counter(w for ex in texts for w in set(normalize(ex)))
                for mood, texts in by_mood.items()
            }
            self.weights[locale] = counts
            moods_with = Counter(w for counter in counts.values() for w in counter)
            total = max(len(counts), 1)
            self.idf[locale] = {w: math.log(1 + total / n) for w, n in moods_with.items()}

    def __call__(self, text: str, locale: str) -> str | None:
        words = normalize(text)
        by_mood = self.weights.get(locale) or next(iter(self.weights.values()), {})
        idf = self.idf.get(locale) or next(iter(self.idf.values()), {})
        best, best_score = None, 0.0
        for mood, counter in by_mood.items():
            score = sum(idf.get(w, 0.0) * counter[w] for w in words if w in counter)
            if score > best_score:
                best, best_score = mood, score
        return best
