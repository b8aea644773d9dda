"""Audit use cases: record effects, policy failures and operator actions; mark delivery."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from qunyun.effects import Effect, effect_to_dict
from qunyun.events import Event
from qunyun.storage.tables import audit_log
from qunyun.storage.work import audit as audit_repo

if TYPE_CHECKING:
    from qunyun.pipeline.context import Context


def _ms(ctx: Context) -> int:
    return int(ctx.now.timestamp() * 1000)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record_effect(
    ctx: Context, effect: Effect, *, policy: str, event: Event | None, status: str
) -> int:
    target = effect.target()
    if target is not None:
        member_id: int | None = ctx.recorder.member_id(ctx.conn, target)
    else:  # a post that mentions several members is about none of them in particular
        member_id = None if getattr(effect, "mentions", ()) else ctx.member_id
    group_id = ctx.recorder.group_id(ctx.conn, effect.group, _ms(ctx))
    return audit_repo.record(
        ctx.conn,
        entry={
            "at_ms": _ms(ctx),
            "community_id": ctx.community_id,
            "group_id": group_id,
            "member_id": member_id,
            "actor": f"policy:{policy}",
            "action": effect.kind,
            "reason": effect.reason,
            "evidence": _jsonable(effect.evidence),
            "status": status,
            "event_source": event.source if event else None,
            "event_source_id": event.source_event_id if event else None,
            "effect": effect_to_dict(effect) if status == "pending" else None,
        },
    )


def record_policy_error(ctx: Context, event: Event, *, policy: str, detail: str) -> int:
    return audit_repo.record(
        ctx.conn,
        entry={
            "at_ms": _ms(ctx),
            "community_id": ctx.community_id,
            "group_id": ctx.group_id,
            "member_id": ctx.member_id,
            "actor": f"policy:{policy}",
            "action": "policy_error",
            "reason": f"policy {policy} failed on {event.kind}",
            "evidence": {},
            "status": "policy_error",
            "detail": detail[:2000],
            "event_source": event.source,
            "event_source_id": event.source_event_id,
        },
    )


def record_operator_action(
    conn: Connection,
    *,
    community_id: int | None,
    operator: str,
    action: str,
    reason: str,
    evidence: Mapping[str, Any] | None = None,
    member_id: int | None = None,
    group_id: int | None = None,
    status: str = "done",
) -> int:
    """Console and CLI actions are audited like bot effects, with `operator:<name>` as actor."""
    return audit_repo.record(
        conn,
        entry={
            "at_ms": int(time.time() * 1000),
            "community_id": community_id,
            "group_id": group_id,
            "member_id": member_id,
            "actor": f"operator:{operator}",
            "action": action,
            "reason": reason,
            "evidence": _jsonable(evidence or {}),
            "status": status,
        },
    )


def record_operator_effect(
    conn: Connection, effect: Effect, *, community_id: int, operator: str,
    member_id: int | None, group_id: int | None, at_ms: int | None = None,
) -> int:
    """An effect an operator's decision calls for (a message, a re-invite), put in the
    outbox (`pending`): the running bot delivers it and marks it, like its own effects."""
    return audit_repo.record(
        conn,
        entry={
            "at_ms": at_ms if at_ms is not None else int(time.time() * 1000),
            "community_id": community_id,
            "group_id": group_id,
            "member_id": member_id,
            "actor": f"operator:{operator}",
            "action": effect.kind,
            "reason": effect.reason,
            "evidence": _jsonable(effect.evidence),
            "status": "pending",
            "effect": effect_to_dict(effect),
        },
    )


def mark_delivery(conn: Connection, *, audit_id: int, ok: bool, detail: str | None = None) -> None:
    """After an adapter carried out (or failed) an effect."""
    conn.execute(
        audit_log.update()
        .where(audit_log.c.id == audit_id)
        .values(status="done" if ok else "failed", detail=detail, effect=None)
    )


# How long a process that claimed an effect has to deliver it before another may: far
# longer than one platform call takes, short enough that a killed process's effects are
# sent soon after by another one (or by itself, restarted).
CLAIM_LEASE_MS = 120_000


def pending_effects(conn: Connection, *, community_id: int,
                    now_ms: int | None = None) -> list[tuple[int, Effect]]:
    """Effects recorded but not yet delivered, oldest first; with `now_ms`, only those no
    bot process holds a claim on at that time. A listing, not a promise: deliver one only
    after `claim_effect` won it."""
    from qunyun.effects import effect_from_dict

    return [(row_id, effect_from_dict(data))
            for row_id, data in audit_repo.pending(conn, community_id=community_id,
                                                   free_at_ms=now_ms)]


def claim_effect(conn: Connection, *, audit_id: int, owner: str, now_ms: int,
                 lease_ms: int = CLAIM_LEASE_MS) -> bool:
    """The outbox's claim step: True if `owner` (one bot process) now holds the lease on
    pending effect `audit_id` and should deliver it; False if it was delivered already or
    another process holds an unexpired lease. Commit before sending, so others see it."""
    return audit_repo.claim(conn, audit_id=audit_id, owner=owner, now_ms=now_ms,
                            lease_ms=lease_ms)


def release_effect(conn: Connection, *, audit_id: int, owner: str) -> None:
    """Put a claimed effect back undelivered (a rate limit's "retry later"): the next
    flush of any process takes it."""
    audit_repo.release(conn, audit_id=audit_id, owner=owner)


def process_owner() -> str:
    """A name for one bot process in `claimed_by`: host, pid and a random suffix (two
    runners in one process, as in tests, are two owners)."""
    import os
    import socket
    import uuid

    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def reason_of_bot_message(conn: Connection, *, community_id: int, message_id: str) -> str | None:
    """Why the bot sent platform message `message_id` ("O1 welcome"…), None if it did not."""
    return audit_repo.delivered_reason(conn, community_id=community_id, detail=message_id)
