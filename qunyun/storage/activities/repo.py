"""Repository: A5 events and their sign-ups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from qunyun.storage.activities.tables import activities, activity_signups
from qunyun.storage.sql import insert_ignore

STEPS = ("announced_ms", "reminded_day_ms", "reminded_hour_ms", "ended_ms", "summary_ms")


def upsert(conn: Connection, *, community_id: int, key: str, name: str, starts_ms: int,
           ends_ms: int, capacity: int | None, expected: int | None,
           detail: Mapping[str, Any], now_ms: int) -> int:
    """The plan's event as a row: created once, its times and fields follow the plan."""
    conn.execute(insert_ignore(conn, activities, "community_id", "key").values(
        community_id=community_id, key=key, name=name, starts_ms=starts_ms, ends_ms=ends_ms,
        capacity=capacity, expected=expected, detail=dict(detail), created_ms=now_ms))
    row = conn.execute(select(activities.c.id, activities.c.starts_ms, activities.c.name,
                              activities.c.ends_ms, activities.c.capacity,
                              activities.c.expected, activities.c.detail).where(
        activities.c.community_id == community_id, activities.c.key == key)).one()
    changed = (row.starts_ms, row.ends_ms, row.name, row.capacity, row.expected,
               row.detail) != (starts_ms, ends_ms, name, capacity, expected, dict(detail))
    if changed:
        conn.execute(activities.update().where(activities.c.id == row.id).values(
            name=name, starts_ms=starts_ms, ends_ms=ends_ms, capacity=capacity,
            expected=expected, detail=dict(detail)))
    return int(row.id)


def of_community(conn: Connection, *, community_id: int,
                 keys: list[str] | None = None) -> list[dict[str, Any]]:
    query = select(activities).where(activities.c.community_id == community_id)
    if keys is not None:
        query = query.where(activities.c.key.in_(keys))
    return [dict(r) for r in conn.execute(query.order_by(activities.c.starts_ms)).mappings()]


def get(conn: Connection, *, activity_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(activities).where(activities.c.id == activity_id)).mappings().first()
    return dict(row) if row else None


def mark(conn: Connection, *, activity_id: int, step: str, now_ms: int) -> bool:
    """Record a step (announced, reminded…) once; False if it was already done."""
    if step not in STEPS:
        raise ValueError(step)
    column = activities.c[step]
    result = conn.execute(activities.update().where(activities.c.id == activity_id,
                                                    column.is_(None)).values({step: now_ms}))
    return bool(result.rowcount)


def signup(conn: Connection, *, activity_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(activity_signups).where(
        activity_signups.c.activity_id == activity_id,
        activity_signups.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None


def count(conn: Connection, *, activity_id: int, status: str) -> int:
    return int(conn.execute(select(func.count()).where(
        activity_signups.c.activity_id == activity_id,
        activity_signups.c.status == status)).scalar_one())


def save_signup(conn: Connection, *, activity_id: int, member_id: int, status: str,
                now_ms: int) -> None:
    """Register, wait-list or cancel (a member's latest choice; the queue order restarts
    on a new registration)."""
    existing = signup(conn, activity_id=activity_id, member_id=member_id)
    if existing is None:
        conn.execute(activity_signups.insert().values(
            activity_id=activity_id, member_id=member_id, status=status,
            registered_ms=now_ms, updated_ms=now_ms))
    else:
        values: dict[str, Any] = {"status": status, "updated_ms": now_ms}
        if existing["status"] == "cancelled":
            values["registered_ms"] = now_ms
        conn.execute(activity_signups.update().where(
            activity_signups.c.id == existing["id"]).values(values))


def first_waiting(conn: Connection, *, activity_id: int) -> int | None:
    value = conn.execute(select(activity_signups.c.member_id).where(
        activity_signups.c.activity_id == activity_id, activity_signups.c.status == "waitlisted")
        .order_by(activity_signups.c.registered_ms, activity_signups.c.id).limit(1)).scalar()
    return int(value) if value is not None else None


def members(conn: Connection, *, activity_id: int, status: str) -> list[int]:
    rows = conn.execute(select(activity_signups.c.member_id).where(
        activity_signups.c.activity_id == activity_id, activity_signups.c.status == status)
        .order_by(activity_signups.c.registered_ms))
    return [int(r[0]) for r in rows]


def check_in(conn: Connection, *, activity_id: int, member_id: int, now_ms: int) -> None:
    conn.execute(activity_signups.update().where(
        activity_signups.c.activity_id == activity_id,
        activity_signups.c.member_id == member_id).values(checked_in_ms=now_ms,
                                                          updated_ms=now_ms))


def feedback(conn: Connection, *, activity_id: int, member_id: int, rating: int, text: str,
             now_ms: int) -> None:
    conn.execute(activity_signups.update().where(
        activity_signups.c.activity_id == activity_id,
        activity_signups.c.member_id == member_id).values(
        rating=rating, feedback=text, feedback_ms=now_ms, updated_ms=now_ms))


def results(conn: Connection, *, activity_id: int) -> dict[str, Any]:
    s = activity_signups
    rows = conn.execute(select(s.c.status, s.c.checked_in_ms, s.c.rating, s.c.feedback)
                        .where(s.c.activity_id == activity_id)
                        .order_by(s.c.feedback_ms)).all()
    ratings = [int(r.rating) for r in rows if r.rating is not None]
    return {
        "registered": sum(1 for r in rows if r.status == "registered"),
        "waitlisted": sum(1 for r in rows if r.status == "waitlisted"),
        "cancelled": sum(1 for r in rows if r.status == "cancelled"),
        "checked_in": sum(1 for r in rows if r.checked_in_ms is not None),
        "walk_ins": sum(1 for r in rows if r.status == "walk_in"),
        "no_shows": sum(1 for r in rows if r.status == "registered" and r.checked_in_ms is None),
        "ratings": len(ratings),
        "rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "feedback": [str(r.feedback) for r in rows if r.feedback][:20],
    }
