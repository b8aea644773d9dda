"""Warnings (R2): record one, count the live ones, settle them on removal, revoke on appeal.

A warning is live until it expires (`moderation.warning_expiry_days`), is settled (the
member was removed for reaching the limit, so a member who comes back starts clean) or
is revoked by an operator (a successful appeal, R3). Reaching the limit is decided here,
in one place, so every policy that warns applies the same rule to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from qunyun.services import audit
from qunyun.storage.bot import warnings as repo

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class WarnResult:
    warning_id: int
    count: int  # live warnings including this one
    limit: int
    remove: bool  # the limit is reached: the caller removes the member (送机票)


def do_warn(
    conn: Connection, *, community_id: int, member_id: int, group_id: int | None, rule: str,
    reason: str, evidence: Mapping[str, Any], at_ms: int, expiry_days: float, limit: int,
    event_id: str | None = None,
) -> WarnResult:
    warning_id = repo.add(conn, row={
        "community_id": community_id, "member_id": member_id, "group_id": group_id,
        "rule": rule[:40], "reason": reason, "evidence": dict(evidence),
        "event_source_id": event_id, "created_ms": at_ms,
        "expires_ms": at_ms + int(expiry_days * DAY_MS),
    })
    count = repo.count_live(conn, member_id=member_id, now_ms=at_ms)
    remove = count >= limit
    if remove:
        repo.settle_live(conn, member_id=member_id, now_ms=at_ms)
    return WarnResult(warning_id=warning_id, count=count, limit=limit, remove=remove)


def last_of_rule(conn: Connection, *, member_id: int, rule: str) -> int | None:
    """When the member was last warned under `rule` (ms), or None (R2 cooldown)."""
    return repo.last_of_rule(conn, member_id=member_id, rule=rule)


def live_count(conn: Connection, *, member_id: int, now_ms: int) -> int:
    return repo.count_live(conn, member_id=member_id, now_ms=now_ms)


def live_warnings(conn: Connection, *, member_id: int, now_ms: int) -> list[dict[str, Any]]:
    return repo.live(conn, member_id=member_id, now_ms=now_ms)


def appealable(conn: Connection, *, member_id: int, now_ms: int) -> list[dict[str, Any]]:
    """What an appeal made now is about (R3): the member's live warnings, or, for a member
    removed at the limit, the warnings that removal settled."""
    return repo.live(conn, member_id=member_id, now_ms=now_ms) or \
        repo.last_settled(conn, member_id=member_id)


def warning_history(conn: Connection, *, member_id: int, limit: int = 50) -> list[dict[str, Any]]:
    return repo.history(conn, member_id=member_id, limit=limit)


class WarningError(ValueError):
    """No such warning in this community, or it was already revoked."""


def revoke_warning(
    conn: Connection, *, community_id: int, warning_id: int, operator: str, reason: str,
    now_ms: int,
) -> None:
    """An operator withdraws a warning (e.g. an appeal was upheld); audited."""
    row = repo.get(conn, warning_id=warning_id)
    if row is None or row["community_id"] != community_id:
        raise WarningError(f"no warning {warning_id} in this community")
    if not repo.revoke(conn, warning_id=warning_id, by=operator, now_ms=now_ms):
        raise WarningError(f"warning {warning_id} was already revoked")
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator, action="warning:revoke",
        reason=reason or "revoked", evidence={"warning": warning_id, "rule": row["rule"]},
        member_id=row["member_id"], group_id=row["group_id"],
    )


def expired_unnoticed(conn: Connection, *, community_id: int, now_ms: int
                      ) -> list[dict[str, Any]]:
    """For the scheduler: warnings that expired and whose member was not told yet."""
    return repo.expired_unnoticed(conn, community_id=community_id, now_ms=now_ms)


def mark_expiry_noticed(conn: Connection, *, warning_id: int, now_ms: int) -> dict[str, Any] | None:
    """The warning row if this call marked it (None if already noticed: nothing to say)."""
    if not repo.mark_noticed(conn, warning_id=warning_id, now_ms=now_ms):
        return None
    return repo.get(conn, warning_id=warning_id)
