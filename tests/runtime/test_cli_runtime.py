"""The runtime as a new user meets it: `diana db upgrade`, then `diana chat`, quit, and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIANA = [sys.executable, "-m", "cli.main"]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DIANA, *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = dict(os.environ)
    values.pop("TELEGRAM_BOT_TOKEN", None)
    values["DATABASE_URL"] = f"sqlite:///{tmp_path / 'play.db'}"
    values["COLUMNS"] = "120"
    return values


def test_chat_before_migrating_says_what_to_do(env: dict[str, str]) -> None:
    result = run(["chat", "--script", "-"], env, "1\n")
    assert result.returncode == 2
    assert "diana db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


def test_upgrade_then_chat_resumes_after_quitting(env: dict[str, str]) -> None:
    assert run(["db", "current"], env).returncode == 1  # behind
    upgraded = run(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert run(["db", "upgrade"], env).returncode == 0  # idempotent
    assert run(["db", "current", "--format", "json"], env).stdout.strip().endswith("true}")
    assert run(["publish", "content"], env).returncode == 0
    first = run(["chat", "--user", "42", "--name", "Ana", "--script", "-"], env, "1\n")
    assert first.returncode == 0, first.stderr
    last_scene_text = first.stdout.strip().split("> 1")[-1].strip().splitlines()[0]
    second = run(["chat", "--user", "42", "--name", "Ana", "--script", "-"], env, "")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().splitlines()[0] == last_scene_text  # resumed, not restarted


def test_a_bad_setting_stops_chat_with_one_line(env: dict[str, str]) -> None:
    env["DATABASE_URL"] = "mysql://nope"
    result = run(["chat", "--script", "-"], env, "")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


KILLER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from engine.content.api import build_path
    from engine.services.content import StaticContent
    from engine.services.play import PlayService
    from engine.store.database import create_database
    from engine.store.players import UserInfo

    async def main():
        _, bundle = build_path(Path("content"))
        db = create_database(sys.argv[1])
        play = PlayService(db, StaticContent(bundle))
        last = await play.start(UserInfo(9, "Kim"))
        while True:
            button = next((b for b in last.view.buttons if b.enabled), None)
            if last.view.expects == "mood":
                last = await play.say(9, "estoy feliz")
            elif button is not None and button.action != "restart":
                last = await play.press(9, last.nonce, button.action, button.index)
            else:
                last = await play.restart(9)
            print("committed", last.view.turn, flush=True)

    asyncio.run(main())
    """
)


def test_process_killed_between_decisions_keeps_the_last_committed_state(
    env: dict[str, str], tmp_path: Path
) -> None:
    import asyncio

    import sqlalchemy as sa

    from engine.store.database import create_database
    from engine.store.tables import player_states, points_transactions, story_decisions, user_gamification

    assert run(["db", "upgrade"], env).returncode == 0
    url = env["DATABASE_URL"].replace("sqlite:///", "sqlite+aiosqlite:///")
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    child = subprocess.Popen(
        [sys.executable, str(script), url], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    seen = [child.stdout.readline() for _ in range(5)]
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert all(line.startswith("committed") for line in seen)

    async def check() -> tuple[int, int, int, int]:
        db = create_database(url)
        async with db.connect() as conn:
            turn = await conn.scalar(sa.select(player_states.c.turn))
            decisions = await conn.scalar(sa.select(sa.func.count()).select_from(story_decisions))
            balance = await conn.scalar(sa.select(user_gamification.c.balance))
            ledger = await conn.scalar(sa.select(sa.func.sum(points_transactions.c.amount)))
        await db.close()
        return int(turn or 0), int(decisions or 0), int(balance or 0), int(ledger or 0)

    turn, decisions, balance, ledger = asyncio.run(check())
    assert turn >= 6  # start + the five decisions it reported, maybe one more that committed
    assert decisions == turn  # one decision row per applied turn: none half-written
    assert balance == ledger
