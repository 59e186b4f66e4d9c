"""Fill a writer's text for one player: placeholders, escaping, and the bare ``&`` Telegram rejects."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from engine.content.richtext import escape_bare_ampersands

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _show(value: object, yes: str, no: str) -> str:
    if isinstance(value, bool):
        return yes if value else no
    return str(value)


def render_text(template: str, values: Mapping[str, object], *, yes: str = "sí", no: str = "no") -> str:
    """Substitute ``{name}``-style placeholders with HTML-escaped values; unknown ones stay as written
    (the linter already refused them, and a visible ``{x}`` is easier to report than a blank)."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            return match.group(0)
        return html.escape(_show(values[key], yes, no), quote=False)

    return _PLACEHOLDER.sub(substitute, escape_bare_ampersands(template))
