"""Assemble and run the bot: one Dispatcher, routers per concern, services injected as workflow data.

Webhook mode (``WEBHOOK_URL`` set): an aiohttp app serves the webhook at that URL's path with the
``secret_token`` checked on every request, and handles each update INLINE (``handle_in_background=False``):
Telegram gets its 200 only after the decision committed, so a crash makes Telegram retry and the
``update_id`` dedupe makes the retry safe. Polling mode otherwise. Both serve ``/health``, ``/ready``
and ``/metrics`` on HOST:PORT, and ``/stripe/webhook`` when STRIPE_WEBHOOK_SECRET is set (docs/stripe.md).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from urllib.parse import urlparse

import redis.asyncio as aioredis
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import stripe_webhook
from bot.broadcast import Broadcaster
from bot.i18n import make_i18n
from bot.metrics import Metrics
from bot.middlewares import FloodGuard, LanguageCache, LocaleMiddleware, ObserveUpdates
from bot.notifications import Notifier
from bot.reminders import ReminderLoop
from bot.routers import account, admin, card, chapters, errors, fallback, preferences, profile, shop, story
from bot.tuning import JsonBodySession, JsonReplyHandler, freeze_startup_objects, pin_api_response_types
from bot.views import MediaCache, send_view
from engine.bus.boards import BoardKeys
from engine.bus.worker import build_worker
from engine.payments.stripe_checkout import StripeCheckout
from engine.services.accounts import AccountService
from engine.services.admin import AdminService
from engine.services.flags import FlagService
from engine.services.leaderboards import LeaderboardService
from engine.services.payments import PaymentService
from engine.services.play import PlayService
from engine.services.preferences import PreferencesService
from engine.services.profile import ProfileService
from engine.services.publish import PublishService
from engine.services.release_channel import RedisReleaseChannel
from engine.services.releases import ActiveContent, NoActiveReleaseError
from engine.services.reminders import ReminderService
from engine.services.stripe_events import StripeEvents
from engine.settings import Settings
from engine.store.database import Database, database_for

log = logging.getLogger("diana.bot")
# aiogram logs "Update id=N is handled" for every update: ObserveUpdates' line says that and more.
logging.getLogger("aiogram.event").setLevel(logging.WARNING)


@dataclass
class BotRuntime:
    settings: Settings
    database: Database
    content: ActiveContent
    play: PlayService
    accounts: AccountService
    admin: AdminService
    profiles: ProfileService
    leaderboards: LeaderboardService
    publisher: PublishService
    metrics: Metrics
    media: MediaCache
    languages: LanguageCache
    preferences: PreferencesService
    flags: FlagService
    reminders: ReminderService
    payments: PaymentService
    checkout: StripeCheckout | None = None  # STRIPE_SECRET_KEY set: the 💳 button works
    stripe_events: StripeEvents | None = None  # STRIPE_WEBHOOK_SECRET set: /stripe/webhook is served

    async def language(self, user_id: int) -> str | None:
        """The player's stored language (None before /start)."""
        async with self.database.connect() as conn:
            row = await self.play.store.read(conn, user_id)
        return row.language if row is not None else None


def build_bot(settings: Settings) -> Bot:
    session = JsonBodySession()
    if settings.telegram_api_base:
        session = JsonBodySession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    assert settings.telegram_bot_token, "TELEGRAM_BOT_TOKEN is required to run the bot"
    pin_api_response_types()
    return Bot(
        token=settings.telegram_bot_token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_dispatcher(runtime: BotRuntime, bot: Bot) -> tuple[Dispatcher, Broadcaster]:
    broadcaster = Broadcaster(bot, runtime.admin)
    dp = Dispatcher(
        disable_fsm=True,  # no handler keeps conversation state in aiogram: the story state is ours
        play=runtime.play,
        accounts=runtime.accounts,
        admin=runtime.admin,
        profiles=runtime.profiles,
        leaderboards=runtime.leaderboards,
        publisher=runtime.publisher,
        metrics=runtime.metrics,
        media=runtime.media,
        languages=runtime.languages,
        settings=runtime.settings,
        broadcaster=broadcaster,
        preferences=runtime.preferences,
        flag_service=runtime.flags,
        content=runtime.content,
        payments=runtime.payments,
        checkout=runtime.checkout,
    )
    dp.update.outer_middleware(ObserveUpdates(runtime.metrics, runtime.settings.log_format == "json"))
    i18n = make_i18n(runtime.settings.default_locale)

    # The locale first: the flood guard's notice is in the player's language too.
    LocaleMiddleware(i18n, runtime.languages, runtime.language).setup(dp)
    guard = FloodGuard(runtime.metrics, on_burst=runtime.flags.record_flood)
    dp.message.outer_middleware(guard)
    dp.callback_query.outer_middleware(guard)
    # Story first: nearly every update is a story tap or reply, and each router before the one that
    # handles an update costs it an observer, its middleware chain and its filters. The errors
    # router only observes errors, which aiogram propagates separately, so its place does not matter.
    dp.include_routers(
        story.router,
        chapters.router,
        profile.router,
        account.router,
        shop.router,
        card.router,
        admin.router,
        preferences.router,
        preferences.admin_router,
        fallback.router,
        errors.router,
    )
    return dp, broadcaster


async def open_runtime(settings: Settings) -> BotRuntime:
    database = database_for(settings)
    metrics = Metrics()

    def changed(release_id: int, _bundle: object) -> None:
        metrics.active_release.set(release_id)
        metrics.reloads.inc()

    channel = RedisReleaseChannel(settings.redis_url) if settings.redis_url else None
    content = ActiveContent(
        database, on_change=changed, on_error=lambda *_: metrics.reload_failures.inc(), channel=channel
    )
    await content.start()
    if not content.ready:
        await content.stop()
        await database.close()
        raise NoActiveReleaseError("no release is active yet: run 'diana publish' first")
    payments = PaymentService(database, content)
    profiles = ProfileService(database, content)
    # /top reads Redis when REDIS_URL is set (falling back to the database while it does not answer).
    redis = aioredis.from_url(settings.redis_url, socket_connect_timeout=2) if settings.redis_url else None
    return BotRuntime(
        settings=settings,
        database=database,
        content=content,
        payments=payments,
        stripe_events=(
            StripeEvents(payments, content, database, settings.stripe_webhook_secret)
            if settings.stripe_webhook_secret
            else None
        ),
        play=PlayService(database, content),
        accounts=AccountService(database),
        admin=AdminService(database),
        profiles=profiles,
        leaderboards=LeaderboardService(database, profiles, redis, keys=BoardKeys(settings.redis_prefix)),
        publisher=PublishService(database, channel=channel),
        metrics=metrics,
        media=MediaCache(settings.content_dir),
        languages=LanguageCache(),
        preferences=PreferencesService(database),
        flags=FlagService(database),
        reminders=ReminderService(database, content),
    )


async def open_checkout(settings: Settings, bot: Bot) -> StripeCheckout:
    """The Stripe adapter; Checkout sends the player back to the bot's chat unless told otherwise."""
    assert settings.stripe_secret_key
    back = settings.stripe_success_url and settings.stripe_cancel_url
    chat = "" if back else f"https://t.me/{(await bot.me()).username}"
    return StripeCheckout(
        settings.stripe_secret_key,
        success_url=settings.stripe_success_url or chat,
        cancel_url=settings.stripe_cancel_url or chat,
        api_base=settings.stripe_api_base,
    )


def probes(runtime: BotRuntime, app: web.Application) -> None:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def ready(_: web.Request) -> web.Response:
        database_ok = await runtime.database.ping()
        body = {"database": database_ok, "release": runtime.content.release_id}
        status = 200 if database_ok and runtime.content.ready else 503
        return web.json_response(body, status=status)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(runtime.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics)


async def serve(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM; in-flight updates finish before the process exits."""
    runtime = await open_runtime(settings)
    bot = build_bot(settings)
    if settings.stripe_secret_key:
        runtime.checkout = await open_checkout(settings, bot)
    dp, broadcaster = build_dispatcher(runtime, bot)
    app = web.Application()
    probes(runtime, app)
    if runtime.stripe_events is not None:  # in webhook and polling mode: the web app runs in both

        async def show_scene(user_id: int) -> None:
            decision = await runtime.play.current(user_id)
            if decision.view is not None:
                await send_view(bot, user_id, decision.view, decision.nonce, runtime.media)

        notify = stripe_webhook.thank_player(
            bot, make_i18n(settings.default_locale), runtime.language, show_scene
        )
        stripe_webhook.register(app, runtime.stripe_events, notify)
    if settings.webhook_url:
        handler = JsonReplyHandler(
            dispatcher=dp, bot=bot, handle_in_background=False, secret_token=settings.webhook_secret
        )
        handler.register(app, path=urlparse(settings.webhook_url).path or "/")
    # No access log: ObserveUpdates writes one structured line per update already.
    runner = web.AppRunner(app, shutdown_timeout=30, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info(
        "serving on %s:%s (%s)",
        settings.host,
        settings.port,
        "webhook" if settings.webhook_url else "polling",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await broadcaster.resume_all()
    reminders = ReminderLoop(
        bot, runtime.reminders, make_i18n(settings.default_locale), interval=settings.reminder_interval
    )
    reminders.start()
    # The event bus' relay and consumer groups as background tasks (Redis Streams with REDIS_URL,
    # else the in-process twin): the outbox this process writes reaches the leaderboards and the
    # players' notifications without a separate worker.
    events = build_worker(
        runtime.database,
        settings.redis_url,
        notify=Notifier(bot, make_i18n(settings.default_locale), runtime.database, runtime.content)
        if settings.notify_achievements
        else None,
        keys=BoardKeys(settings.redis_prefix),
        stream=f"{settings.redis_prefix}events",
    )
    events.start()
    freeze_startup_objects()
    polling: asyncio.Task[None] | None = None
    try:
        if settings.webhook_url:
            await bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret,
                max_connections=settings.webhook_max_connections,
                allowed_updates=dp.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            polling = asyncio.create_task(
                dp.start_polling(
                    bot,
                    handle_signals=False,
                    close_bot_session=False,
                    allowed_updates=dp.resolve_used_update_types(),
                )
            )
        print(f"diana: serving on {settings.host}:{settings.port}", flush=True)
        await stop.wait()
    finally:
        if polling is not None:
            await dp.stop_polling()
            await asyncio.gather(polling, return_exceptions=True)
        await runner.cleanup()  # lets in-flight webhook requests finish (shutdown_timeout)
        await events.stop()
        await broadcaster.stop()
        await reminders.stop()
        if runtime.checkout is not None:
            await runtime.checkout.close()
        await runtime.content.stop()
        await bot.session.close()
        if runtime.leaderboards.redis is not None:
            await runtime.leaderboards.redis.aclose()
        await runtime.database.close()
