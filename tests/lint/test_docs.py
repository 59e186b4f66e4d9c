"""docs/lint.md documents every diagnostic code: a new code fails here until writers can look it up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import engine.lint.checks  # noqa: F401  (registers every check, and any codes they add)
from engine.codes import CODES

DOC = Path(__file__).resolve().parents[2] / "docs" / "lint.md"
HEADING = re.compile(r"^### (D\d{3}) ([a-z0-9-]+)$", re.MULTILINE)


def sections() -> dict[str, tuple[str, str]]:
    """code -> (name in the heading, the section's text up to the next heading)."""
    text = DOC.read_text(encoding="utf-8")
    found: dict[str, tuple[str, str]] = {}
    matches = list(HEADING.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        found[match.group(1)] = (match.group(2), text[match.end() : end])
    return found


def test_every_code_has_a_section() -> None:
    missing = sorted(set(CODES) - set(sections()))
    assert missing == [], f"document these codes in docs/lint.md: {missing}"


def test_no_section_for_a_code_that_does_not_exist() -> None:
    assert sorted(set(sections()) - set(CODES)) == []


def test_sections_are_in_code_order() -> None:
    order = list(sections())
    assert order == sorted(order)


@pytest.mark.parametrize("code", sorted(CODES))
def test_section_names_severity_and_examples(code: str) -> None:
    info = CODES[code]
    found = sections().get(code)
    assert found is not None, f"docs/lint.md has no '### {code} {info.name}' section"
    name, body = found
    assert name == info.name
    assert f"**{info.severity.value}** · {info.summary}" in body
    assert "**Bad**" in body
    assert "**Fixed**" in body
    assert body.index("**Bad**") < body.index("**Fixed**")
    assert body.count("```") >= 4, "a Bad and a Fixed example, each in a fenced block"


@pytest.mark.parametrize("code", sorted(CODES))
def test_section_has_the_anchor_sarif_links_to(code: str) -> None:
    """SARIF rules link to docs/lint.md#d301; GitHub would otherwise name the anchor after the heading."""
    text = DOC.read_text(encoding="utf-8")
    anchor = f'<a id="{code.lower()}"></a>\n### {code} '
    assert anchor in text


def test_usage_sections() -> None:
    text = DOC.read_text(encoding="utf-8")
    for needle in (
        "# diana: ignore[D504]",
        "[tool.diana.lint]",
        "[tool.diana.lint.severity]",
        "--strict",
        "--format",
        "sarif",
        "github",
        "json",
        "## Exit codes",
    ):
        assert needle in text, needle
