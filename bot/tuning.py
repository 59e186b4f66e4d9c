"""Process-level tuning for a long-running bot: found by profiling ``bench/webhook.py``.

* aiogram validates every Bot API reply as ``Response[ReturnType]``, a pydantic generic model built on
  first use and kept in pydantic's cache of generic types. That cache holds its classes weakly, and a
  class lives in reference cycles, so each garbage collection drops them and the next API call builds
  the class again: 1-8 ms of CPU, every few calls under load (a sixth of the bot's CPU in the
  benchmark, and its worst latencies). Keeping one strong reference to each makes the cache hold.
* Requests go out as JSON bodies instead of url-encoded forms (see :class:`JsonBodySession`), and so
  does the method a handler returns into the webhook's HTTP response (see :class:`JsonReplyHandler`).
* A scene edited in place (:class:`EditSceneText`, the hot path's one Bot API call) is a lean
  ``editMessageText``: its keyboard goes as plain JSON instead of pydantic button models, and the reply
  is checked but not turned into a ``Message`` that nothing reads (each cost as much as the rest of the
  edit).
* ``gc.freeze()`` after start moves everything loaded at import (aiogram's and pydantic's thousands of
  models, the story bundle) out of the collector's sight, so the periodic full collection no longer
  walks millions of objects that will live as long as the process does.
"""

from __future__ import annotations

import gc
from typing import Any, ClassVar

import aiogram.methods
from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import InputFile
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import FormData
from aiohttp.payload import JsonPayload, Payload

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
        _PINNED.append(Response[EditSceneText.__returning__])  # type: ignore[name-defined]
    return len(_PINNED)


class EditSceneText(TelegramMethod[dict[str, Any] | bool]):
    """``editMessageText`` of a scene: the same request as aiogram's ``EditMessageText`` (the bot's
    default parse mode and link preview settings included), with ``reply_markup`` as the Bot API's JSON
    and the reply checked (``ok``, or aiogram's exception for the error) but never read back."""

    __returning__: ClassVar[Any] = dict[str, Any] | bool
    __api_method__: ClassVar[str] = "editMessageText"

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | Default | None = Default("parse_mode")
    link_preview_options: Any = Default("link_preview")
    disable_web_page_preview: bool | Default | None = Default("link_preview_is_disabled")
    reply_markup: dict[str, Any] | None = None


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

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The method's parameters as a JSON object, or None when it uploads a file."""
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            # Like aiogram's forms: unset values and empty strings are left out. ``False`` and ``0`` are
            # sent (answerPreCheckoutQuery's required ``ok: false`` is a refusal, not nothing).
            if prepared is not None and prepared != "":
                body[key] = prepared
        return None if files else body

    def build_form_data(self, bot: Bot, method: TelegramMethod[Any]) -> FormData:
        body = self.json_body(bot, method)
        if body is None:
            return super().build_form_data(bot, method)
        return JsonPayload(body, dumps=self.json_dumps)  # type: ignore[return-value]  # aiohttp takes any Payload


class JsonReplyHandler(SimpleRequestHandler):
    """The webhook handler, answering with the handler's returned method as one JSON object.

    aiogram writes that reply as multipart/form-data, and aiohttp sends a multipart body part by part:
    five or six socket writes for a one-field answerCallbackQuery, on every tap. Telegram takes a
    webhook reply as ``application/json`` too (``{"method": ..., ...params}``): one write. A reply with
    a file (never ours) keeps aiogram's multipart form.
    """

    def _build_response_writer(self, bot: Bot, result: TelegramMethod[Any] | None) -> Payload:
        session = bot.session
        if result and isinstance(session, JsonBodySession):
            body = session.json_body(bot, result)
            if body is not None:
                return JsonPayload({"method": result.__api_method__, **body}, dumps=session.json_dumps)
        return super()._build_response_writer(bot, result)
