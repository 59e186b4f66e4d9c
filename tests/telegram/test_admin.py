"""Admin commands over HTTP: what ADMIN_IDS may do (each audited), and what everyone else may not.

One bot (webhook on PostgreSQL). The admin (``ADMIN``) bans and unbans a player, publishes the
content folder the bot was started with (unchanged, then edited), rolls back, and broadcasts to every
player who is not banned; a player sending the same commands gets the ordinary unknown-command reply
and leaves no trace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import sqlalchemy as sa

from engine.store.tables import audit_log, broadcasts, releases, users
from tests.telegram.conftest import ADMIN, Player, RunningBot, eventually, progress
from tests.telegram.fake_api import Call

UNKNOWN = "No conozco esa orden. Envía /help para ver lo que puedo hacer."
BLOCKED = "Esta cuenta está bloqueada."
NEWS = "Esta noche llueve ☔"
PLAYERS = ((801, "Ana"), (802, "Bea"), (803, "Cleo"), (804, "Darío"))
ADMIN_COMMANDS = [
    "/stats",
    "/releases",
    "/publish",
    "/rollback 1",
    "/ban 803",
    "/unban 803",
    "/broadcast hola",
]


async def audit(bot: RunningBot, actor: str) -> list[str]:
    async with bot.database.connect() as conn:
        rows = await conn.scalars(
            sa.select(audit_log.c.action).where(audit_log.c.actor == actor).order_by(audit_log.c.id)
        )
        return list(rows)


async def active_release(bot: RunningBot) -> int | None:
    status, body = await bot.get("/ready")
    return int(json.loads(body)["release"]) if status == 200 else None


async def not_an_admin(bot: RunningBot, player: Player) -> None:
    for command in ADMIN_COMMANDS:
        calls = await player.say(command)
        assert [c.text for c in calls] == [UNKNOWN], command
    assert await audit(bot, f"tg:{player.id}") == []
    actor = f"tg:{player.id}"
    async with bot.database.connect() as conn:
        assert await conn.scalar(sa.select(users.c.banned).where(users.c.id == 803)) is False
        assert await conn.scalar(sa.select(sa.func.count()).where(broadcasts.c.created_by == actor)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).where(releases.c.author == actor)) == 0


async def admin_session(bot: RunningBot, admin: Player, banned: Player, others: list[Player]) -> None:
    async def reply(command: str) -> str:
        calls = await admin.say(command)
        assert len(calls) == 1, (command, [(c.method, c.text) for c in calls])
        return calls[0].text

    stats = await reply("/stats")
    assert "📊 <b>Estadísticas</b>" in stats
    assert "Jugadores hoy: 4" in stats  # the four players who sent /start (the admin never did)
    assert "Ingresos (7 días): todavía ninguno" in stats
    listing = await reply("/releases")
    assert listing.startswith("Versiones:") and "● #1 " in listing

    # /publish: the folder the bot was started with is what is live, so nothing to do...
    assert await reply("/publish") == "Nada que publicar: el contenido es idéntico al de la versión activa."
    # ... until a writer edits it: a new release, live at once on this replica.
    assert bot.content_dir is not None
    chapter = bot.content_dir / "chapters" / "01-encuentro.yaml"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Llueve sobre", "Diluvia sobre"), "utf-8")
    published = await reply("/publish")
    assert published.startswith("La versión 2 (") and published.endswith(") está activa."), published
    await eventually(lambda: release_is(bot, 2), "release 2 live")
    shown = others[0].follow(await others[0].say("/menu"))
    assert shown is not None and "Diluvia sobre" in shown.text
    assert (await reply("/rollback 1")).startswith("La versión 1 (")
    await eventually(lambda: release_is(bot, 1), "release 1 live again")
    assert await reply("/rollback") == "Uso: /rollback RELEASE_ID"
    assert (await reply("/rollback 99")).startswith("No publicado: ")

    # /ban: the player's buttons and commands answer "blocked", and nothing is applied.
    before = await progress(bot.database, banned.id)
    live = banned.callback_data()
    assert await reply(f"/ban {banned.id}") == f"El usuario {banned.id} está bloqueado."
    calls = await banned.press(live)
    assert [(c.method, c.text, c.params.get("show_alert")) for c in calls] == [
        ("answerCallbackQuery", BLOCKED, True)
    ]
    for command in ("/start", "/menu", "hola"):
        assert [c.text for c in await banned.say(command)] == [BLOCKED], command
    assert await progress(bot.database, banned.id) == before
    assert await reply("/ban 999999") == "No existe el usuario 999999."
    assert await reply("/ban") == "Uso: /ban USER_ID"

    # /broadcast reaches every player who is not banned, and only them.
    mark = len(bot.fake.calls)
    assert await reply(f"/broadcast {NEWS}") == "Difusión 1 iniciada."
    async with bot.database.connect() as conn:
        audience = set(await conn.scalars(sa.select(users.c.id).where(users.c.banned.is_(False))))
    assert audience == {p.id for p in others}

    def delivered(c: Call) -> bool:
        return c.text == NEWS

    def to(user_id: int) -> Callable[[Call], bool]:
        return lambda c: c.chat_id == user_id and delivered(c)

    for user_id in audience:
        await bot.fake.wait_for("sendMessage", to(user_id), after=mark)
    await eventually(lambda: _broadcast_done(bot), "the broadcast marked done")
    received = sorted(c.chat_id or 0 for c in bot.fake.of("sendMessage", mark) if delivered(c))
    assert received == sorted(audience)  # once each, and never to the banned player

    # /unban: the same button works again.
    assert await reply(f"/unban {banned.id}") == f"El usuario {banned.id} ya no está bloqueado."
    await banned.press(live)
    assert (await progress(bot.database, banned.id))[0] == before[0] + 1

    assert await audit(bot, f"tg:{ADMIN}") == [
        "stats",
        "releases",
        "publish",
        "publish",
        "rollback",
        "rollback",
        "user.ban",
        "broadcast.create",
        "user.unban",
    ]
    assert await audit(bot, "system:broadcast") == ["broadcast.finish"]


async def release_is(bot: RunningBot, expected: int) -> bool:
    return await active_release(bot) == expected


async def _broadcast_done(bot: RunningBot) -> bool:
    async with bot.database.connect() as conn:
        status = await conn.scalar(sa.select(broadcasts.c.status).where(broadcasts.c.id == 1))
    return bool(status == "done")


async def test_admin_commands_and_who_may_use_them(bot: RunningBot) -> None:
    ana, bea, cleo, dario = (Player(bot, uid, "es", name) for uid, name in PLAYERS)
    admin = Player(bot, ADMIN, "es", "Admin")
    for player in (ana, bea, cleo, dario):
        await player.start()
    async with asyncio.TaskGroup() as group:
        group.create_task(not_an_admin(bot, dario))
        group.create_task(admin_session(bot, admin, bea, [ana, cleo, dario]))
