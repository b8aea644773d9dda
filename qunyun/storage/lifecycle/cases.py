"""Repository: elimination cases (E1) and their revival (E2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from qunyun.storage.lifecycle.tables import lifecycle_cases as cases
from qunyun.storage.sql import insert_ignore
from qunyun.storage.tables import work_items

ACTIVE = ("noticed", "removed")
WARNINGS_RULE = "warnings"  # R2's removal at the warning limit (`record_removed`)


def open_case(conn: Connection, *, community_id: int, member_id: int, group_id: int,
              sweep: str, rule: str, reason: str, now_ms: int,
              remove_after_ms: int) -> int | None:
    """A new case, or None if this sweep already opened one for the member."""
    row = conn.execute(insert_ignore(conn, cases, "community_id", "member_id", "group_id",
                                     "sweep").values(
        community_id=community_id, member_id=member_id, group_id=group_id, sweep=sweep,
        rule=rule, reason=reason, status="noticed", noticed_ms=now_ms,
        remove_after_ms=remove_after_ms).returning(cases.c.id)).first()
    return int(row[0]) if row else None


def link_item(conn: Connection, *, case_id: int, item_id: int) -> None:
    conn.execute(cases.update().where(cases.c.id == case_id).values(queue_item_id=item_id))


def active_members(conn: Connection, *, community_id: int) -> set[int]:
    """Members with a case under way (noticed) or removed and not back."""
    rows = conn.execute(select(cases.c.member_id).where(
        cases.c.community_id == community_id, cases.c.status.in_(ACTIVE)))
    return {int(r[0]) for r in rows}


def last_return(conn: Connection, *, community_id: int) -> dict[int, int]:
    """When each member last came back or was kept: silence counts again from there."""
    ended = func.coalesce(cases.c.revived_ms, cases.c.closed_ms)
    rows = conn.execute(select(cases.c.member_id, func.max(ended)).where(
        cases.c.community_id == community_id,
        cases.c.status.in_(("revived", "cancelled", "exempted"))).group_by(cases.c.member_id))
    return {int(r[0]): int(r[1]) for r in rows if r[1] is not None}


def due(conn: Connection, *, community_id: int, now_ms: int, approval_needed: bool,
        limit: int) -> list[dict[str, Any]]:
    """Noticed cases whose notice period is over and that can be decided now: exempted or
    dismissed in the queue (kept), approved (removed), or any when no approval is needed."""
    decided = work_items.c.status.in_(("approved", "exempted", "dismissed", "done"))
    query = (select(cases, work_items.c.status.label("item_status"))
             .join(work_items, work_items.c.id == cases.c.queue_item_id, isouter=True)
             .where(cases.c.community_id == community_id, cases.c.status == "noticed",
                    cases.c.remove_after_ms <= now_ms))
    if approval_needed:
        query = query.where(or_(decided, and_(work_items.c.status.is_(None),
                                              cases.c.queue_item_id.is_(None))))
    rows = conn.execute(query.order_by(cases.c.remove_after_ms, cases.c.id).limit(limit))
    return [dict(r) for r in rows.mappings()]


def close(conn: Connection, *, case_id: int, status: str, now_ms: int) -> None:
    conn.execute(cases.update().where(cases.c.id == case_id, cases.c.status == "noticed")
                 .values(status=status, closed_ms=now_ms))


def record_removed(conn: Connection, *, community_id: int, member_id: int, group_id: int,
                   key: str, rule: str, reason: str, now_ms: int) -> int | None:
    """A removal decided at once (no notice period): a case already `removed`; None when
    this key (the message that reached the warning limit) was recorded already."""
    row = conn.execute(insert_ignore(conn, cases, "community_id", "member_id", "group_id",
                                     "sweep").values(
        community_id=community_id, member_id=member_id, group_id=group_id, sweep=key[:40],
        rule=rule[:40], reason=reason, status="removed", noticed_ms=now_ms,
        remove_after_ms=now_ms, closed_ms=now_ms).returning(cases.c.id)).first()
    return int(row[0]) if row else None


def removed_in_group(conn: Connection, *, community_id: int, member_id: int,
                     group_id: int) -> list[int]:
    """The member's removals from one group not yet revived (ids)."""
    rows = conn.execute(select(cases.c.id).where(
        cases.c.community_id == community_id, cases.c.member_id == member_id,
        cases.c.group_id == group_id, cases.c.status == "removed"))
    return [int(r[0]) for r in rows]


def latest_removed(conn: Connection, *, community_id: int,
                   member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(cases).where(
        cases.c.community_id == community_id, cases.c.member_id == member_id,
        cases.c.status == "removed").order_by(cases.c.closed_ms.desc(), cases.c.id.desc())
        .limit(1)).mappings().first()
    return dict(row) if row else None


def get(conn: Connection, *, case_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
    return dict(row) if row else None


def revive(conn: Connection, *, case_id: int, how: str, now_ms: int) -> bool:
    """Mark a removed case revived; False if it was not (or no longer) removed."""
    result = conn.execute(cases.update().where(cases.c.id == case_id,
                                               cases.c.status == "removed")
                          .values(status="revived", revived_ms=now_ms, revived_how=how))
    return bool(result.rowcount)


def history(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    """Every case of a member, newest first (member 360: removed / revived)."""
    rows = conn.execute(select(cases).where(cases.c.member_id == member_id)
                        .order_by(cases.c.noticed_ms.desc(), cases.c.id.desc()))
    return [dict(r) for r in rows.mappings()]


def counts(conn: Connection, *, community_id: int, since_ms: int) -> dict[str, int]:
    """The sweep's removals and notices, and revivals, since a time (weekly report; the
    removals at the warning limit, rule `warnings`, are counted apart as 违规移出)."""
    removed = conn.execute(select(func.count()).where(
        cases.c.community_id == community_id, cases.c.closed_ms >= since_ms,
        cases.c.status.in_(("removed", "revived")),
        cases.c.rule != WARNINGS_RULE)).scalar_one()
    revived = conn.execute(select(func.count()).where(
        cases.c.community_id == community_id, cases.c.revived_ms >= since_ms)).scalar_one()
    # A removal at the warning limit (rule `warnings`) had no notice period.
    noticed = conn.execute(select(func.count()).where(
        cases.c.community_id == community_id, cases.c.noticed_ms >= since_ms,
        cases.c.rule != WARNINGS_RULE)).scalar_one()
    return {"noticed": int(noticed), "removed": int(removed), "revived": int(revived)}
