"""Every diagnostic code the engine can report, with its name and default severity.

One table, so that docs/lint.md, suppressions (`# diana: ignore[D301]` or `ignore[unknown-scene]`),
SARIF rules and the tests all agree on what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.diagnostics import Diagnostic, Loc, Severity

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    name: str
    severity: Severity
    summary: str


_TABLE: tuple[tuple[str, str, Severity, str], ...] = (
    # Files and YAML
    (
        "D100",
        "missing-file",
        E,
        "A required content file (story.yaml) or the content folder is missing.",
    ),
    ("D101", "yaml-syntax", E, "The file is not valid YAML."),
    ("D102", "duplicate-key", E, "The same key appears twice in one mapping."),
    ("D103", "tab-indentation", E, "A tab is used for indentation."),
    ("D104", "file-too-large", E, "A content file is over the size limit."),
    (
        "D105",
        "yaml-too-complex",
        E,
        "The YAML expands to too many nodes or nests too deep (alias bombs).",
    ),
    ("D106", "not-utf8", E, "The file is not UTF-8 text."),
    ("D107", "unreadable-file", E, "The file could not be read."),
    (
        "D108",
        "unsupported-yaml",
        E,
        "A YAML feature content files do not use (tags, complex keys).",
    ),
    ("D109", "unknown-file", W, "A YAML file in content/ that is not part of the format."),
    # Structure (JSON Schema)
    ("D201", "unknown-key", E, "A key the format does not define (often a typo)."),
    ("D202", "wrong-type", E, "A value of the wrong type (text where a number belongs, ...)."),
    ("D203", "bad-value", E, "A value outside what the key allows (enum, range, pattern)."),
    ("D204", "missing-key", E, "A required key is missing."),
    (
        "D205",
        "bad-id",
        E,
        "An id that is not lowercase letters, digits and _ starting with a letter.",
    ),
    ("D206", "duplicate-id", E, "Two things share one id (chapters in two files, aliases, ...)."),
    (
        "D207",
        "bad-scene-shape",
        E,
        "A scene without choices, next or ending, or with conflicting keys.",
    ),
    (
        "D208",
        "bad-variable",
        E,
        "A variable declaration that contradicts itself (default outside range).",
    ),
    # References
    ("D301", "unknown-scene", E, "A goto, next, start or alias that names no scene."),
    ("D302", "unknown-chapter", E, "A next_chapter, rule or reference that names no chapter."),
    ("D303", "unknown-character", E, "A scene speaker or bond effect naming no character."),
    ("D304", "unknown-achievement", E, "An effect granting an achievement that does not exist."),
    (
        "D305",
        "unknown-variable",
        E,
        "An effect writing a variable that story.yaml does not declare.",
    ),
    ("D306", "missing-media", E, "A media path that names no file under content/."),
    ("D307", "unknown-mood", E, "A mood that moods.yaml does not declare."),
    ("D308", "unknown-locale", W, "A text in a locale that story.yaml does not declare."),
    ("D309", "effect-type-mismatch", E, "An effect whose value does not fit the variable's type."),
    ("D310", "set-out-of-range", E, "A set effect outside the variable's min/max or enum values."),
    ("D312", "mood-without-examples", E, "A declared mood with no examples in any locale."),
    # Expressions
    ("D401", "expr-syntax", E, "A condition that cannot be parsed."),
    ("D402", "undeclared-name", E, "A condition reading a name nothing declares."),
    ("D403", "type-mismatch", E, "A condition comparing values of different types."),
    (
        "D404",
        "unknown-enum-value",
        E,
        "A condition comparing to a value the enum (or moods) lacks.",
    ),
    ("D405", "unknown-reference", E, "visited/chose/chapter_done/has naming something missing."),
    ("D406", "not-a-condition", E, "A condition that is not true/false."),
    ("D407", "unknown-function", E, "A call to a function the language does not have."),
    # Text
    (
        "D501",
        "unknown-placeholder",
        E,
        "A {placeholder} that is neither built in nor a declared variable.",
    ),
    ("D502", "bad-html", E, "HTML outside Telegram's subset, or unbalanced tags."),
    ("D503", "text-too-long", E, "A message over Telegram's 4096 characters."),
    ("D504", "missing-translation", W, "A player-visible text missing one of the story's locales."),
    ("D505", "placeholders-differ", W, "Locales of one text use different placeholders."),
    ("D506", "button-text-long", W, "A button text over 64 characters (Telegram cuts it)."),
    (
        "D507",
        "caption-too-long",
        W,
        "A media caption over 1024 characters (sent as a separate message).",
    ),
    ("D508", "too-many-buttons", W, "More buttons than fit a Telegram keyboard comfortably."),
    # The story graph
    ("D601", "unreachable-scene", W, "A scene no player can reach from the story's start."),
    ("D602", "unreachable-chapter", W, "A chapter none of whose scenes a player can reach."),
    ("D603", "unreachable-ending", W, "An ending no player can reach."),
    ("D604", "dead-end", E, "A scene that is not an ending and has no exit a player can ever take."),
    ("D605", "trap-cycle", E, "Scenes that lead into each other with no way out to any ending."),
    ("D606", "chapter-without-ending", W, "A chapter with no ending scene, so it is never completed."),
    # Softlocks, economy, variables and achievements
    ("D701", "softlock", E, "A scene where every exit can be hidden or locked at once."),
    (
        "D702",
        "next-without-fallback",
        E,
        "A conditional next whose conditions can all be false, with no fallback route.",
    ),
    ("D703", "vip-only-exit", E, "A scene a free player can reach whose only ways on are VIP."),
    ("D704", "unaffordable-cost", W, "A cost above the most currency a player can hold on arrival."),
    ("D705", "variable-never-read", W, "A declared variable that no condition or text reads."),
    ("D706", "variable-never-written", W, "A variable that conditions read but no effect ever changes."),
    ("D707", "never-true", W, "A comparison that can never be true given the values a variable can hold."),
    ("D708", "achievement-never-met", W, "An achievement whose condition can never be true."),
    (
        "D709",
        "achievement-never-granted",
        E,
        "An achievement with no when, no tiers and no effect that grants it.",
    ),
    # Moods
    ("D801", "few-mood-examples", W, "A mood with fewer than 5 examples in one locale."),
    ("D802", "mood-accuracy", INFO, "How often the mood model recognises examples it was not trained on."),
    ("D803", "low-mood-accuracy", W, "The mood model recognises under 70% of held-out examples."),
)

CODES: dict[str, CodeInfo] = {
    code: CodeInfo(code, name, severity, summary) for code, name, severity, summary in _TABLE
}
BY_NAME: dict[str, CodeInfo] = {info.name: info for info in CODES.values()}


def register(code: str, name: str, severity: Severity, summary: str) -> CodeInfo:
    """Add a code from a check module; codes and names are unique across the whole engine."""
    if code in CODES or name in BY_NAME:
        existing = CODES.get(code) or BY_NAME[name]
        if (existing.code, existing.name) != (code, name):
            raise ValueError(f"diagnostic code clash: {code}/{name} vs {existing.code}/{existing.name}")
        return existing
    info = CodeInfo(code, name, severity, summary)
    CODES[code] = info
    BY_NAME[name] = info
    return info


def diagnostic(
    code: str,
    loc: Loc,
    message: str,
    *,
    hint: str | None = None,
    severity: Severity | None = None,
    related: tuple[Loc, ...] = (),
) -> Diagnostic:
    info = CODES[code]
    return Diagnostic(
        code=code,
        severity=severity or info.severity,
        loc=loc,
        message=message,
        hint=hint,
        name=info.name,
        related=related,
    )
