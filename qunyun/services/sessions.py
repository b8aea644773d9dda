"""Console sessions, kept server-side so they can be ended: start one at sign-in, find the
operator behind a cookie's session id, end one, end all of an operator's, list them.

The session id is 32 random bytes; the database stores its SHA-256 only. A session lasts
`SESSION_HOURS` from sign-in. `seen_ms` is refreshed at most once a minute, so a busy
console does not write on every page view.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from qunyun.services import audit
from qunyun.services.operators import Operator
from qunyun.storage.console import operators as operator_repo
from qunyun.storage.console import sessions as repo

SESSION_HOURS = 12
_TOUCH_MS = 60_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start(conn: Connection, *, operator: Operator, address: str, user_agent: str) -> str:
    """A new session for `operator`; returns the id the cookie carries."""
    now = _now_ms()
    token = secrets.token_urlsafe(32)
    repo.delete_expired(conn, now_ms=now)
    repo.create(conn, token_hash=_hash(token), operator_id=operator.id, now_ms=now,
                expires_ms=now + SESSION_HOURS * 3600_000, address=address,
                user_agent=user_agent)
    return token


@dataclass(frozen=True)
class Found:
    """The operator behind a session, and whether its `seen_ms` is due a refresh."""

    operator: Operator
    session_id: int
    touch_due: bool


def find(conn: Connection, *, token: str, now_ms: int | None = None) -> Found | None:
    """Only reads: the operator signed in by session `token`, or None when it ended or
    expired (the console reads on every request and writes `touch` once a minute)."""
    now = now_ms if now_ms is not None else _now_ms()
    row = repo.signed_in(conn, token_hash=_hash(token), now_ms=now)
    if row is None:
        return None
    all_communities = bool(row["all_communities"])
    operator = Operator(
        id=int(row["id"]), username=str(row["username"]), role=str(row["role"]),
        all_communities=all_communities,
        communities=frozenset() if all_communities else frozenset(
            repo.scope_of(conn, operator_id=int(row["id"]))),
        session_epoch=int(row["session_epoch"]))
    return Found(operator, int(row["session_id"]), now - int(row["seen_ms"]) > _TOUCH_MS)


def touch(conn: Connection, *, session_id: int) -> None:
    repo.touch(conn, session_id=session_id, now_ms=_now_ms())


def end(conn: Connection, *, token: str) -> None:
    repo.delete_by_hash(conn, token_hash=_hash(token))


def end_all(conn: Connection, *, operator_id: int) -> int:
    """End every session of one operator (password or role changed, account removed)."""
    return repo.delete_for_operator(conn, operator_id=operator_id)


def end_one(conn: Connection, *, operator_id: int, session_id: int, by: str) -> bool:
    ended = repo.delete_one(conn, operator_id=operator_id, session_id=session_id) > 0
    if ended:
        row = operator_repo.by_id(conn, operator_id=operator_id)
        audit.record_operator_action(
            conn, community_id=None, operator=by, action="operator:end_session",
            reason=str(row["username"]) if row else str(operator_id),
            evidence={"session": session_id})
    return ended


def end_every(conn: Connection, *, operator_id: int, by: str) -> int:
    """An owner ends every session of an operator from the console (audited)."""
    ended = repo.delete_for_operator(conn, operator_id=operator_id)
    row = operator_repo.by_id(conn, operator_id=operator_id)
    audit.record_operator_action(
        conn, community_id=None, operator=by, action="operator:end_sessions",
        reason=str(row["username"]) if row else str(operator_id), evidence={"ended": ended})
    return ended


def active_by_operator(conn: Connection) -> dict[int, list[dict[str, Any]]]:
    """Unexpired sessions grouped by operator id, most recently seen first."""
    out: dict[int, list[dict[str, Any]]] = {}
    for row in repo.active(conn, now_ms=_now_ms()):
        out.setdefault(int(row["operator_id"]), []).append(row)
    return out
