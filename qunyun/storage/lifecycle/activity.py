"""Repository: the numbers an elimination sweep judges a group's members by.

One aggregate query per group over the event log (indexed by group and time): every
active member with when they joined, their last message, and their messages and distinct
days with a message inside the cycle; plus how many members each one brought (E2
referrals).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, cast, func, select

from qunyun.domain.elimination import MemberActivity
from qunyun.storage.tables import events, identities, memberships


def group_members(conn: Connection, *, group_id: int, since_ms: int,
                  day_offset_ms: int) -> list[MemberActivity]:
    """Active members of a group; a local day is `(ts + offset) // 1 day`."""
    day = cast((events.c.ts_ms + day_offset_ms) / 86_400_000, BigInteger)
    msgs = (select(events.c.member_id,
                   func.max(events.c.ts_ms).label("last_ms"),
                   func.count().filter(events.c.ts_ms >= since_ms).label("n"),
                   func.count(func.distinct(day)).filter(events.c.ts_ms >= since_ms)
                   .label("days"))
            .where(events.c.group_id == group_id, events.c.kind == "message",
                   events.c.member_id.is_not(None))
            .group_by(events.c.member_id).subquery())
    rows = conn.execute(
        select(memberships.c.member_id, memberships.c.joined_ms, msgs.c.last_ms, msgs.c.n,
               msgs.c.days)
        .join(msgs, msgs.c.member_id == memberships.c.member_id, isouter=True)
        .where(memberships.c.group_id == group_id, memberships.c.active.is_(True))
        .order_by(memberships.c.member_id)).all()
    ids: dict[int, list[str]] = {}
    if rows:
        for mid, ext in conn.execute(select(identities.c.member_id, identities.c.external_id)
                                     .where(identities.c.member_id.in_([r[0] for r in rows]))):
            ids.setdefault(int(mid), []).append(str(ext))
    return [MemberActivity(member_id=int(r[0]), external_ids=tuple(ids.get(int(r[0]), ())),
                           joined_ms=r[1], last_message_ms=r[2], cycle_messages=int(r[3] or 0),
                           cycle_days=int(r[4] or 0)) for r in rows]


def referrals(conn: Connection, *, member_id: int) -> int:
    """Members this member brought in (joins that name them as the inviter)."""
    return int(conn.execute(select(func.count(func.distinct(events.c.member_id))).where(
        events.c.kind == "join", events.c.related_member_id == member_id)).scalar_one())
