"""/profile, /achievements, /top and /daily."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from engine.services.profile import ProfileService

router = Router(name="profile")


def _currency(profile_service: ProfileService, locale: str) -> str:
    bundle = profile_service.content.current()
    return bundle.text(dict(bundle.rewards.currency_name), locale)


@router.message(Command("profile"))
async def profile(message: Message, profiles: ProfileService, i18n: I18n) -> None:
    assert message.from_user is not None
    found = await profiles.profile(message.from_user.id)
    if found is None:
        await message.answer(_("Send /start to begin the story."))
        return
    locale = i18n.current_locale
    level_name = found.level_name.get(locale) or next(iter(found.level_name.values()), "")
    lines = [
        _("👤 <b>{name}</b>").format(name=html.escape(message.from_user.first_name)),
        _("{points} {currency} · level {level} ({level_name})").format(
            points=found.points,
            currency=_currency(profiles, locale),
            level=found.level,
            level_name=html.escape(level_name),
        ),
        _("🔥 Streak: {streak} day(s)").format(streak=found.streak),
        _("💎 VIP until {date}").format(date=found.vip_until.strftime("%Y-%m-%d"))
        if found.vip_active and found.vip_until
        else _("No VIP pass"),
        _("🏆 Achievements: {count}").format(count=len(found.achievements)),
    ]
    await message.answer("\n".join(lines))


@router.message(Command("achievements"))
async def achievements(message: Message, profiles: ProfileService, i18n: I18n) -> None:
    assert message.from_user is not None
    found = await profiles.profile(message.from_user.id)
    if found is None:
        await message.answer(_("Send /start to begin the story."))
        return
    bundle = profiles.content.current()
    locale = i18n.current_locale
    unlocked: dict[str, str] = {}
    for achievement_id, tier, _when in found.achievements:
        unlocked[achievement_id] = max(
            unlocked.get(achievement_id, ""),
            tier,
            key=lambda t: (
                ["", "bronze", "silver", "gold"].index(t) if t in ("", "bronze", "silver", "gold") else 0
            ),
        )
    lines = [_("🏆 <b>Achievements</b>")]
    for spec in bundle.achievements.values():
        if spec.id in unlocked:
            tier = f" ({unlocked[spec.id]})" if unlocked[spec.id] else ""
            icon = spec.icon or "🏆"
            lines.append(f"{icon} <b>{html.escape(bundle.text(dict(spec.title), locale))}</b>{tier}")
        elif spec.secret:
            lines.append(_("🔒 Secret achievement"))
        else:
            description = bundle.text(dict(spec.description), locale) if spec.description else ""
            lines.append(
                f"▫️ {html.escape(bundle.text(dict(spec.title), locale))}"
                + (f" — <i>{html.escape(description)}</i>" if description else "")
            )
    if not unlocked:
        lines.append(_("No achievements yet. Keep playing!"))
    await message.answer("\n".join(lines))


@router.message(Command("top"))
async def top(message: Message, profiles: ProfileService) -> None:
    assert message.from_user is not None
    board = await profiles.leaderboard(message.from_user.id)
    if not board.entries:
        await message.answer(_("Nobody is on the board yet."))
        return
    lines = [_("🏅 <b>Top players</b>")]
    for entry in board.entries:
        lines.append(f"{entry.rank}. {html.escape(entry.first_name or '—')} — {entry.total_earned}")
    if board.own_rank is not None:
        lines.append(_("Your rank: #{rank}").format(rank=board.own_rank))
    await message.answer("\n".join(lines))


@router.message(Command("daily"))
async def daily(message: Message, profiles: ProfileService, i18n: I18n) -> None:
    assert message.from_user is not None
    result = await profiles.checkin(message.from_user.id)
    if result.outcome == "unknown_user":
        await message.answer(_("Send /start to begin the story."))
    elif result.outcome == "banned":
        await message.answer(_("This account is blocked."))
    elif result.applied:
        lines = [
            _("☀️ Daily check-in: +{points} {currency}. Streak: {streak} day(s).").format(
                points=result.awarded,
                currency=_currency(profiles, i18n.current_locale),
                streak=result.streak,
            )
        ]
        # Achievements the check-in unlocked (a streak tier), in the player's language.
        lines.extend(html.escape(n) for n in result.notices if n.startswith("🏆"))
        await message.answer("\n".join(lines))
    else:
        await message.answer(_("You already checked in today. Come back tomorrow!"))
