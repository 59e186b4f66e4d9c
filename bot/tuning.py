"""Process-level tuning for a long-running bot: found by profiling ``bench/webhook.py``.

* aiogram validates every Bot API reply as ``Response[ReturnType]``, a pydantic generic model built on
  first use and kept in pydantic's cache of generic types. That cache holds its classes weakly, and a
  class lives in reference cycles, so each garbage collection drops them and the next API call builds
  the class again: 1-8 ms of CPU, every few calls under load (a sixth of the bot's CPU in the
  benchmark, and its worst latencies). Keeping one strong reference to each makes the cache hold.
* Requests go out as JSON bodies instead of url-encoded forms (see :class:`JsonBodySession`).
* ``gc.freeze()`` after start moves everything loaded at import (aiogram's and pydantic's thousands of
  models, the story bundle) out of the collector's sight, so the periodic full collection no longer
  walks millions of objects that will live as long as the process does.
"""

from __future__ import annotations

import gc
from typing import Any

import aiogram.methods
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import InputFile
from aiohttp import FormData
from aiohttp.payload import JsonPayload

_PINNED: list[Any] = []


def pin_api_response_types() -> int:
    """Build ``Response[T]`` once for every Bot API method and keep it; the number of types pinned."""
    if not _PINNED:
        for name in aiogram.methods.__all__:
            method = getattr(aiogram.methods, name, None)
            returning = getattr(method, "__returning__", None)
            if (
                isinstance(method, type)
                and issubclass(method, TelegramMethod)
                and method is not TelegramMethod  # the base class: its __returning__ is abstract
                and returning is not None
            ):
                _PINNED.append(Response[returning])  # type: ignore[valid-type]
    return len(_PINNED)


def freeze_startup_objects() -> None:
    """Collect once, then exclude every object alive now from future collections."""
    gc.collect()
    gc.freeze()


class JsonBodySession(AiohttpSession):
    """Bot API requests as JSON bodies (``application/json``), multipart only when a file is uploaded.

    aiogram sends every request as a form; url-encoding a scene's text byte by byte in pure Python
    (``urllib.parse.quote``) was the bot's single largest cost per Telegram call. The Bot API takes
    JSON for every method except uploads, and ``json.dumps`` is C.
    """

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            # Like aiogram's forms: unset values and empty strings are left out. ``False`` and ``0`` are
            # sent (answerPreCheckoutQuery's required ``ok: false`` is a refusal, not nothing).
            if prepared is not None and prepared != "":
                body[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)  # type: ignore[return-value]  # aiohttp takes any Payload
