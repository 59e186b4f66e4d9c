"""Show a :class:`~engine.play.View` in a terminal the way the bot shows it in Telegram.

Shared by ``diana play`` (in memory) and ``diana chat`` (through the services), so a writer's playtest
and a player's terminal chat look the same.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from engine.content.richtext import visible_text
from engine.play import View

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strike",
    "strike": "strike",
    "del": "strike",
    "code": "cyan",
    "pre": "cyan",
    "tg-spoiler": "reverse",
    "blockquote": "dim italic",
    "a": "underline blue",
    "span": "reverse",
}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def html_to_rich(text: str) -> str:
    """Telegram HTML -> rich markup (tags already validated by the linter)."""
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        out.append(escape(visible_text(text[position : match.start()])))
        style = _TAGS.get(match.group(2).lower())
        if style:
            out.append(f"[/{style}]" if match.group(1) else f"[{style}]")
        position = match.end()
    out.append(escape(visible_text(text[position:])))
    return "".join(out)


def plain(view: View) -> str:
    """The view as plain text (transcripts, tests)."""
    lines = []
    if view.speaker:
        lines.append(f"[{view.speaker}]")
    if view.media:
        lines.append(f"({view.media.kind}: {view.media.path})")
    lines.append(visible_text(view.text))
    lines.extend(f"* {notice}" for notice in view.notices)
    for number, button in enumerate(view.buttons, start=1):
        suffix = f"  ({button.reason})" if button.reason else ""
        lines.append(f"  {number}. {button.label}{suffix}")
    if view.expects == "mood":
        lines.append("  (free text reply)")
    return "\n".join(lines)


def show(view: View, console: Console, *, title: str = "") -> None:
    body = html_to_rich(view.text)
    if view.media:
        body = f"[dim]🖼  {escape(view.media.kind)}: {escape(view.media.path)}[/]\n\n" + body
    heading = f"[bold magenta]{escape(view.speaker)}[/]" if view.speaker else ""
    console.print(
        Panel(
            body,
            title=heading or None,
            subtitle=f"[dim]{escape(title or view.scene)}[/]",
            subtitle_align="right",
            border_style="magenta" if view.ending is None else "yellow",
        )
    )
    for notice in view.notices:
        console.print(f"  [green]{escape(notice)}[/]")
    for number, button in enumerate(view.buttons, start=1):
        if button.enabled:
            console.print(f"  [bold]{number}.[/] {escape(button.label)}")
        else:
            reason = f" — {escape(button.reason)}" if button.reason else ""
            console.print(f"  [dim]{number}. {escape(button.label)}{reason}[/]")
    console.print(f"  [dim]{view.points} {escape(view.currency)}[/]", justify="right")


def as_dict(view: View) -> dict[str, Any]:
    return {
        "scene": view.scene,
        "chapter": view.chapter,
        "turn": view.turn,
        "locale": view.locale,
        "speaker": view.speaker,
        "text": view.text,
        "media": {"kind": view.media.kind, "path": view.media.path} if view.media else None,
        "buttons": [
            {
                "number": number,
                "action": b.action,
                "index": b.index,
                "text": b.text,
                "label": b.label,
                "status": b.status,
                "reason": b.reason,
                "cost": b.cost,
            }
            for number, b in enumerate(view.buttons, start=1)
        ],
        "expects": view.expects,
        "ending": view.ending,
        "notices": list(view.notices),
        "points": view.points,
        "offer": view.offer,
    }
