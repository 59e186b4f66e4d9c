"""An aiohttp app served on 127.0.0.1 at a port the kernel picks, for the tests' stand-ins of remote
services (the fake Bot API, the fake Stripe API) and the endpoints they call."""

from __future__ import annotations

from aiohttp import web


async def serve_locally(app: web.Application, *, access_log: bool = True) -> tuple[web.AppRunner, str]:
    """Start ``app``; its runner (``await runner.cleanup()`` stops it) and its base URL. Port 0 and
    reading the bound port back leave no window in which another process could take it."""
    runner = web.AppRunner(app) if access_log else web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"
