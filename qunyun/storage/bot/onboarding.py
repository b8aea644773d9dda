"""Repository: onboarding checklists per member and group (O2), and member forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from qunyun.storage.bot.tables import bot_member_forms, bot_onboarding
from qunyun.storage.prepared import Prepared, update_by_id
from qunyun.storage.sql import insert_ignore_for

# Read for most messages of new members: compiled once, run on the driver.
_GET = Prepared(select(bot_onboarding).where(
    bot_onboarding.c.member_id == bindparam("mid"), bot_onboarding.c.group_id == bindparam("gid")))


def get(conn: Connection, *, member_id: int, group_id: int) -> dict[str, Any] | None:
    return _GET.first(conn, {"mid": member_id, "gid": group_id})


def of_member(conn: Connection, *, member_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_onboarding).where(bot_onboarding.c.member_id == member_id)
        .order_by(bot_onboarding.c.id)
    ).mappings()
    return [dict(r) for r in rows]


_CHECKLIST = tuple(c.name for c in bot_onboarding.columns if c.name != "id")
_ADD = Prepared(lambda dialect: insert_ignore_for(dialect, bot_onboarding, "member_id",
                                                  "group_id"), keys=_CHECKLIST)


def upsert(conn: Connection, *, row: Mapping[str, Any]) -> None:
    """Create the checklist, or start it over (a member who left and came back)."""
    unknown = set(row) - set(_CHECKLIST)
    if unknown:
        raise ValueError(f"unknown onboarding columns {sorted(unknown)}")
    inserted = _ADD.execute(conn, {key: row.get(key) for key in _CHECKLIST}).rowcount
    if not inserted:
        values = {k: v for k, v in row.items() if k not in ("member_id", "group_id")}
        conn.execute(
            bot_onboarding.update().where(
                bot_onboarding.c.member_id == row["member_id"],
                bot_onboarding.c.group_id == row["group_id"],
            ).values(**values)
        )


def update(conn: Connection, *, row_id: int, values: Mapping[str, Any]) -> None:
    update_by_id(bot_onboarding, list(values)).execute(conn, {**values, "row_id": row_id})


def due(conn: Connection, *, community_id: int, now_ms: int, limit: int = 500
        ) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_onboarding).where(
            bot_onboarding.c.community_id == community_id,
            bot_onboarding.c.next_due_ms.is_not(None),
            bot_onboarding.c.next_due_ms <= now_ms,
        ).order_by(bot_onboarding.c.next_due_ms).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def overdue(conn: Connection, *, community_id: int, now_ms: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(bot_onboarding).where(
            bot_onboarding.c.community_id == community_id,
            bot_onboarding.c.completed_ms.is_(None),
            bot_onboarding.c.left_ms.is_(None),
            bot_onboarding.c.deadline_ms <= now_ms,
        ).order_by(bot_onboarding.c.deadline_ms)
    ).mappings()
    return [dict(r) for r in rows]


_UNWELCOMED = Prepared(select(bot_onboarding).where(
    bot_onboarding.c.group_id == bindparam("gid"), bot_onboarding.c.welcomed_ms.is_(None),
    bot_onboarding.c.left_ms.is_(None),
).order_by(bot_onboarding.c.joined_ms))


def unwelcomed(conn: Connection, *, group_id: int) -> list[dict[str, Any]]:
    return _UNWELCOMED.dicts(conn, {"gid": group_id})


def groups_with_unwelcomed(conn: Connection, *, community_id: int) -> list[tuple[int, int]]:
    """(group id, earliest pending join ms) for groups with newcomers not yet welcomed."""
    rows = conn.execute(
        select(bot_onboarding.c.group_id, func.min(bot_onboarding.c.joined_ms)).where(
            bot_onboarding.c.community_id == community_id,
            bot_onboarding.c.welcomed_ms.is_(None), bot_onboarding.c.left_ms.is_(None),
        ).group_by(bot_onboarding.c.group_id)
    ).all()
    return [(int(g), int(ms)) for g, ms in rows]


_LAST_WELCOME = Prepared(select(func.max(bot_onboarding.c.welcomed_ms))
                         .where(bot_onboarding.c.group_id == bindparam("gid")))


def last_welcome_ms(conn: Connection, *, group_id: int) -> int | None:
    value = _LAST_WELCOME.scalar(conn, {"gid": group_id})
    return int(value) if value is not None else None


# -- member forms ---------------------------------------------------------------------------
_FORM = Prepared(select(bot_member_forms).where(bot_member_forms.c.member_id == bindparam("mid")))
_FORM_KEYS = ("member_id", "community_id", "step", "answers", "started_ms", "done_ms")
_START_FORM = Prepared(lambda dialect: insert_ignore_for(dialect, bot_member_forms, "member_id"),
                       keys=_FORM_KEYS)


def get_form(conn: Connection, *, member_id: int) -> dict[str, Any] | None:
    return _FORM.first(conn, {"mid": member_id})


def start_form(conn: Connection, *, member_id: int, community_id: int, now_ms: int) -> None:
    # A form already started keeps its answers: the form is per member, and a member who
    # joins a second group (or comes back) is not asked from question 1 again.
    _START_FORM.execute(conn, {
        "member_id": member_id, "community_id": community_id, "step": 0, "answers": {},
        "started_ms": now_ms, "done_ms": None})


def save_form(conn: Connection, *, member_id: int, step: int, answers: Mapping[str, Any],
              done_ms: int | None) -> None:
    conn.execute(bot_member_forms.update().where(bot_member_forms.c.member_id == member_id)
                 .values(step=step, answers=dict(answers), done_ms=done_ms))


def completions(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    """Every completed checklist (member, group, when), in the order they completed."""
    rows = conn.execute(
        select(bot_onboarding.c.member_id, bot_onboarding.c.group_id,
               bot_onboarding.c.completed_ms)
        .where(bot_onboarding.c.community_id == community_id,
               bot_onboarding.c.completed_ms.is_not(None))
        .order_by(bot_onboarding.c.completed_ms, bot_onboarding.c.id)).mappings()
    return [dict(r) for r in rows]
