"""The console's outermost layer, as plain ASGI: the session cookie in and out, the
security headers and Server-Timing on every response, and the error pages for requests
that failed below (database unreachable → 503, anything else → 500).

It was Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`), which runs the rest
of the app in a separate task with in-memory streams around every request; as plain ASGI
it only wraps `send`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qunyun.web.deps import Ctx, lang_of
from qunyun.web.render import page
from qunyun.web.security import COOKIE, SESSION_MAX_AGE, SessionCodec
from qunyun.web.texts import LANGS

log = logging.getLogger("qunyun.web.app")

# Scripts only from our own origin: no inline script can run even if escaping failed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
_SECURITY = (("content-security-policy", CSP), ("x-content-type-options", "nosniff"),
             ("referrer-policy", "same-origin"), ("x-frame-options", "DENY"))


LANG_COOKIE = "qunyun_lang"  # what the language switch (/lang/{code}) sets


def _lang_cookie(code: str) -> str:
    holder = Response()
    holder.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return holder.headers["set-cookie"]


class ConsoleMiddleware:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec, secure_cookies: bool) -> None:
        self.app = app
        self.codec = codec
        self.secure = secure_cookies

    def _cookie(self, value: str) -> str:
        holder = Response()
        holder.set_cookie(COOKIE, value, max_age=SESSION_MAX_AGE, httponly=True,
                          samesite="lax", secure=self.secure, path="/")
        return holder.headers["set-cookie"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        session = self.codec.load(request.cookies.get(COOKIE))
        request.state.session = session
        static = scope["path"].startswith("/static/")
        responded = False

        async def send_with_headers(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                headers = MutableHeaders(scope=message)
                # Server time of the whole request (what bench/bench_console.py reports).
                headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
                if session.changed:
                    headers.append("set-cookie", self._cookie(self.codec.dump(session)))
                asked = request.query_params.get("lang")
                if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
                    headers.append("set-cookie", _lang_cookie(asked))
                for name, value in _SECURITY:
                    if name not in headers:
                        headers[name] = value
                if not static and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except (OperationalError, InterfaceError) as exc:
            if responded:
                raise
            # One line, no traceback: the cause is outside the console, and it recovers
            # by itself (the pool reconnects on the next request).
            log.warning("database unreachable: %s", _first_line(exc))
            response = bare_page(request, 503, "db_down", "db_down_help")
            response.headers["retry-after"] = "5"
            await response(scope, receive, send_with_headers)
        except Exception:
            if responded:
                raise
            log.exception("request failed: %s %s", request.method, scope["path"])
            await bare_page(request, 500, "server_error", "server_error_help")(
                scope, receive, send_with_headers)


def _first_line(exc: BaseException) -> str:
    cause: Any = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return text[0][:300] if text else type(cause).__name__


def bare_page(request: Request, status: int, title_key: str, message_key: str) -> Response:
    """An error page that needs nothing from the database (no operator is looked up)."""
    ctx = Ctx(request=request, session=request.state.session, lang=lang_of(request),
              operator=None)
    return page(ctx, "message.html", status, title_key=title_key, message_key=message_key)
