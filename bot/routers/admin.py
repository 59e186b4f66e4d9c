"""Admin commands, for ADMIN_IDS and users marked admin; everyone else gets the unknown-command reply
(the filter fails and the update falls through to the fallback router). Every action is audited."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Router
from aiogram.filters import BaseFilter, Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.broadcast import Broadcaster
from engine.diagnostics import ContentError
from engine.services.admin import AdminService
from engine.services.publish import PublishService
from engine.settings import Settings


class IsAdmin(BaseFilter):
    async def __call__(self, message: Message, admin: AdminService, settings: Settings) -> bool:
        user = message.from_user
        return user is not None and await admin.is_admin(user.id, settings.admin_ids)


router = Router(name="admin")
router.message.filter(IsAdmin())


def actor(message: Message) -> str:
    assert message.from_user is not None
    return f"tg:{message.from_user.id}"


def user_id_argument(command: CommandObject) -> int | None:
    args = (command.args or "").strip()
    return int(args) if args.isdigit() else None


@router.message(Command("stats"))
async def stats(message: Message, admin: AdminService) -> None:
    figures = await admin.stats()
    revenue = ", ".join(f"{amount} {currency}" for currency, amount in figures.revenue.items())
    lines = [
        _("📊 <b>Stats</b>"),
        _("Players today: {today} · 7 days: {week} · new this week: {new}").format(
            today=figures.players_today, week=figures.players_7d, new=figures.new_users_7d
        ),
        _("Decisions today: {today} · 7 days: {week}").format(
            today=figures.decisions_today, week=figures.decisions_7d
        ),
        _("Revenue (7 days): {revenue}").format(revenue=revenue or _("none yet")),
    ]
    if figures.top_choices:
        lines.append(_("Top choices:"))
        lines.extend(
            f"  {html.escape(scene)} → {html.escape(str(choice))}: {count}"
            for scene, choice, count in figures.top_choices
        )
    await admin.audit(None, actor(message), "stats", None, {})
    await message.answer("\n".join(lines))


@router.message(Command("releases"))
async def releases(message: Message, publisher: PublishService, admin: AdminService) -> None:
    rows = await publisher.releases(10)
    lines = [_("Releases:")]
    for row in rows:
        mark = "●" if row.active else " "
        when = row.created_at.strftime("%Y-%m-%d %H:%M")
        notes = html.escape(row.notes[:40])
        lines.append(f"{mark} #{row.id} <code>{row.content_hash[:10]}</code> {when} {notes}")
    await admin.audit(None, actor(message), "releases", None, {})
    await message.answer("\n".join(lines))


def _published(outcome: Any) -> str:
    if outcome.ok and outcome.release is not None:
        return _("Release {id} ({hash}) is live.").format(
            id=outcome.release.id, hash=outcome.release.content_hash[:10]
        )
    return _("Not published: {reason}").format(reason=html.escape(outcome.message))


@router.message(Command("publish"))
async def publish(
    message: Message,
    publisher: PublishService,
    admin: AdminService,
    settings: Settings,
    command: CommandObject,
) -> None:
    force = (command.args or "").strip() == "force"
    try:
        outcome = await publisher.publish_path(
            settings.content_dir, author=actor(message), notes="/publish", force=force
        )
        if outcome.status == "unchanged":
            text = _("Nothing to publish: the content is identical to the active release.")
        else:
            text = _published(outcome)
        details: dict[str, Any] = {"status": outcome.status}
    except ContentError as exc:
        text = _("Not published: {reason}").format(reason=html.escape(str(exc)))
        details = {"status": "refused_lint", "errors": len(exc.diagnostics)}
    await admin.audit(None, actor(message), "publish", str(settings.content_dir), details)
    await message.answer(text)


@router.message(Command("rollback"))
async def rollback(
    message: Message, command: CommandObject, publisher: PublishService, admin: AdminService
) -> None:
    release = user_id_argument(command)
    if release is None:
        await message.answer(_("Usage: {usage}").format(usage="/rollback RELEASE_ID"))
        return
    outcome = await publisher.rollback(release, author=actor(message))
    await admin.audit(None, actor(message), "rollback", str(release), {"status": outcome.status})
    await message.answer(_published(outcome))


@router.message(Command("ban", "unban"))
async def ban(message: Message, command: CommandObject, admin: AdminService) -> None:
    target = user_id_argument(command)
    if target is None:
        await message.answer(_("Usage: {usage}").format(usage=f"/{command.command} USER_ID"))
        return
    banning = command.command == "ban"
    done = await (admin.ban if banning else admin.unban)(target, actor=actor(message))
    if not done:
        await message.answer(_("No user {id}.").format(id=target))
    elif banning:
        await message.answer(_("User {id} is banned.").format(id=target))
    else:
        await message.answer(_("User {id} is no longer banned.").format(id=target))


@router.message(Command("broadcast"))
async def broadcast(
    message: Message, command: CommandObject, admin: AdminService, broadcaster: Broadcaster
) -> None:
    text = (command.args or "").strip()
    if not text:
        await message.answer(_("Usage: {usage}").format(usage="/broadcast TEXT"))
        return
    broadcast_id = await admin.create_broadcast(text, actor=actor(message))
    broadcaster.start(broadcast_id, text)
    await message.answer(_("Broadcast {id} started.").format(id=broadcast_id))
