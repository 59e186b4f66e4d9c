"""The mood model: enough examples per mood and locale, and how well it recognises replies it never saw.

Accuracy is measured by stratified k-fold cross-validation of the classifier the bot uses
(:class:`engine.mood.KeywordClassifier`): example *i* of each mood is held out in fold ``i % K``, the model
is trained on the other folds and must name the held-out example's mood. Deterministic: no shuffling.
With fewer than :data:`MIN_FOR_ACCURACY` examples of some mood in a locale there is no figure: a held-out
fold would be one or two examples per mood, and one reply more or less would swing the result by
tens of points (the few-examples warning speaks for those moods instead).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from engine.codes import diagnostic
from engine.content.model import Moods
from engine.content.project import Project
from engine.diagnostics import Diagnostic
from engine.lint.registry import check
from engine.mood import KeywordClassifier

MIN_EXAMPLES = 5
MIN_FOR_ACCURACY = 10
FOLDS = 5
GOOD_ACCURACY = 0.7


@dataclass(frozen=True, slots=True)
class Accuracy:
    locale: str
    correct: int
    total: int
    by_mood: dict[str, tuple[int, int]]  # mood -> (recognised, examples)

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 0.0


def cross_validate(locale: str, by_mood: Mapping[str, tuple[str, ...]], folds: int = FOLDS) -> Accuracy:
    by_mood_found: dict[str, list[int]] = {mood: [0, len(texts)] for mood, texts in by_mood.items()}
    correct = total = 0
    for fold in range(folds):
        train = {
            mood: tuple(text for i, text in enumerate(texts) if i % folds != fold)
            for mood, texts in by_mood.items()
        }
        model = KeywordClassifier({locale: train})
        for mood, texts in by_mood.items():
            for text in texts[fold::folds]:
                total += 1
                if model(text, locale) == mood:
                    correct += 1
                    by_mood_found[mood][0] += 1
    return Accuracy(locale, correct, total, {m: (v[0], v[1]) for m, v in by_mood_found.items()})


def _weakest(result: Accuracy) -> str:
    ranked = sorted(result.by_mood.items(), key=lambda item: (item[1][0] / max(item[1][1], 1), item[0]))
    return ", ".join(f"{mood} {hit}/{count}" for mood, (hit, count) in ranked[:3])


@check("moods", "D801", "D802", "D803", order=80)
def moods(project: Project) -> Iterator[Diagnostic]:
    content = project.content
    declared = content.moods
    if not declared.moods:
        return
    for locale in content.story.locales:
        examples = declared.examples.get(locale, {})
        for mood in declared.moods:
            count = len(examples.get(mood, ()))
            if not any(by_mood.get(mood) for by_mood in declared.examples.values()):
                continue  # no examples at all is D312
            if count < MIN_EXAMPLES:
                yield diagnostic(
                    "D801",
                    declared.example_locs.get((locale, mood), declared.mood_locs.get(mood, declared.loc)),
                    f"mood '{mood}' has {count} example(s) in {locale}; the model needs at least "
                    f"{MIN_EXAMPLES} per locale to recognise it",
                    hint=f"add examples under examples.{locale}.{mood}: the ways players say it",
                )
        yield from _accuracy(declared, locale)


def _accuracy(declared: Moods, locale: str) -> Iterator[Diagnostic]:
    examples = {mood: declared.examples.get(locale, {}).get(mood, ()) for mood in declared.moods}
    if any(len(texts) < MIN_FOR_ACCURACY for texts in examples.values()):
        return
    result = cross_validate(locale, examples)
    loc = declared.example_locs.get((locale, declared.moods[0]), declared.loc)
    percent = f"{result.value:.0%}"
    how = f"{FOLDS}-fold cross-validation over {result.total} {locale} examples"
    if result.value >= GOOD_ACCURACY:
        yield diagnostic(
            "D802",
            loc,
            f"the mood model recognises {percent} of {locale} replies it was not trained on ({how})",
        )
        return
    yield diagnostic(
        "D803",
        loc,
        f"the mood model recognises only {percent} of {locale} replies it was not trained on ({how}); "
        f"weakest: {_weakest(result)}",
        hint="add examples that use the words players write for those moods, and keep words that "
        "belong to one mood out of the others' examples",
    )
