"""Signing in and out, the one-time first-owner setup, and the language switch."""

from __future__ import annotations

import hmac
import math
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import operators as operator_service
from qunyun.web.deps import NotFound, context
from qunyun.web.render import page
from qunyun.web.texts import LANGS, translate

router = APIRouter()


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.get("/login")
def login_form(request: Request, created: str = "") -> Response:
    ctx = context(request)
    if ctx.operator is not None:
        return RedirectResponse("/", status_code=303)
    # Right after the one-time setup: say that the account exists and pre-fill its name.
    notice = translate("account_created", ctx.lang, name=created[:80]) if created else None
    return page(ctx, "login.html", error=None, notice=notice, username=created[:80])


@router.post("/login")
def login(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
) -> Response:
    ctx = context(request)
    limiter = request.app.state.limiter
    wait = limiter.blocked_for(username, _address(request))
    if wait > 0:
        message = translate("locked", ctx.lang, minutes=max(1, math.ceil(wait / 60)))
        return page(ctx, "login.html", 429, error=message, notice=None, username=username)
    with ctx.engine.begin() as conn:
        operator = operator_service.authenticate(conn, username=username, password=password)
    if operator is None:
        limiter.failed(username, _address(request))
        return page(ctx, "login.html", 401, error=translate("bad_login", ctx.lang), notice=None,
                    username=username)
    limiter.succeeded(username)
    request.state.session.sign_in(operator.id, operator.session_epoch)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.state.session.sign_out()
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
    return page(ctx, "setup.html", token=token, error=None)


@router.post("/setup")
def setup(
    request: Request, token: Annotated[str, Form()], username: Annotated[str, Form()],
    password: Annotated[str, Form()], password2: Annotated[str, Form()],
) -> Response:
    ctx = context(request)
    if not _setup_token_ok(request, token):
        raise NotFound
    if password != password2:
        return page(ctx, "setup.html", 400, token=token,
                    error=translate("passwords_differ", ctx.lang))
    with ctx.engine.begin() as conn:
        if not operator_service.needs_first_owner(conn):
            raise NotFound
        try:
            operator_service.create_operator(conn, username=username, password=password,
                                             role="owner", by="setup-token")
        except operator_service.OperatorError as exc:
            return page(ctx, "setup.html", 400, token=token, error=str(exc))
    request.app.state.setup_token = None  # one time only
    return RedirectResponse(f"/login?created={quote(username)}", status_code=303)


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
