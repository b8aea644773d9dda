"""The console's app factory: middleware (session cookie, security headers), CSRF check,
error pages, static files, and the route modules in the order they are listed here.

No request ends in a bare 500: numbers out of range answer the 404/422 page, a database
that cannot be reached the 503 page "数据库暂时无法连接" (one log line, no traceback;
the next request after it is back works), and anything else the 500 page with the
traceback in the log — all with the security headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from qunyun.services import operators as operator_service
from qunyun.storage.engine import writing
from qunyun.web.deps import CsrfFailed, Forbidden, LoginRequired, NotFound, context
from qunyun.web.middleware import ConsoleMiddleware
from qunyun.web.render import page
from qunyun.web.report_index import ReportIndexes
from qunyun.web.reports import ReportCache
from qunyun.web.routes import (
    activities,
    audit,
    auth,
    boards,
    calendar,
    core_users,
    members,
    operators,
    overview,
    plan,
    queues,
    telegram,
    volunteers,
)
from qunyun.web.security import SessionCodec, csrf_ok

STATIC = Path(__file__).with_name("static")


async def csrf_guard(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.url.path.startswith("/telegram/"):
        return  # the Telegram webhook: Telegram's secret token, not a session, vouches
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        form = await request.form()
        value = form.get("csrf")
        submitted = value if isinstance(value, str) else None
    if not csrf_ok(request.state.session, submitted):
        raise CsrfFailed


def create_app(
    engine: Engine, *, secure_cookies: bool = True, setup_token: str | None = None,
    reports: ReportCache | None = None, threads: int | None = None,
) -> FastAPI:
    """`threads`: how many requests the worker runs at once (its thread pool; anyio's
    default is 40). Pages are CPU work under one GIL, so more threads than a few do not
    serve more, they interleave every page with the others and make each one late;
    the rest wait their turn in arrival order (issue 13)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if threads is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        # A report still building in the background is let finish (briefly) rather than
        # cut off mid-query by the process ending.
        await asyncio.to_thread(app.state.reports.close, 5.0)

    app = FastAPI(title="qunyun console", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_guard)], lifespan=lifespan)
    with writing(engine) as conn:  # two workers starting at once: one makes the secret
        codec = SessionCodec(operator_service.session_secret(conn))
    app.state.engine = engine
    app.state.setup_token = setup_token
    app.state.codec = codec
    app.state.secure_cookies = secure_cookies
    app.state.reports = reports if reports is not None else ReportCache(engine)
    app.state.panel_html = {}  # rendered report panels, per report (routes/overview.py)
    app.state.report_indexes = ReportIndexes()  # report lookups, per report (members pages)

    app.add_middleware(ConsoleMiddleware, codec=codec, secure_cookies=secure_cookies)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        # Back to the page asked for once signed in (a link from an alert in the admins'
        # room, bot13); only a page of this console (`auth.local_page`).
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method == "GET" and wanted != "/":
            return RedirectResponse(f"/login?{urlencode({'next': wanted})}", status_code=303)
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's own refusals (no such route, wrong method, a form too large to
        # parse) are the console's pages too, not {"detail": ...} JSON.
        if exc.status_code == 404:
            response = page(context(request), "message.html", 404, title_key="not_found",
                            message_key="not_found")
        else:
            response = page(context(request), "message.html", exc.status_code,
                            title_key="bad_request", message_key="request_rejected")
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value  # e.g. Allow on a 405
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return page(context(request), "message.html", 404, title_key="not_found",
                    message_key="not_found")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, overview, members, queues, audit, plan, operators, calendar,
                   activities, boards, telegram, volunteers, core_users):
        app.include_router(module.router)
    return app

