"""``diana chat``: the player's experience in the terminal, through PlayService and the database, so
progress survives restarts. It renders what the bot renders (same views, same buttons)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from rich.console import Console

from cli import terminal_view
from engine.services.play import Decision, PlayService
from engine.store.players import UserInfo

HELP = """\
Type a button's number to press it; on a mood scene, write how you feel.
  :restart   start the story again (points and achievements stay)
  :chapter ID  go to a chapter you have unlocked
  :help      this help
  :quit      leave (your place is saved)"""


class ChatSession:
    """One player's terminal chat. Input handling is shared by the prompt and --script."""

    def __init__(self, play: PlayService, user: UserInfo) -> None:
        self.play = play
        self.user = user
        self.last: Decision | None = None

    async def begin(self) -> Decision:
        self.last = await self.play.start(self.user)
        return self.last

    async def handle(self, line: str) -> tuple[Decision | None, str | None, bool]:
        """(decision to show, note, quit?)"""
        text = line.strip()
        if not text:
            return None, None, False
        if text in (":q", ":quit", ":exit"):
            return None, None, True
        if text == ":help":
            return None, HELP, False
        if text == ":restart":
            self.last = await self.play.restart(self.user.id)
            return self.last, None, False
        if text.startswith(":chapter"):
            chapter = text.partition(" ")[2].strip()
            self.last = await self.play.enter_chapter(self.user.id, chapter)
            return self.last, self.last.message, False
        assert self.last is not None and self.last.view is not None
        view = self.last.view
        if text.isdigit():
            number = int(text)
            if not 1 <= number <= len(view.buttons):
                return None, f"there is no button {number}", False
            button = view.buttons[number - 1]
            decision = await self.play.press(self.user.id, self.last.nonce, button.action, button.index)
        elif view.expects == "mood":
            decision = await self.play.say(self.user.id, text)
        else:
            return None, "tap a button: type its number (:help)", False
        if decision.view is not None:
            self.last = decision
        note = decision.message
        if decision.outcome == "banned":
            note = "this account is banned"
        return decision, note, False


async def chat_loop(
    play: PlayService,
    user: UserInfo,
    console: Console,
    lines: Iterator[str] | None,
    read: Callable[[], str] | None,
) -> None:
    session = ChatSession(play, user)
    first = await session.begin()
    interactive = lines is None

    def show(decision: Decision) -> None:
        if decision.view is None:
            return
        if interactive:
            terminal_view.show(decision.view, console)
        else:
            print(terminal_view.plain(decision.view))
            print()

    show(first)
    while True:
        if lines is not None:
            line = next(lines, None)
            if line is None:
                return
            print(f"> {line}")
        else:
            assert read is not None
            try:
                line = await asyncio.to_thread(read)
            except (EOFError, KeyboardInterrupt):
                return
        decision, note, leave = await session.handle(line)
        if leave:
            return
        if note:
            console.print(f"[yellow]{note}[/]") if interactive else print(f"! {note}")
        if decision is not None:
            show(decision)
