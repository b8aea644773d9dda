"""Repository and tables: volunteers (T4), what they did, and their duty pings.

`growth_volunteers` is one row per member ever invited: the state (invited → accepted or
declined; accepted → retired), the role, the timestamps of each step and why they were
picked. A declined or retired member keeps the row, so the bot never invites them again
on its own. `growth_volunteer_actions` keeps each privileged action a volunteer took (a
warning, a deletion, an escalation answered) for their figures; the audit log has the
same action with the volunteer as actor. `growth_duty_pings` is an R5 escalation sent to
the on-duty volunteer and when they answered it (their response time).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    case,
    func,
    select,
)

from qunyun.storage.tables import events, metadata

volunteers = Table(
    "growth_volunteers",
    metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),  # invited | accepted | declined | retired
    Column("role", String(80), nullable=True),
    Column("invited_ms", BigInteger, nullable=False),
    Column("invited_by", String(120), nullable=False),  # "bot" or the operator
    Column("answered_ms", BigInteger, nullable=True),  # accepted or declined
    Column("retired_ms", BigInteger, nullable=True),
    Column("retired_by", String(120), nullable=True),
    Column("why", Text, nullable=False),  # the numbers that made them a candidate
)

volunteer_actions = Table(
    "growth_volunteer_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),  # the volunteer
    Column("action", String(40), nullable=False),  # warn | delete | escalation
    Column("target_member_id", Integer, nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_growth_volunteer_actions_member", "community_id", "member_id", "at_ms"),
)

duty_pings = Table(
    "growth_duty_pings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, nullable=False),  # the volunteer on duty
    Column("item_key", String(200), nullable=False),  # the escalation's queue item
    Column("group_id", Integer, nullable=True),
    Column("pinged_ms", BigInteger, nullable=False),
    Column("answered_ms", BigInteger, nullable=True),
    Index("ix_growth_duty_pings_open", "community_id", "member_id", "answered_ms"),
)


def all_of(conn: Connection, *, community_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(volunteers).where(volunteers.c.community_id == community_id)
                        .order_by(volunteers.c.invited_ms, volunteers.c.member_id)).mappings()
    return [dict(r) for r in rows]


def one(conn: Connection, *, community_id: int, member_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(volunteers).where(
        volunteers.c.community_id == community_id,
        volunteers.c.member_id == member_id)).mappings().first()
    return dict(row) if row else None


def accepted_ids(conn: Connection, *, community_id: int) -> set[int]:
    return {int(m) for (m,) in conn.execute(select(volunteers.c.member_id).where(
        volunteers.c.community_id == community_id, volunteers.c.state == "accepted"))}


def invite(conn: Connection, *, community_id: int, member_id: int, role: str | None,
           at_ms: int, by: str, why: str) -> None:
    """A new invitation; a member invited again (by an operator) starts over."""
    values = {"state": "invited", "role": role, "invited_ms": at_ms, "invited_by": by,
              "answered_ms": None, "retired_ms": None, "retired_by": None, "why": why}
    done = conn.execute(volunteers.update().where(
        volunteers.c.community_id == community_id,
        volunteers.c.member_id == member_id).values(**values))
    if not done.rowcount:
        conn.execute(volunteers.insert().values(community_id=community_id,
                                                member_id=member_id, **values))


def set_state(conn: Connection, *, community_id: int, member_id: int, state: str,
              at_ms: int, role: str | None = None, by: str | None = None) -> None:
    values: dict[str, Any] = {"state": state}
    if state in ("accepted", "declined"):
        values["answered_ms"] = at_ms
    if state == "retired":
        values["retired_ms"] = at_ms
        values["retired_by"] = by
    if role is not None:
        values["role"] = role
    conn.execute(volunteers.update().where(volunteers.c.community_id == community_id,
                                           volunteers.c.member_id == member_id).values(**values))


def add_action(conn: Connection, *, community_id: int, member_id: int, action: str,
               target_member_id: int | None, at_ms: int, detail: dict[str, Any]) -> None:
    conn.execute(volunteer_actions.insert().values(
        community_id=community_id, member_id=member_id, action=action,
        target_member_id=target_member_id, at_ms=at_ms, detail=detail))


def action_counts(conn: Connection, *, community_id: int) -> dict[int, dict[str, int]]:
    rows = conn.execute(select(volunteer_actions.c.member_id, volunteer_actions.c.action,
                               func.count()).where(volunteer_actions.c.community_id == community_id)
                        .group_by(volunteer_actions.c.member_id, volunteer_actions.c.action))
    out: dict[int, dict[str, int]] = {}
    for member_id, action, n in rows:
        out.setdefault(int(member_id), {})[str(action)] = int(n)
    return out


def add_ping(conn: Connection, *, community_id: int, member_id: int, item_key: str,
             group_id: int | None, at_ms: int) -> None:
    conn.execute(duty_pings.insert().values(community_id=community_id, member_id=member_id,
                                            item_key=item_key, group_id=group_id,
                                            pinged_ms=at_ms))


def open_pings(conn: Connection, *, community_id: int, member_id: int,
               group_id: int | None) -> list[dict[str, Any]]:
    rows = conn.execute(select(duty_pings).where(
        duty_pings.c.community_id == community_id, duty_pings.c.member_id == member_id,
        duty_pings.c.answered_ms.is_(None), duty_pings.c.group_id == group_id)
        .order_by(duty_pings.c.id)).mappings()
    return [dict(r) for r in rows]


def answer_ping(conn: Connection, *, ping_id: int, at_ms: int) -> None:
    conn.execute(duty_pings.update().where(duty_pings.c.id == ping_id)
                 .values(answered_ms=at_ms))


def ping_figures(conn: Connection, *, community_id: int) -> dict[int, dict[str, Any]]:
    """Per volunteer: pings received, answered, and the mean answer time in ms."""
    answered = duty_pings.c.answered_ms.is_not(None)
    rows = conn.execute(select(
        duty_pings.c.member_id, func.count(), func.count().filter(answered),
        func.avg(duty_pings.c.answered_ms - duty_pings.c.pinged_ms).filter(answered))
        .where(duty_pings.c.community_id == community_id).group_by(duty_pings.c.member_id))
    return {int(m): {"pings": int(n), "answered": int(a),
                     "mean_ms": float(avg) if avg is not None else None}
            for m, n, a, avg in rows}


def last_messages(conn: Connection, *, member_ids: list[int]) -> dict[int, int]:
    """Each member's last message anywhere (ms), for the inactivity rule."""
    if not member_ids:
        return {}
    rows = conn.execute(select(events.c.member_id, func.max(events.c.ts_ms)).where(
        events.c.member_id.in_(member_ids), events.c.kind == "message")
        .group_by(events.c.member_id))
    return {int(m): int(t) for m, t in rows if t is not None}


def open_ping_members(conn: Connection, *, community_id: int) -> set[int]:
    return {int(m) for (m,) in conn.execute(select(duty_pings.c.member_id).distinct().where(
        duty_pings.c.community_id == community_id, duty_pings.c.answered_ms.is_(None)))}


def activity_of(conn: Connection, *, member_ids: list[int], day_starts_ms: list[int],
                until_ms: int) -> dict[int, tuple[int, int, int]]:
    """Per member: messages and distinct local days with a message in the window whose
    days start at `day_starts_ms` (oldest first, each a local midnight) up to `until_ms`,
    and members brought (all time), as the report counts them
    (`analytics.tiers.member_stats`)."""
    if not member_ids or not day_starts_ms:
        return {}
    # Each message's day is the last day start at or before it: exact across a DST change,
    # where a fixed offset would put a message near midnight into a 31st day.
    day = case(*[(events.c.ts_ms >= start, n)
                 for n, start in reversed(list(enumerate(day_starts_ms)))], else_=-1)
    said = {int(m): (int(n), int(d)) for m, n, d in conn.execute(
        select(events.c.member_id, func.count(), func.count(func.distinct(day)))
        .where(events.c.member_id.in_(member_ids), events.c.kind == "message",
               events.c.ts_ms >= day_starts_ms[0], events.c.ts_ms <= until_ms)
        .group_by(events.c.member_id))}
    brought = {int(m): int(n) for m, n in conn.execute(
        select(events.c.related_member_id, func.count(func.distinct(events.c.member_id)))
        .where(events.c.related_member_id.in_(member_ids), events.c.kind == "join",
               events.c.member_id != events.c.related_member_id)
        .group_by(events.c.related_member_id))}
    return {m: (*said.get(m, (0, 0)), brought.get(m, 0)) for m in member_ids}
