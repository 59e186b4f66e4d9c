"""A local stand-in for the Telegram Bot API, over real HTTP, for end-to-end tests of the bot.

It implements the methods the bot calls, answers like Telegram does (``{"ok": true, "result": ...}``),
records every call, and serves ``getUpdates`` as a long poll over a queue the test fills. Tests wait
for calls with :meth:`FakeTelegram.wait_for`, which wakes on each new call (no sleeping and hoping).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse, web

from tests.local_server import serve_locally

BOT = {
    "id": 999000,
    "is_bot": True,
    "first_name": "Diana",
    "username": "diana_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
SENDS = {"sendMessage", "sendPhoto", "sendVideo", "sendAnimation", "sendAudio", "sendDocument", "sendInvoice"}
NAME = re.compile(rb'name="([^"]+)"')  # a multipart part's field name
EDITS = {"editMessageText", "editMessageReplyMarkup", "editMessageMedia", "editMessageCaption"}
STALE_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    number: int
    result: Any = None
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded files by field name

    def markup(self) -> list[list[dict[str, Any]]]:
        raw = self.params.get("reply_markup")
        if not raw:
            return []
        data = json.loads(raw) if isinstance(raw, str) else raw
        rows: list[list[dict[str, Any]]] = data.get("inline_keyboard", [])
        return rows

    def buttons(self) -> list[dict[str, Any]]:
        return [button for row in self.markup() for button in row]

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> int | None:
        """The chat a send or edit went to (None for calls without one, like answerCallbackQuery)."""
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None

    @property
    def ok(self) -> bool:
        """False for a call the fake answered with an error (``fail_next``, a second answer)."""
        return self.result is not None


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)  # method -> how many calls to fail
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    answered: set[str] = field(default_factory=set)  # callback query and pre-checkout query ids answered
    star_charges: dict[str, int] = field(default_factory=dict)  # Stars charge id -> payer (see ``pay``)
    refunded: set[str] = field(default_factory=set)  # Stars charges refunded by refundStarPayment
    listeners: list[Callable[[Call], None]] = field(default_factory=list)  # told of every call
    _delivered: set[int] = field(default_factory=set)  # update ids handed out by getUpdates
    _confirmed: set[int] = field(default_factory=set)  # ... and confirmed by a later offset
    base_url: str = ""
    _closing: bool = False
    _runner: web.AppRunner | None = None

    # -- server --------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner, self.base_url = await serve_locally(app)
        return self.base_url

    async def stop(self) -> None:
        async with self._changed:  # release long polls now instead of after their timeout
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            uploads: dict[str, tuple[str, bytes]] = {}
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
                elif isinstance(value, web.FileField):
                    uploads[key] = (value.filename, value.file.read())
            # aiogram sends `document=attach://<field>` and the bytes in <field>: the params say
            # which file was sent, ``files`` keeps its bytes under the parameter's name.
            for key, value in list(params.items()):
                if isinstance(value, str) and value.startswith("attach://") and value[9:] in uploads:
                    filename, content = uploads.pop(value[9:])
                    params[key] = f"<file {filename}>"
                    files[key] = content
            for key, (filename, content) in uploads.items():
                params[key] = f"<file {filename}>"
                files[key] = content
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        body = await self.execute(method, params, files)
        return web.json_response(body, status=200 if body["ok"] else int(body["error_code"]))

    async def execute(
        self, method: str, params: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> dict[str, Any]:
        """Carry out one method call and record it; Telegram's JSON answer. Also what Telegram does
        with a method a bot puts in its reply to a webhook POST (see ``webhook_reply``)."""
        failures = self.fail_next.get(method, 0)
        if failures:
            self.fail_next[method] = failures - 1
            return await self._refuse(method, params, "Bad Request: simulated failure")
        if method == "answerCallbackQuery":
            # Telegram accepts one answer per callback query; a second one is a 400.
            query_id = str(params.get("callback_query_id"))
            if query_id in self.answered:
                return await self._refuse(method, params, STALE_QUERY)
            self.answered.add(query_id)
        if method == "answerPreCheckoutQuery":
            # One answer per query, and a refusal must say why (Bot API: error_message required).
            query_id = str(params.get("pre_checkout_query_id"))
            if query_id in self.answered:
                return await self._refuse(method, params, STALE_QUERY)
            if not _true(params.get("ok")) and not params.get("error_message"):
                return await self._refuse(method, params, "Bad Request: ERROR_MESSAGE_EMPTY")
            self.answered.add(query_id)
        if method == "refundStarPayment":
            charge = str(params.get("telegram_payment_charge_id"))
            if self.star_charges.get(charge) != int(params.get("user_id") or 0):
                return await self._refuse(method, params, "Bad Request: CHARGE_NOT_FOUND")
            if charge in self.refunded:
                return await self._refuse(method, params, "Bad Request: CHARGE_ALREADY_REFUNDED")
            self.refunded.add(charge)
        if method == "sendInvoice":
            problem = _invoice_problem(params)
            if problem:
                return await self._refuse(method, params, f"Bad Request: {problem}")
        result = self._result(method, params)
        await self._record(method, params, result, files)
        return {"ok": True, "result": result}

    async def _refuse(self, method: str, params: dict[str, Any], description: str) -> dict[str, Any]:
        await self._record(method, params, None)
        return {"ok": False, "error_code": 400, "description": description}

    async def _record(
        self, method: str, params: dict[str, Any], result: Any, files: dict[str, bytes] | None = None
    ) -> None:
        async with self._changed:
            call = Call(method, params, len(self.calls), result, files or {})
            for listener in self.listeners:
                listener(call)
            self.calls.append(call)
            self._changed.notify_all()

    def _message(self, params: dict[str, Any], method: str) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Player"},
            "from": BOT,
        }
        if "text" in params:
            message["text"] = params["text"]
        if "caption" in params:
            message["caption"] = params["caption"]
        if method == "sendPhoto":
            file_id = f"photo-{next(self._file_ids)}"
            message["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 320, "height": 200}]
        if method == "sendDocument":
            message["document"] = {"file_id": f"doc-{next(self._file_ids)}", "file_unique_id": "d"}
        if method == "sendInvoice":
            prices = _json(params.get("prices")) or []
            message["invoice"] = {
                "title": params.get("title"),
                "description": params.get("description"),
                "start_parameter": params.get("start_parameter") or "",
                "currency": params.get("currency"),
                "total_amount": sum(int(p["amount"]) for p in prices),
            }
        if params.get("reply_markup"):
            raw = params["reply_markup"]
            message["reply_markup"] = json.loads(raw) if isinstance(raw, str) else raw
        return message

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method in SENDS or method in EDITS:
            if method == "editMessageText" and "text" not in params:
                params["text"] = ""
            return self._message(params, method)
        if method in (
            "answerCallbackQuery",
            "setWebhook",
            "deleteWebhook",
            "answerPreCheckoutQuery",
            "refundStarPayment",
            "setMyCommands",
            "deleteMessage",
        ):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        # ``offset`` confirms what was delivered before it. Unlike Telegram, an update pushed late with a
        # smaller id (two test players racing) is still delivered rather than silently skipped.
        self._confirmed.update(uid for uid in self._delivered if uid < offset)

        def pending() -> list[dict[str, Any]]:
            found = [u for u in self.updates if u["update_id"] not in self._confirmed]
            return sorted(found, key=lambda u: int(u["update_id"]))  # Telegram hands them out in order

        async with self._changed:
            if not pending() and timeout and not self._closing:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(pending()) or self._closing), timeout
                    )
                except TimeoutError:
                    return []
            if self._closing:
                return []
            found = pending()
            self._delivered.update(u["update_id"] for u in found)
            return found

    # -- what tests use ------------------------------------------------------------------
    def new_update_id(self) -> int:
        return next(self._update_ids)

    async def push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()

    async def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] = lambda _: True,
        *,
        after: int = 0,
        timeout: float = 30.0,
    ) -> Call:
        """The first call of ``method`` numbered >= ``after`` that matches; fails after ``timeout``."""

        def found() -> Call | None:
            return next((c for c in self.calls[after:] if c.method == method and where(c)), None)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
            except TimeoutError:
                seen = [(c.method, c.text[:40]) for c in self.calls[after:]]
                raise AssertionError(f"no {method} call within {timeout}s; saw {seen}") from None
        call = found()
        assert call is not None
        return call

    def of(self, method: str, after: int = 0) -> list[Call]:
        return [c for c in self.calls[after:] if c.method == method]

    def pay(self, invoice: Call, user_id: int, charge_id: str, *, language: str = "es") -> dict[str, Any]:
        """What Telegram sends once the player paid ``invoice``: the successful_payment update (the
        charge is remembered for refundStarPayment). The caller delivers it, as often as it likes."""
        assert invoice.method == "sendInvoice", invoice.method
        self.star_charges[charge_id] = user_id
        return successful_payment_update(
            self.new_update_id(),
            user_id,
            payload=str(invoice.params["payload"]),
            amount=invoice_amount(invoice),
            currency=str(invoice.params["currency"]),
            charge_id=charge_id,
            language=language,
        )

    def successful_payment_again(self, update: dict[str, Any]) -> dict[str, Any]:
        """The same payment in a new update (a new update_id): what a redelivery after a restart of
        Telegram's side may look like. Grants must be idempotent on the charge id, not the update id."""
        again = json.loads(json.dumps(update))
        again["update_id"] = self.new_update_id()
        again["message"]["message_id"] = again["update_id"] + 500_000
        return again

    def checkout(
        self, invoice: Call, user_id: int, *, payload: str | None = None, language: str = "es"
    ) -> dict[str, Any]:
        """The pre_checkout_query Telegram sends when the player confirms ``invoice`` (``payload``: a
        forged one instead of the invoice's)."""
        return pre_checkout_update(
            self.new_update_id(),
            user_id,
            payload=str(invoice.params["payload"]) if payload is None else payload,
            amount=invoice_amount(invoice),
            currency=str(invoice.params["currency"]),
            language=language,
        )


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _invoice_problem(params: dict[str, Any]) -> str | None:
    """What Telegram refuses in a Stars invoice (Bot API sendInvoice)."""
    payload = str(params.get("payload") or "")
    if not 1 <= len(payload.encode()) <= 128:
        return "INVOICE_PAYLOAD_INVALID"
    if not 1 <= len(str(params.get("title") or "")) <= 32:
        return "INVOICE_TITLE_INVALID"
    if not 1 <= len(str(params.get("description") or "")) <= 255:
        return "INVOICE_DESCRIPTION_INVALID"
    prices = _json(params.get("prices")) or []
    if params.get("currency") == "XTR":
        if params.get("provider_token"):
            return "PAYMENT_PROVIDER_INVALID"
        if len(prices) != 1 or int(prices[0]["amount"]) <= 0:
            return "STARS_INVOICE_INVALID"
    return None


def invoice_amount(invoice: Call) -> int:
    return sum(int(p["amount"]) for p in _json(invoice.params["prices"]))


def pre_checkout_update(
    update_id: int, user_id: int, *, payload: str, amount: int, currency: str = "XTR", language: str = "es"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "pre_checkout_query": {
            "id": f"pcq{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": language},
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        },
    }


def successful_payment_update(
    update_id: int,
    user_id: int,
    *,
    payload: str,
    amount: int,
    charge_id: str,
    currency: str = "XTR",
    language: str = "es",
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 500_000,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Ana"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ana", "language_code": language},
            "successful_payment": {
                "currency": currency,
                "total_amount": amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "",
            },
        },
    }


async def webhook_reply(response: ClientResponse) -> tuple[str, dict[str, Any]] | None:
    """The method a bot put in its answer to a webhook POST, if any, as (method, params).

    A webhook handler may answer Telegram's POST with one Bot API call (aiogram: a handler that
    returns a method); Telegram then carries it out. Reads the response body either way.
    """
    body = await response.read()
    if response.content_type == "application/json":  # Telegram takes JSON replies too
        params = json.loads(body) if body else {}
        method = params.pop("method", None) if isinstance(params, dict) else None
        return (str(method), params) if method else None
    if not response.content_type.startswith("multipart/"):
        return None
    boundary = response.headers["Content-Type"].split("boundary=", 1)[1]
    fields: dict[str, Any] = {}
    # aiogram writes small text parts only (no files in a webhook reply): split by hand, which is
    # several times cheaper than a streaming multipart reader (this runs once per benchmark update).
    for part in body.split(b"--" + boundary.strip('"').encode())[1:]:
        head, _, value = part.partition(b"\r\n\r\n")
        name = NAME.search(head)
        if name is not None:
            fields[name.group(1).decode()] = value.rsplit(b"\r\n", 1)[0].decode()
    method = fields.pop("method", None)
    return (str(method), fields) if method else None


def message_update(
    update_id: int, user_id: int, text: str, *, first_name: str = "Ana", language: str = "es"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 500_000,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language},
            "text": text,
            **(
                {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
                if text.startswith("/")
                else {}
            ),
        },
    }


def callback_update(
    update_id: int,
    user_id: int,
    data: str,
    message: dict[str, Any] | None = None,
    *,
    first_name: str = "Ana",
    language: str = "es",
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language},
            "chat_instance": "ci",
            "data": data,
            "message": message
            or {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": first_name},
                "from": BOT,
                "text": "…",
            },
        },
    }
