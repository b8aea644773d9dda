"""The console's app factory: middleware (session cookie, security headers), CSRF check,
error pages, static files, and the route modules in the order they are listed here.

No request ends in a bare 500: numbers out of range answer the 404/422 page, a database
that cannot be reached the 503 page "数据库暂时无法连接" (one log line, no traceback;
the next request after it is back works), and anything else the 500 page with the
traceback in the log — all with the security headers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from qunyun.services import operators as operator_service
from qunyun.web.deps import CsrfFailed, Ctx, Forbidden, LoginRequired, NotFound, context, lang_of
from qunyun.web.render import page
from qunyun.web.reports import ReportCache
from qunyun.web.routes import (
    activities,
    audit,
    auth,
    calendar,
    members,
    operators,
    overview,
    plan,
    queues,
)
from qunyun.web.security import COOKIE, SESSION_MAX_AGE, SessionCodec, csrf_ok

STATIC = Path(__file__).with_name("static")
log = logging.getLogger(__name__)

# Scripts only from our own origin: no inline script can run even if escaping failed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


async def csrf_guard(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        form = await request.form()
        value = form.get("csrf")
        submitted = value if isinstance(value, str) else None
    if not csrf_ok(request.state.session, submitted):
        raise CsrfFailed


def create_app(
    engine: Engine, *, secure_cookies: bool = True, setup_token: str | None = None,
    reports: ReportCache | None = None,
) -> FastAPI:
    app = FastAPI(title="qunyun console", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_guard)])
    with engine.begin() as conn:
        codec = SessionCodec(operator_service.session_secret(conn))
    app.state.engine = engine
    app.state.setup_token = setup_token
    app.state.codec = codec
    app.state.secure_cookies = secure_cookies
    app.state.reports = reports if reports is not None else ReportCache(engine)

    @app.middleware("http")
    async def session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        session = codec.load(request.cookies.get(COOKIE))
        request.state.session = session
        try:
            response = await call_next(request)
        except (OperationalError, InterfaceError) as exc:
            # One line, no traceback: the cause is outside the console, and it recovers
            # by itself (the pool reconnects on the next request).
            log.warning("database unreachable: %s", _first_line(exc))
            response = _bare_page(request, 503, "db_down", "db_down_help")
            response.headers["Retry-After"] = "5"
        except Exception:
            log.exception("request failed: %s %s", request.method, request.url.path)
            response = _bare_page(request, 500, "server_error", "server_error_help")
        # Server time of the whole request (what bench/bench_console.py reports).
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        if session.changed:
            response.set_cookie(COOKIE, codec.dump(session), max_age=SESSION_MAX_AGE,
                                httponly=True, samesite="lax", secure=secure_cookies, path="/")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        return page(context(request), "message.html", 403, title_key="forbidden",
                    message_key="forbidden_help")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        return page(context(request), "message.html", 403, title_key="forbidden",
                    message_key="bad_csrf")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # A path whose id cannot exist is a page that does not exist; a bad query value
        # is the visitor's request that cannot be served.
        in_path = any((e.get("loc") or ("",))[0] == "path" for e in exc.errors())
        if in_path:
            return page(context(request), "message.html", 404, title_key="not_found",
                        message_key="not_found")
        return page(context(request), "message.html", 422, title_key="bad_request",
                    message_key="bad_request_help")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return page(context(request), "message.html", 404, title_key="not_found",
                    message_key="not_found")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, overview, members, queues, audit, plan, operators, calendar,
                   activities):
        app.include_router(module.router)
    return app


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return text[0][:300] if text else type(cause).__name__


def _bare_page(request: Request, status: int, title_key: str, message_key: str) -> Response:
    """An error page that needs nothing from the database (no operator is looked up)."""
    ctx = Ctx(request=request, session=request.state.session, lang=lang_of(request),
              operator=None)
    return page(ctx, "message.html", status, title_key=title_key, message_key=message_key)
