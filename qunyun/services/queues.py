"""Queue use cases: open items (bot, analytics refresh) and resolve them (console, CLI), audited.

Resolving is the operator acting: it goes through here so it is always in the audit log
with the operator's name and reason (R3 equal treatment needs that trail).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from qunyun.services import audit
from qunyun.storage.work import queues as queue_repo

RESOLUTIONS = {"done", "dismissed", "exempted", "approved", "open"}


def now_ms() -> int:
    return int(time.time() * 1000)


def open_item(
    conn: Connection, *, community_id: int, queue: str, item_key: str, title: str,
    detail: Mapping[str, Any], member_id: int | None = None, group_id: int | None = None,
    at_ms: int | None = None,
) -> tuple[int, bool]:
    """Idempotent: an item with the same key is refreshed (new evidence and the title
    written from it), not duplicated; a decided item keeps what it was decided on."""
    ts = at_ms if at_ms is not None else now_ms()
    item_id, created = queue_repo.open_item(
        conn, community_id=community_id, queue=queue, item_key=item_key, title=title,
        detail=detail, now_ms=ts, member_id=member_id, group_id=group_id,
    )
    if not created:
        existing = queue_repo.get_item(conn, item_id=item_id)
        if existing and existing["status"] == "open":
            queue_repo.refresh_detail(conn, item_id=item_id, title=title, detail=detail,
                                      now_ms=ts)
    return item_id, created


def item_by_key(conn: Connection, *, community_id: int, queue: str, item_key: str
                ) -> dict[str, Any] | None:
    """The item with this key (any status), or None."""
    return queue_repo.by_key(conn, community_id=community_id, queue=queue, item_key=item_key)


class QueueError(ValueError):
    """The requested resolution is not possible (unknown item, wrong community, bad status)."""


def resolve_item(
    conn: Connection, *, community_id: int, item_id: int, operator: str, status: str,
    reason: str,
) -> dict[str, Any]:
    """Close (or reopen) an item as `operator`; recorded in the audit log."""
    if status not in RESOLUTIONS:
        raise QueueError(f"unknown resolution {status!r}")
    item = queue_repo.get_item(conn, item_id=item_id)
    if item is None or item["community_id"] != community_id:
        raise QueueError(f"no item {item_id} in this community")
    queue_repo.set_status(conn, item_id=item_id, status=status, resolved_by=operator,
                          resolution=reason, now_ms=now_ms())
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator, action=f"{item['queue']}:{status}",
        reason=reason or status, evidence={"item": item_id, "title": item["title"]},
        member_id=item["member_id"], group_id=item["group_id"],
    )
    updated = queue_repo.get_item(conn, item_id=item_id)
    assert updated is not None
    return updated


def opened_since(conn: Connection, *, community_id: int, queue: str, member_id: int,
                 group_id: int | None, since_ms: int) -> int:
    """How many open items of `queue` about the member in that group were opened since
    `since_ms` (R5: a member already told their question went to a teacher)."""
    return sum(1 for item in queue_repo.list_items(conn, community_id=community_id, queue=queue,
                                                   member_id=member_id, limit=20)
               if item["group_id"] == group_id and int(item["created_ms"]) >= since_ms)
