"""Operator accounts page (owners only): list accounts, add one with a role and scope.

Creating goes through `qunyun.services.operators.create_operator` (argon2, audited).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import operators as operator_service
from qunyun.storage.console import operators as operator_repo
from qunyun.storage.console import overview as console_overview
from qunyun.web.deps import Ctx, context
from qunyun.web.render import page

router = APIRouter()


def _view(ctx: Ctx, status_code: int = 200, error: str | None = None) -> Response:
    with ctx.engine.connect() as conn:
        accounts = operator_service.list_operators(conn)
        scopes = {int(str(a["id"])): operator_repo.scope(conn, operator_id=int(str(a["id"])))
                  for a in accounts}
        communities = console_overview.communities_with_counts(conn, ids=None)
    names = {int(c["id"]): str(c["name"]) for c in communities}
    return page(ctx, "operators.html", status_code, accounts=accounts, scopes=scopes,
                names=names, communities=communities, roles=operator_service.ROLES,
                error=error)


@router.get("/operators")
def operators_page(request: Request) -> Response:
    ctx = context(request)
    ctx.require("manage_operators")
    return _view(ctx)


@router.post("/operators")
def add_operator(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
    role: Annotated[str, Form()], community: Annotated[list[int] | None, Form()] = None,
) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    try:
        with ctx.engine.begin() as conn:
            operator_service.create_operator(conn, username=username.strip(), password=password,
                                             role=role, communities=set(community or []),
                                             by=owner.username)
    except operator_service.OperatorError as exc:
        return _view(ctx, 400, str(exc))
    return RedirectResponse("/operators", status_code=303)
