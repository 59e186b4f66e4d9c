"""/profile, /achievements, /top and /daily."""

from __future__ import annotations

import contextlib
import html

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MAX_CALLBACK_BYTES, TopPick
from engine.bus.boards import completion_time
from engine.services.leaderboards import ALL_TIME, Board, BoardView, LeaderboardService
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


def _board_of(pick: TopPick) -> Board:
    if pick.b == "chapter" and pick.c:
        return Board("chapter", pick.c)
    return Board(pick.b if pick.b in ("all", "week") else "all")


def _top_keyboard(profiles: ProfileService, locale: str, current: str) -> InlineKeyboardMarkup:
    bundle = profiles.content.current()
    choices = [(TopPick(b="all"), _("All time")), (TopPick(b="week"), _("This week"))]
    for chapter in bundle.chapters.values():
        pick = TopPick(b="chapter", c=chapter.id)
        if len(pick.pack().encode()) <= MAX_CALLBACK_BYTES:
            choices.append((pick, "📖 " + bundle.text(dict(chapter.title), locale)))
    rows = [
        [
            InlineKeyboardButton(
                text=("• " if pick.pack() == current else "") + label, callback_data=pick.pack()
            )
            for pick, label in choices[start : start + 2]
        ]
        for start in range(0, len(choices), 2)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _top_text(view: BoardView, profiles: ProfileService, locale: str) -> str:
    if view.board.kind == "week":
        lines = [_("🏅 <b>Top this week</b>")]
    elif view.board.kind == "chapter":
        bundle = profiles.content.current()
        spec = bundle.chapters.get(view.board.chapter or "")
        title = bundle.text(dict(spec.title), locale) if spec is not None else view.board.chapter
        lines = [_("🏅 <b>First to finish: {chapter}</b>").format(chapter=html.escape(title or ""))]
    else:
        lines = [_("🏅 <b>Top players</b>")]
    if not view.entries:
        lines.append(_("Nobody is on the board yet."))
    for entry in view.entries:
        shown = (
            completion_time(entry.score).strftime("%Y-%m-%d") if view.board.kind == "chapter" else entry.score
        )
        lines.append(f"{entry.rank}. {html.escape(entry.first_name or '—')} — {shown}")
    if view.own is not None:
        lines.append(_("Your rank: #{rank}").format(rank=view.own.rank))
    return "\n".join(lines)


@router.message(Command("top"))
async def top(
    message: Message, profiles: ProfileService, leaderboards: LeaderboardService, i18n: I18n
) -> None:
    """The all-time board with buttons for this week's and each chapter's (Redis, else the database)."""
    assert message.from_user is not None
    locale = i18n.current_locale
    view = await leaderboards.top(message.from_user.id, ALL_TIME)
    await message.answer(
        _top_text(view, profiles, locale),
        reply_markup=_top_keyboard(profiles, locale, TopPick(b="all").pack()),
    )


@router.callback_query(TopPick.filter())
async def top_pick(
    query: CallbackQuery,
    callback_data: TopPick,
    profiles: ProfileService,
    leaderboards: LeaderboardService,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    board = _board_of(callback_data)
    if board.kind == "chapter" and board.chapter not in profiles.content.current().chapters:
        board = ALL_TIME  # a chapter removed by a later release: show the main board
    view = await leaderboards.top(query.from_user.id, board)
    code = callback_data.pack() if board.kind != "all" else TopPick(b="all").pack()
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified": same board twice
            await query.message.edit_text(
                _top_text(view, profiles, locale), reply_markup=_top_keyboard(profiles, locale, code)
            )


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
