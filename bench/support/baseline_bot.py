"""The webhook benchmark's baseline: a bare aiogram webhook app with one trivial callback handler.

What any aiogram bot costs before it does anything: aiohttp + SimpleRequestHandler (secret checked) +
a Dispatcher with one router whose one handler answers the callback query. Configured like ``diana
serve`` (TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE, WEBHOOK_SECRET, HOST, PORT); BASELINE_BACKGROUND=1 uses
aiogram's default mode (answer Telegram at once, handle after), 0 handles inline as Diana does.

    TELEGRAM_BOT_TOKEN=1:x TELEGRAM_API_BASE=http://127.0.0.1:8081 PORT=8090 \
        python -m bench.support.baseline_bot
"""

from __future__ import annotations

import asyncio
import os
import signal

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

router = Router()


@router.callback_query()
async def answer(query: CallbackQuery) -> None:
    await query.answer()


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(token=os.environ["TELEGRAM_BOT_TOKEN"], session=session)
    dp = Dispatcher()
    dp.include_router(router)
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp,
        bot=bot,
        handle_in_background=os.environ.get("BASELINE_BACKGROUND", "0") == "1",
        secret_token=os.environ.get("WEBHOOK_SECRET"),
    ).register(app, path="/webhook")
    runner = web.AppRunner(app)
    await runner.setup()
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8090"))
    await web.TCPSite(runner, host, port).start()
    print(f"baseline: serving on {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await bot.session.close()


if __name__ == "__main__":
    asyncio.run(main())
