"""Operator accounts page (owners only): list accounts, add one with a role and scope,
change a role, remove an account, and see and end each operator's active sessions.

Every change goes through `qunyun.services.operators` / `qunyun.services.sessions`
(audited); a role change or removal ends that operator's sessions at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qunyun.services import operators as operator_service
from qunyun.services import sessions as session_service
from qunyun.storage.console import operators as operator_repo
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.web.deps import Ctx, NotFound, context
from qunyun.web.ids import DbId, FormIds
from qunyun.web.render import page

router = APIRouter()


def _view(ctx: Ctx, status_code: int = 200, error: str | None = None) -> Response:
    with ctx.engine.connect() as conn:
        accounts = operator_service.list_operators(conn)
        scopes = {int(str(a["id"])): operator_repo.scope(conn, operator_id=int(str(a["id"])))
                  for a in accounts}
        communities = console_overview.communities_with_counts(conn, ids=None)
        sessions = session_service.active_by_operator(conn)
    names = {int(c["id"]): str(c["name"]) for c in communities}
    return page(ctx, "operators.html", status_code, accounts=accounts, scopes=scopes,
                names=names, communities=communities, roles=operator_service.ROLES,
                sessions=sessions, error=error)


@router.get("/operators")
def operators_page(request: Request) -> Response:
    ctx = context(request)
    ctx.require("manage_operators")
    return _view(ctx)


@router.post("/operators")
def add_operator(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
    role: Annotated[str, Form()], community: FormIds = None,
) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    try:
        with writing(ctx.engine) as conn:
            operator_service.create_operator(conn, username=username.strip(), password=password,
                                             role=role, communities=set(community or []),
                                             by=owner.username)
    except operator_service.OperatorError as exc:
        return _view(ctx, 400, str(exc))
    return RedirectResponse("/operators", status_code=303)


@router.post("/operators/{operator_id}/role")
def change_role(request: Request, operator_id: DbId, role: Annotated[str, Form()]) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    try:
        with writing(ctx.engine) as conn:
            operator_service.set_role(conn, username=_username(conn, operator_id), role=role,
                                      by=owner.username)
    except operator_service.OperatorError as exc:
        return _view(ctx, 400, str(exc))
    return RedirectResponse("/operators", status_code=303)


@router.post("/operators/{operator_id}/remove")
def remove(request: Request, operator_id: DbId) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    try:
        with writing(ctx.engine) as conn:
            operator_service.remove_operator(conn, username=_username(conn, operator_id),
                                             by=owner.username)
    except operator_service.OperatorError as exc:
        return _view(ctx, 400, str(exc))
    return RedirectResponse("/operators", status_code=303)


@router.post("/operators/{operator_id}/sessions/{session_id}/end")
def end_session(request: Request, operator_id: DbId, session_id: DbId) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    with writing(ctx.engine) as conn:
        if not session_service.end_one(conn, operator_id=operator_id, session_id=session_id,
                                       by=owner.username):
            raise NotFound
    return RedirectResponse("/operators", status_code=303)


@router.post("/operators/{operator_id}/sessions/end")
def end_all_sessions(request: Request, operator_id: DbId) -> Response:
    ctx = context(request)
    owner = ctx.require("manage_operators")
    with writing(ctx.engine) as conn:
        session_service.end_every(conn, operator_id=operator_id, by=owner.username)
    return RedirectResponse("/operators", status_code=303)


def _username(conn: Connection, operator_id: int) -> str:
    row = operator_repo.by_id(conn, operator_id=operator_id)
    if row is None:
        raise NotFound
    return str(row["username"])
