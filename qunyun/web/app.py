"""The console's app factory: middleware (session cookie, security headers), CSRF check,
error pages, static files, and the route modules in the order they are listed here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from qunyun.services import operators as operator_service
from qunyun.web.deps import CsrfFailed, Forbidden, LoginRequired, NotFound, context
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
from qunyun.web.security import COOKIE, SESSION_MAX_AGE, LoginLimiter, SessionCodec, csrf_ok

STATIC = Path(__file__).with_name("static")

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
    app.state.limiter = LoginLimiter()
    app.state.reports = reports if reports is not None else ReportCache(engine)

    @app.middleware("http")
    async def session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        session = codec.load(request.cookies.get(COOKIE))
        request.state.session = session
        response = await call_next(request)
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

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return page(context(request), "message.html", 404, title_key="not_found",
                    message_key="not_found")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, overview, members, queues, audit, plan, operators, calendar,
                   activities):
        app.include_router(module.router)
    return app
