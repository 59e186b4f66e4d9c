"""Playing the story: /start, /menu, story buttons and free-text replies (mood scenes)."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message, Update
from aiogram.utils.i18n import gettext as _

from bot.callbacks import PRESSES, Play
from bot.metrics import Metrics
from bot.routers.shop import send_vip_offer
from bot.views import MediaCache, replace_view, send_view
from engine.services.play import Decision, PlayService
from engine.store.players import UserInfo

router = Router(name="story")


def user_info(message: Message, referred_by: int | None = None) -> UserInfo:
    user = message.from_user
    assert user is not None
    return UserInfo(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language=user.language_code,
        referred_by=referred_by,
    )


def referral(command: CommandObject | None, user_id: int) -> int | None:
    """``/start ref_<id>``: who invited this player (never themselves)."""
    args = (command.args or "") if command else ""
    if args.startswith("ref_") and args[4:].isdigit():
        inviter = int(args[4:])
        return inviter if inviter != user_id else None
    return None


async def show(bot: Bot, chat_id: int, decision: Decision, media: MediaCache) -> None:
    if decision.view is not None:
        await send_view(bot, chat_id, decision.view, decision.nonce, media)


async def explain(message: Message, decision: Decision) -> bool:
    """Tell the player why nothing happened; True when there is nothing more to show."""
    if decision.outcome == "banned":
        await message.answer(_("This account is blocked."))
        return True
    if decision.outcome == "unknown_user":
        await message.answer(_("Send /start to begin the story."))
        return True
    return False


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    play: PlayService,
    media: MediaCache,
    event_update: Update,
    metrics: Metrics,
) -> None:
    assert message.from_user is not None
    info = user_info(message, referral(command, message.from_user.id))
    decision = await play.start(info, update_id=event_update.update_id)
    metrics.decisions.labels(decision.outcome).inc()
    if decision.outcome == "duplicate":  # a retried update: the first delivery already answered
        return
    if not await explain(message, decision):
        await show(bot, message.chat.id, decision, media)


@router.message(Command("menu"))
async def menu(message: Message, bot: Bot, play: PlayService, media: MediaCache) -> None:
    assert message.from_user is not None
    decision = await play.current(message.from_user.id)
    if not await explain(message, decision):
        await show(bot, message.chat.id, decision, media)


@router.callback_query(Play.filter())
async def press(
    query: CallbackQuery,
    callback_data: Play,
    bot: Bot,
    play: PlayService,
    media: MediaCache,
    event_update: Update,
    metrics: Metrics,
) -> AnswerCallbackQuery | None:
    user_id, nonce, update_id = query.from_user.id, callback_data.n, event_update.update_id
    action = PRESSES.get(callback_data.a)
    if action is None:  # no button of ours carries another action: a forged payload
        await query.answer(_("This choice is no longer available."))
        return None
    decision = await play.press(user_id, nonce, action, callback_data.i, update_id=update_id)
    metrics.decisions.labels(decision.outcome).inc()
    message = query.message if isinstance(query.message, Message) else None
    if decision.outcome == "duplicate":
        # Telegram re-sent an update we already applied (it missed our 200). The first delivery
        # answered the query and showed the scene; answer again only in case it died before that.
        with suppress(TelegramBadRequest):
            await query.answer()
        return None
    if decision.outcome == "applied":
        if decision.view is not None:
            await replace_view(bot, message, decision.view, decision.nonce, media)
        # The answer rides back in the webhook's HTTP response (Telegram carries it out; polling:
        # aiogram sends it): one Bot API request less per tap on the hot path, a fifth of its CPU.
        return query.answer()
    if decision.outcome == "banned":
        await query.answer(_("This account is blocked."), show_alert=True)
        return None
    if decision.outcome == "unknown_user":
        await query.answer(_("Send /start to begin the story."), show_alert=True)
        return None
    if decision.outcome == "locked":
        await query.answer(decision.message or "", show_alert=True)
        if decision.view is not None and decision.view.offer == "vip" and message is not None:
            # Straight to the VIP offer; once paid, this scene is shown again (now open).
            bundle = play.content.current()
            await send_vip_offer(bot, message.chat.id, bundle, decision.view.locale, decision.nonce or nonce)
        return None
    # stale, invalid or a replayed update: say so and show the scene the player is really at
    await query.answer(_("This choice is no longer available."))
    if decision.view is not None and message is not None:
        await send_view(bot, message.chat.id, decision.view, decision.nonce, media)
    return None


def is_free_text(message: Message) -> bool:
    return bool(message.text) and not (message.text or "").startswith("/")


@router.message(is_free_text)
async def reply(
    message: Message,
    bot: Bot,
    play: PlayService,
    media: MediaCache,
    event_update: Update,
    metrics: Metrics,
) -> None:
    assert message.from_user is not None and message.text is not None
    decision = await play.say(message.from_user.id, message.text, update_id=event_update.update_id)
    metrics.decisions.labels(decision.outcome).inc()
    if await explain(message, decision):
        return
    if decision.outcome == "applied":
        await show(bot, message.chat.id, decision, media)
    elif decision.message:
        await message.answer(decision.message)
