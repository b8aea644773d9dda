"""Server-side sessions: a cookie copied before logout, a password change, a role change
or a removal gets the login page; the owner lists an operator's sessions and ends them."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qunyun.services import operators as operator_service
from qunyun.storage.console import operators as operator_repo
from qunyun.storage.console import sessions as session_repo
from qunyun.web.security import COOKIE
from tests.web.conftest import csrf_of

Make = Callable[..., TestClient]


def _copy(make_client: Make, original: TestClient) -> TestClient:
    """Another browser holding a copy of `original`'s session cookie."""
    thief = make_client()
    thief.cookies.set(COOKIE, original.cookies[COOKIE])
    return thief


def _signed_out(client: TestClient, path: str = "/operators") -> bool:
    response = client.get(path, follow_redirects=False)
    # The login page, which brings them back to `path` once signed in again (bot13).
    return response.status_code == 303 and response.headers["location"] in (
        "/login", f"/login?next={quote(path, safe='')}")


def _operator_id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        row = operator_repo.by_username(conn, username=username)
    assert row is not None
    return int(row["id"])


def test_a_cookie_copied_before_logout_gets_the_login_page(make_client: Make) -> None:
    owner = make_client("owner")
    copy = _copy(make_client, owner)
    assert copy.get("/operators").status_code == 200  # the copy works while signed in
    owner.post("/logout", data={"csrf": csrf_of(owner, "/")}, follow_redirects=False)
    assert _signed_out(copy)
    assert "登录" in copy.get("/operators").text  # the login page itself


def test_password_change_role_change_and_removal_end_every_session(
        make_client: Make, engine: Engine) -> None:
    first, second = make_client("vol"), make_client("vol")
    with engine.begin() as conn:
        operator_service.set_password(conn, username="vol", password="another long password")
    assert _signed_out(first, "/") and _signed_out(second, "/")

    admin = make_client("admin")
    owner = make_client("owner")
    token = csrf_of(owner, "/operators")
    changed = owner.post(f"/operators/{_operator_id(engine, 'admin')}/role",
                         data={"csrf": token, "role": "viewer"}, follow_redirects=False)
    assert changed.status_code == 303
    assert _signed_out(admin, "/")
    with engine.connect() as conn:
        demoted = operator_repo.by_username(conn, username="admin")
    assert demoted is not None and demoted["role"] == "viewer"

    viewer = make_client("viewer")
    removed = owner.post(f"/operators/{_operator_id(engine, 'viewer')}/remove",
                         data={"csrf": token}, follow_redirects=False)
    assert removed.status_code == 303
    assert _signed_out(viewer, "/")
    again = make_client()
    login = again.post("/login", data={"csrf": csrf_of(again), "username": "viewer",
                                       "password": "correct horse battery"})
    assert login.status_code == 401  # a removed account cannot sign in again


def test_the_last_owner_cannot_be_demoted_or_removed(make_client: Make, engine: Engine) -> None:
    owner = make_client("owner")
    token = csrf_of(owner, "/operators")
    oid = _operator_id(engine, "owner")
    refused = owner.post(f"/operators/{oid}/role", data={"csrf": token, "role": "admin"})
    assert refused.status_code == 400 and "最后一个所有者" in refused.text
    assert owner.post(f"/operators/{oid}/remove", data={"csrf": token}).status_code == 400
    assert owner.get("/operators").status_code == 200


def test_owner_lists_and_ends_sessions(make_client: Make, engine: Engine) -> None:
    vol_a, vol_b = make_client("vol"), make_client("vol")
    owner = make_client("owner")
    page = owner.get("/operators").text
    vid = _operator_id(engine, "vol")
    ended = re.findall(rf'action="/operators/{vid}/sessions/(\d+)/end"', page)
    assert len(ended) == 2  # both of vol's browsers are listed
    token = csrf_of(owner, "/operators")
    with engine.connect() as conn:
        newest = max(int(s["id"]) for s in session_repo.active(conn, now_ms=0)
                     if s["operator_id"] == vid)
    done = owner.post(f"/operators/{vid}/sessions/{newest}/end", data={"csrf": token},
                      follow_redirects=False)
    assert done.status_code == 303
    assert _signed_out(vol_b, "/") and not _signed_out(vol_a, "/")
    owner.post(f"/operators/{vid}/sessions/end", data={"csrf": token}, follow_redirects=False)
    assert _signed_out(vol_a, "/")
    assert not _signed_out(owner)  # the owner's own session is untouched
    assert owner.post(f"/operators/{vid}/sessions/{newest}/end",
                      data={"csrf": token}).status_code == 404
    other = make_client("admin")
    assert other.post(f"/operators/{vid}/sessions/end",
                      data={"csrf": csrf_of(other, "/")}).status_code == 403


def test_the_database_holds_only_a_hash_of_the_session_id(make_client: Make,
                                                          engine: Engine) -> None:
    client = make_client("owner")
    with engine.connect() as conn:
        hashes = {str(r[0]) for r in conn.execute(session_repo.console_sessions.select()
                                                  .with_only_columns(
                                                      session_repo.console_sessions.c.token_hash))}
    assert hashes and all(len(h) == 64 for h in hashes)
    assert not any(h in client.cookies[COOKIE] for h in hashes)
