"""The Telegram front-end: aiogram 3 routers and middlewares over the engine's services."""
