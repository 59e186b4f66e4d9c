"""Lint never crashes, whatever a writer's editor saves, and its knobs (suppressions, config) behave.

Property tests lint in memory (``lint_memory``): same loader and checks as ``lint_path``, no disk, so
hundreds of examples stay fast.
"""

from __future__ import annotations

import re
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint_support import CHAPTER, STORY, LintStory, codes, edit, files_with, lint_memory, show

from engine.codes import CODES
from engine.content.sourcemap import SourceText, locate, segments
from engine.content.yamlread import read_yaml
from engine.content.ynode import YScalar, YSeq
from engine.diagnostics import Severity
from engine.lint import LintConfig, LintReport

CH = "chapters/01-a.yaml"
CONTENT_FILES = (
    "story.yaml",
    CH,
    "characters.yaml",
    "achievements.yaml",
    "rewards.yaml",
    "shop.yaml",
    "moods.yaml",
)
# Derandomized and without an example database: the same examples on every run and machine.
FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_well_formed(report: LintReport, overrides: dict[str, str | bytes]) -> None:
    """Every finding has a known code, names a file of the story, and errors point at a real line."""
    files = files_with(overrides)
    for item in report.diagnostics:
        assert item.code in CODES, item
        assert item.name == CODES[item.code].name
        assert item.message
        assert item.file in files or item.file in ("story.yaml", "chapters/"), item
        if item.severity is Severity.ERROR and item.file in files:
            assert item.line >= 1, item
            assert item.column >= 1, item
            data = files[item.file]
            text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
            assert item.line <= text.count("\n") + 2, item
    assert report.diagnostics == sorted(report.diagnostics, key=lambda d: d.sort_key())


# -- never raises -------------------------------------------------------------------------------------------


@FAST
@given(path=st.sampled_from(CONTENT_FILES), data=st.binary(max_size=400))
def test_arbitrary_bytes_in_any_content_file(path: str, data: bytes) -> None:
    overrides: dict[str, str | bytes] = {path: data}
    assert_well_formed(lint_memory(overrides), overrides)


@FAST
@given(path=st.sampled_from(("story.yaml", CH)), text=st.text(max_size=400))
def test_arbitrary_text_in_story_and_chapter(path: str, text: str) -> None:
    overrides: dict[str, str | bytes] = {path: text}
    assert_well_formed(lint_memory(overrides), overrides)


YAML_PUNCTUATION = st.sampled_from([*":-[]{}&*!|>'\"#%@`,?\t\n ", "  ", "- ", ": ", "\n  "])


@FAST
@given(
    path=st.sampled_from(("story.yaml", CH)),
    pieces=st.lists(st.one_of(YAML_PUNCTUATION, st.text(string.ascii_lowercase, max_size=6)), max_size=60),
)
def test_yaml_punctuation_soup(path: str, pieces: list[str]) -> None:
    overrides: dict[str, str | bytes] = {path: "".join(pieces)}
    assert_well_formed(lint_memory(overrides), overrides)


def _mutations(text: str) -> st.SearchStrategy[str]:
    """The minimal file with one line replaced, duplicated, deleted or re-indented."""
    lines = text.splitlines()
    index = st.integers(0, len(lines) - 1)
    replacement = st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            [
                "goto: nowhere",
                "if: \"confianza >= 'x'\"",
                "  - x",
                "text: 5",
                "next: [1, 2]",
                "media: {photo: 3}",
                "set: {confianza: true}",
                "ending: true",
                "{{{",
                "&a [*a]",
                "choices: []",
                "scenes: null",
                "x: !!binary aGVsbG8=",
                'text: "{nombre} <big> & <b>"',
                "text: {es: '<i>{name}', en: \"</i>\"}",
                "if: 'mood == ''triste'' or'",
                "requires: >-",
                "- {text: x, goto: final, id: X}",
                "aliases: [inicio, inicio]",
            ]
        ),
    )

    def apply(args: tuple[int, str, str]) -> str:
        at, how, new = args
        changed = list(lines)
        if how == "replace":
            indent = len(changed[at]) - len(changed[at].lstrip(" "))
            changed[at] = " " * indent + new
        elif how == "duplicate":
            changed.insert(at, changed[at])
        elif how == "delete":
            del changed[at]
        else:
            changed[at] = " " + changed[at]
        return "\n".join(changed) + "\n"

    return st.tuples(index, st.sampled_from(["replace", "duplicate", "delete", "indent"]), replacement).map(
        apply
    )


@FAST
@given(text=_mutations(CHAPTER))
def test_one_line_changed_in_the_chapter(text: str) -> None:
    overrides: dict[str, str | bytes] = {CH: text}
    assert_well_formed(lint_memory(overrides), overrides)


@FAST
@given(text=_mutations(STORY))
def test_one_line_changed_in_story_yaml(text: str) -> None:
    overrides: dict[str, str | bytes] = {"story.yaml": text}
    assert_well_formed(lint_memory(overrides), overrides)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        ["inicio", "charla", "final", "uno.final", "diana", "confianza >= 1", "mood", "media/x.png"]
    ),
    st.text(max_size=12),
)
KEYS = st.sampled_from(
    [
        "id",
        "title",
        "order",
        "vip",
        "unlock",
        "start",
        "scenes",
        "text",
        "choices",
        "next",
        "goto",
        "if",
        "requires",
        "cost",
        "effects",
        "set",
        "add",
        "bond",
        "points",
        "achievement",
        "media",
        "ending",
        "input",
        "aliases",
        "next_chapter",
        "character",
        "on_enter",
        "es",
        "en",
        "inicio",
        "final",
        "confianza",
    ]
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=25,
)


@FAST
@given(scenes=st.dictionaries(st.sampled_from(["inicio", "charla", "final", "x"]), TREES, max_size=4))
def test_schema_shaped_nonsense_in_a_chapter(scenes: dict[str, object]) -> None:
    document = {"id": "uno", "title": {"es": "Uno", "en": "One"}, "scenes": scenes}
    text = yaml.safe_dump(document, allow_unicode=True)
    overrides: dict[str, str | bytes] = {CH: text}
    assert_well_formed(lint_memory(overrides), overrides)


@FAST
@given(tree=st.dictionaries(KEYS, TREES, max_size=6))
def test_schema_shaped_nonsense_as_a_whole_file(tree: dict[str, object]) -> None:
    text = yaml.safe_dump(tree, allow_unicode=True)
    for path in ("story.yaml", CH):
        overrides: dict[str, str | bytes] = {path: text}
        assert_well_formed(lint_memory(overrides), overrides)


# -- positions inside scalars ------------------------------------------------------------------------------

SCALAR_TEXT = st.text(st.sampled_from(list("abcxyz019 _'\"=<>(){}.,:#-!&*|\\ñé😀")), min_size=1, max_size=100)


@FAST
@given(
    value=SCALAR_TEXT,
    style=st.sampled_from([None, '"', "'", "|", ">"]),
    nested=st.booleans(),
)
def test_every_character_of_a_scalar_is_located_in_the_file(
    value: str, style: str | None, nested: bool
) -> None:
    """However YAML writes a value (quoted, escaped, folded over lines, as a block), a finding at offset
    i of the value points at the file character that is value[i]."""
    document = {"k": {"a": value}} if nested else {"a": value}
    text = yaml.safe_dump(document, default_style=style, allow_unicode=True, width=30)
    if re.search(r'\\[^"\\\n]', text):
        return  # escapes such as \U0001F600 are not mapped character by character
    read = read_yaml("f", text.encode("utf-8"))
    assert read.root is not None
    assert not read.diagnostics
    node = read.root
    for key in ("k", "a") if nested else ("a",):
        assert not isinstance(node, YScalar | YSeq)
        node = node.entries[key][1]
    assert isinstance(node, YScalar)
    assert node.value == value
    found = segments(SourceText("f", text), node.loc, value)
    lines = text.split("\n")
    for offset, char in enumerate(value):
        if char in " \n":
            continue  # a folded line break has no character of its own in the file
        loc = locate(found, node.loc, offset)
        assert lines[loc.line - 1][loc.column - 1] == char, (text, offset)


# -- suppression comments -----------------------------------------------------------------------------------

TWO_PLAIN_TEXTS = {
    CH: CHAPTER.replace('text: {es: "Ven aquí.", en: "Come here."}', 'text: "Ven aquí."').replace(
        'text: {es: "Fin.", en: "The end."}', 'text: "Fin."'
    )
}


def _silenced(comment: str) -> dict[str, str | bytes]:
    text = TWO_PLAIN_TEXTS[CH]
    return {CH: text.replace('text: "Ven aquí."', f'text: "Ven aquí."  {comment}')}


def _lines(report: LintReport, code: str) -> list[int]:
    return [item.line for item in report.diagnostics if item.code == code]


def test_two_plain_texts_report_two_missing_translations() -> None:
    report = lint_memory(TWO_PLAIN_TEXTS)
    assert codes(report) == ["D504", "D504"], show(report.diagnostics)


@pytest.mark.parametrize(
    "comment",
    [
        "# diana: ignore[D504]",
        "# diana: ignore[missing-translation]",
        "#diana:ignore[D501, D504]",
        "# diana: ignore[unknown-placeholder,missing-translation]",
        "# diana: ignore[all]",
    ],
)
def test_suppression_silences_that_line_only(comment: str) -> None:
    report = lint_memory(_silenced(comment))
    text = TWO_PLAIN_TEXTS[CH]
    assert isinstance(text, str)
    other_line = text[: text.index('text: "Fin."')].count("\n") + 1
    assert _lines(report, "D504") == [other_line], show(report.diagnostics)


@pytest.mark.parametrize(
    "comment",
    [
        "# diana: ignore[D505]",
        "# diana: ignore[placeholders-differ]",
        "# diana ignore[D504]",
        "# ignore[D504]",
    ],
)
def test_other_codes_or_malformed_comments_do_not_silence(comment: str) -> None:
    report = lint_memory(_silenced(comment))
    assert codes(report) == ["D504", "D504"], show(report.diagnostics)


def test_suppression_on_the_line_above_does_not_count() -> None:
    text = TWO_PLAIN_TEXTS[CH]
    assert isinstance(text, str)
    moved = text.replace('    text: "Ven aquí."', '    # diana: ignore[D504]\n    text: "Ven aquí."')
    assert codes(lint_memory({CH: moved})) == ["D504", "D504"]


def test_suppression_of_a_reference_error() -> None:
    broken = edit(CH, "goto: charla", "goto: charlaa  # diana: ignore[unknown-scene]")
    report = lint_memory(broken)
    assert "D301" not in codes(report)


def test_yaml_errors_cannot_be_suppressed() -> None:
    broken = edit(CH, "order: 1", "order: !!python/name:os.system 1  # diana: ignore[D108]")
    assert codes(lint_memory(broken)) == ["D108"]


def test_structure_errors_that_stop_loading_cannot_be_suppressed() -> None:
    broken = edit(CH, "order: 1", "order: uno  # diana: ignore[D202]")
    report = lint_memory(broken)
    assert codes(report) == ["D202"]
    assert report.failed


# -- LintConfig ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["D504", "missing-translation"])
def test_config_ignore_by_code_or_name(key: str) -> None:
    report = lint_memory(TWO_PLAIN_TEXTS, LintConfig(ignore=frozenset({key})))
    assert report.diagnostics == []
    assert not report.failed


def test_config_ignore_leaves_other_codes() -> None:
    text = TWO_PLAIN_TEXTS[CH]
    assert isinstance(text, str)
    broken: dict[str, str | bytes] = {CH: text.replace('"Fin."', '"Fin, {nombre}."')}
    assert sorted(codes(lint_memory(broken))) == ["D501", "D504", "D504"]
    report = lint_memory(broken, LintConfig(ignore=frozenset({"D501"})))
    assert codes(report) == ["D504", "D504"]


@pytest.mark.parametrize("key", ["D504", "missing-translation"])
def test_config_severity_raises_a_warning_to_an_error(key: str) -> None:
    report = lint_memory(TWO_PLAIN_TEXTS, LintConfig(severity={key: Severity.ERROR}))
    assert [item.severity for item in report.diagnostics] == [Severity.ERROR, Severity.ERROR]
    assert report.errors == 2
    assert report.failed


def test_config_severity_lowers_an_error_after_loading() -> None:
    broken = edit(CH, "goto: charla", "goto: charlaa")
    report = lint_memory(broken, LintConfig(severity={"unknown-scene": Severity.WARNING}))
    assert [(item.code, item.severity) for item in report.diagnostics] == [("D301", Severity.WARNING)]
    assert not report.failed


def test_config_severity_info_is_counted_as_a_note() -> None:
    report = lint_memory(TWO_PLAIN_TEXTS, LintConfig(severity={"D504": Severity.INFO}))
    assert report.summary() == {"errors": 0, "warnings": 0, "infos": 2}
    assert not report.failed


def test_config_strict_fails_on_warnings() -> None:
    assert not lint_memory(TWO_PLAIN_TEXTS).failed
    strict = lint_memory(TWO_PLAIN_TEXTS, LintConfig(strict=True))
    assert strict.warnings == 2
    assert strict.failed
    assert not lint_memory({}, LintConfig(strict=True)).failed


def test_config_cannot_hide_an_error_that_stops_loading() -> None:
    """Ignoring or downgrading D101 would pass a story that cannot even be read."""
    broken = edit(CH, "order: 1", "order: [1")
    ignored = lint_memory(broken, LintConfig(ignore=frozenset({"D101", "yaml-syntax"})))
    assert codes(ignored) == ["D101"]
    assert ignored.failed
    lowered = lint_memory(broken, LintConfig(severity={"D101": Severity.WARNING}))
    assert [item.severity for item in lowered.diagnostics] == [Severity.ERROR]


def test_config_cannot_hide_a_duplicate_chapter(lint: LintStory) -> None:
    second = {"chapters/02-b.yaml": CHAPTER.replace("order: 1", "order: 2")}
    report = lint(second, LintConfig(ignore=frozenset({"D206"})))
    assert codes(report) == ["D206"]
    assert report.failed


def test_config_ignores_warnings_of_a_story_that_does_not_load() -> None:
    broken = {**TWO_PLAIN_TEXTS, "notes.yaml": "a: 1\n", **edit("story.yaml", "id: mini", "id: Mini")}
    report = lint_memory(broken, LintConfig(ignore=frozenset({"unknown-file"})))
    assert codes(report) == ["D205"]
