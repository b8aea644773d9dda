"""Signing in and out, the one-time first-owner setup, and the language switch.

Sign-in goes through the limits of `qunyun.services.signin`; a successful one starts a
server-side session (`qunyun.services.sessions`) and sets the device cookie.
"""

from __future__ import annotations

import hmac
import math
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import operators as operator_service
from qunyun.services import sessions as session_service
from qunyun.services import signin
from qunyun.storage.engine import writing
from qunyun.web.deps import NotFound, context
from qunyun.web.render import page
from qunyun.web.security import DEVICE_COOKIE, DEVICE_MAX_AGE
from qunyun.web.texts import LANGS, translate

router = APIRouter()


def _address(request: Request) -> str:
    # The socket peer, or what a proxy the operator trusts (--forwarded-allow-ips) says.
    return request.client.host if request.client else "?"


def _wait_text(wait: float, lang: str) -> str:
    if wait < 90:
        return translate("slow_down", lang, seconds=max(1, math.ceil(wait)))
    return translate("locked", lang, minutes=max(1, math.ceil(wait / 60)))


def local_page(wanted: str) -> str:
    """Where to go after signing in: `wanted` if it is a page of this console (a path,
    never another site: no `//host`, no scheme), else the home page."""
    if not wanted.startswith("/") or wanted.startswith(("//", "/\\")) or len(wanted) > 2000:
        return "/"
    parts = urlsplit(wanted)
    return wanted if not parts.scheme and not parts.netloc else "/"


@router.get("/login")
def login_form(request: Request, created: str = "", next: str = "") -> Response:
    ctx = context(request)
    if ctx.operator is not None:
        return RedirectResponse(local_page(next), status_code=303)
    # Right after the one-time setup: say that the account exists and pre-fill its name.
    notice = translate("account_created", ctx.lang, name=created[:80]) if created else None
    return page(ctx, "login.html", error=None, notice=notice, username=created[:80],
                next=local_page(next))


@router.post("/login")
def login(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = context(request)
    codec = request.app.state.codec
    device_cookie = request.cookies.get(DEVICE_COOKIE)
    attempt = signin.Attempt(username=username[:200], address=_address(request),
                             device=codec.device_for(device_cookie, username))
    with ctx.engine.connect() as conn:
        wait = signin.wait_seconds(conn, attempt)
    if wait > 0:
        return page(ctx, "login.html", 429, error=_wait_text(wait, ctx.lang),
                    notice=None, username=username, next=local_page(next))
    with ctx.engine.connect() as conn:
        checked = operator_service.check_password(conn, username=username, password=password)
    # The writes after the slow hash, in a transaction that takes the write lock first
    # (other workers and the bot write the same database: `storage.engine.writing`).
    with writing(ctx.engine) as conn:
        operator = None if checked is None else operator_service.record_sign_in(
            conn, checked=checked, password=password)
        if operator is None:
            signin.failed(conn, attempt)
        else:
            signin.succeeded(conn, attempt)
            token = session_service.start(
                conn, operator=operator, address=attempt.address,
                user_agent=request.headers.get("user-agent", ""))
    if operator is None:
        return page(ctx, "login.html", 401, error=translate("bad_login", ctx.lang),
                    notice=None, username=username, next=local_page(next))
    request.state.session.sign_in(token)
    response = RedirectResponse(local_page(next), status_code=303)
    if attempt.device is None:
        response.set_cookie(DEVICE_COOKIE, codec.device_cookie(operator.username),
                            max_age=DEVICE_MAX_AGE, httponly=True, samesite="lax",
                            secure=request.app.state.secure_cookies, path="/")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    session = request.state.session
    if session.token is not None:
        with writing(request.app.state.engine) as conn:
            session_service.end(conn, token=session.token)
    session.sign_out()
    return RedirectResponse("/login", status_code=303)


def _setup_token_ok(request: Request, token: str) -> bool:
    expected = request.app.state.setup_token
    return bool(expected) and hmac.compare_digest(str(expected), token)


@router.get("/setup")
def setup_form(request: Request, token: str = "") -> Response:
    ctx = context(request)
    with ctx.engine.connect() as conn:
        needed = operator_service.needs_first_owner(conn)
    if not needed or not _setup_token_ok(request, token):
        raise NotFound
    return page(ctx, "setup.html", token=token, error=None,
                min_password=operator_service.MIN_PASSWORD)


@router.post("/setup")
def setup(
    request: Request, token: Annotated[str, Form()], username: Annotated[str, Form()],
    password: Annotated[str, Form()], password2: Annotated[str, Form()],
) -> Response:
    ctx = context(request)
    if not _setup_token_ok(request, token):
        raise NotFound
    if password != password2:
        return page(ctx, "setup.html", 400, token=token, min_password=operator_service.MIN_PASSWORD,
                    error=translate("passwords_differ", ctx.lang))
    with writing(ctx.engine) as conn:
        if not operator_service.needs_first_owner(conn):
            raise NotFound
        try:
            operator_service.create_operator(conn, username=username, password=password,
                                             role="owner", by="setup-token")
        except operator_service.OperatorError as exc:
            return page(ctx, "setup.html", 400, token=token,
                        min_password=operator_service.MIN_PASSWORD,
                        error=in_page_language(str(exc), ctx.lang))
    request.app.state.setup_token = None  # one time only
    return RedirectResponse(f"/login?created={quote(username)}", status_code=303)


def in_page_language(bilingual: str, lang: str) -> str:
    """The service's 「中文 / English」 message, the half in the page's language."""
    chinese, sep, english = bilingual.partition(" / ")
    if not sep:
        return bilingual
    return english if lang == "en" else chinese


@router.get("/lang/{code}")
def switch_language(request: Request, code: str) -> Response:
    if code not in LANGS:
        raise NotFound
    back = request.headers.get("referer") or "/"
    # Only ever redirect within the console.
    target = back if back.startswith(str(request.base_url)) else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie("qunyun_lang", code, max_age=365 * 86400, samesite="lax", path="/")
    return response
