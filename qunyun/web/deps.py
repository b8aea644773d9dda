"""Per-request context: the session, the signed-in operator, the language, permissions.

Route modules depend on `signed_in` (any operator), `community_for` (an operator who may
see that community) and `allowed(ctx, permission)`; failures are exceptions that the
app turns into a redirect to the sign-in page, a 403 page or a 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Engine

from qunyun.services import sessions as session_service
from qunyun.services.operators import Operator
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.web.security import Session
from qunyun.web.texts import LANGS


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    pass


class NotFound(Exception):
    pass


class CsrfFailed(Exception):
    pass


@dataclass
class Ctx:
    request: Request
    session: Session
    lang: str
    operator: Operator | None

    @property
    def engine(self) -> Engine:
        engine: Engine = self.request.app.state.engine
        return engine

    def require(self, permission: str) -> Operator:
        if self.operator is None:
            raise LoginRequired
        if not self.operator.can(permission):
            raise Forbidden
        return self.operator


def lang_of(request: Request) -> str:
    """`?lang=en` in an address (a link someone shared), else the language switch's cookie.
    The middleware keeps a `?lang=` choice in the cookie, so the page's HTMX panels, which
    ask without it, answer in the same language (issue 11)."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    chosen = request.cookies.get("qunyun_lang", "zh")
    return chosen if chosen in LANGS else "zh"


def context(request: Request) -> Ctx:
    session: Session = request.state.session
    operator = None
    if session.token is not None:
        engine = request.app.state.engine
        with engine.connect() as conn:
            found = session_service.find(conn, token=session.token)
        if found is not None:
            operator = found.operator
            if found.touch_due:
                with writing(engine) as conn:
                    session_service.touch(conn, session_id=found.session_id)
        if operator is None:
            # Signed out, ended by an owner, expired, or the account changed or went.
            session.sign_out()
    return Ctx(request=request, session=session, lang=lang_of(request), operator=operator)


def signed_in(request: Request) -> Ctx:
    ctx = context(request)
    ctx.require("read")
    return ctx


def community_for(request: Request, slug: str) -> tuple[Ctx, dict[str, Any]]:
    """The signed-in operator and the community `slug`, which they must be allowed to see."""
    ctx = signed_in(request)
    with ctx.engine.connect() as conn:
        found = console_overview.community_by_slug(conn, slug=slug)
    if found is None:
        raise NotFound
    assert ctx.operator is not None
    if not ctx.operator.sees(int(found["id"])):
        raise Forbidden
    return ctx, found
