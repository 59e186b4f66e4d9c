"""Telegram's HTML subset: what writers may use in texts, and how long Telegram will count a text.

One tokenizer serves the linter (report a bad tag at its column) and the renderer (escape a bare ``&`` and
text placeholders), so what lint accepts is exactly what the bot sends.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "a",
        "tg-spoiler",
        "blockquote",
        "span",
        "tg-emoji",
    }
)
_ALLOWED_ATTRS = {
    "a": {"href"},
    "span": {"class"},
    "code": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*(/?)>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class HtmlProblem:
    offset: int
    message: str
    hint: str


def check_html(text: str) -> list[HtmlProblem]:
    """Problems with the tags of ``text``: unknown tags, stray ``<``, bad attributes, unbalanced tags."""
    problems: list[HtmlProblem] = []
    stack: list[tuple[str, int]] = []
    unknown: set[str] = set()
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0:
            break
        match = _TAG.match(text, start)
        if not match:
            problems.append(
                HtmlProblem(start, "'<' opens no tag Telegram knows", "write &lt; for a literal '<'")
            )
            position = start + 1
            continue
        closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        position = match.end()
        if name not in ALLOWED_TAGS:
            if closing and name in unknown:
                continue  # its opening tag was reported already: one finding per mistake
            unknown.add(name)
            problems.append(
                HtmlProblem(
                    start,
                    f"<{name}> is not part of Telegram's HTML",
                    "use <b> <i> <u> <s> <code> <pre> <a href> <tg-spoiler> <blockquote>",
                )
            )
            continue
        if closing:
            if stack and stack[-1][0] == name:
                stack.pop()
            elif any(open_name == name for open_name, _ in stack):
                inner, _ = stack[-1]
                problems.append(
                    HtmlProblem(
                        start,
                        f"</{name}> closes before <{inner}> is closed",
                        f"close <{inner}> first: tags must nest",
                    )
                )
                while stack and stack[-1][0] != name:
                    stack.pop()
                stack.pop()
            else:
                problems.append(
                    HtmlProblem(
                        start,
                        f"</{name}> closes a tag that is not open",
                        "remove it or add the opening tag",
                    )
                )
            continue
        for attr in _ATTR.finditer(attrs):
            if attr.group(1).lower() not in _ALLOWED_ATTRS.get(name, set()):
                problems.append(
                    HtmlProblem(
                        start,
                        f"<{name}> does not take the attribute '{attr.group(1)}'",
                        "Telegram ignores or rejects unknown attributes; remove it",
                    )
                )
        if name == "a" and "href" not in attrs:
            problems.append(HtmlProblem(start, "<a> needs an href", 'write <a href="https://...">'))
        if match.group(4) != "/":
            stack.append((name, start))
    for name, offset in stack:
        problems.append(HtmlProblem(offset, f"<{name}> is never closed", f"add </{name}>"))
    return problems


def escape_bare_ampersands(text: str) -> str:
    """``&`` that starts no entity becomes ``&amp;`` (writers type 'Diana & Lucien')."""
    return re.sub(r"&(?!#[0-9]+;|#x[0-9a-fA-F]+;|lt;|gt;|amp;|quot;)", "&amp;", text)


def visible_text(text: str) -> str:
    """What the player sees: tags removed, entities decoded."""
    without_tags = _TAG.sub("", text)
    return html.unescape(escape_bare_ampersands(without_tags))


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return len(visible_text(text).encode("utf-16-le")) // 2


def strip_tags(text: str) -> str:
    return _TAG.sub("", text)


def placeholders(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), m.start()) for m in PLACEHOLDER.finditer(text)]
