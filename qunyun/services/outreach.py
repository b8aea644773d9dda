"""The bot's own DMs to members (T2, T4): one weekly limit for all of them, and buddies.

Every DM the bot starts on its own — a volunteer or ambassador invitation, a tier nudge, a
buddy introduction, a thank-you on retirement — asks `may_dm` first and is noted with
`note_dm`, so no member gets more than the plan's `tier_actions.dm_per_week` (default 2) in
any seven days, whichever feature sends them; an operator's from the console too
(`operator_dm`). Replies to a member's own message are not counted, nor
are duty pings to a volunteer on duty (they asked for those by accepting).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from qunyun.effects import DirectMessage
from qunyun.plan.model import Plan
from qunyun.services import audit, lookup, queues, reach
from qunyun.storage.growth import outreach as repo

WEEK_MS = 7 * 86_400_000
DEFAULT_PER_WEEK = 2


def per_week(plan: Plan) -> int:
    return plan.tier_actions.dm_per_week if plan.tier_actions else DEFAULT_PER_WEEK


def may_dm(conn: Connection, *, community_id: int, member_id: int, plan: Plan,
           now_ms: int) -> bool:
    """Whether the bot may start one more DM with the member now (the weekly limit)."""
    sent = repo.dms_since(conn, community_id=community_id, member_id=member_id,
                          since_ms=now_ms - WEEK_MS)
    return sent < per_week(plan)


def take_dm(conn: Connection, *, community_id: int, member_id: int, plan: Plan, kind: str,
            now_ms: int) -> bool:
    """`may_dm`, and if so count this DM against the limit; False: do not send it."""
    if not may_dm(conn, community_id=community_id, member_id=member_id, plan=plan,
                  now_ms=now_ms):
        return False
    repo.note_dm(conn, community_id=community_id, member_id=member_id, kind=kind, at_ms=now_ms)
    return True


QUEUED, OVER_LIMIT = "queued", "limit"


def operator_dm(conn: Connection, *, community_id: int, member_id: int, plan: Plan, text: str,
                reason: str, kind: str, operator: str, policy: str, now_ms: int,
                todo: str) -> str:
    """A DM an operator starts from the console (an invitation, a thank-you): counted
    against the weekly limit and queued in the bot's outbox as the operator's effect,
    through a group on the member's own platform. Returns `QUEUED`, `OVER_LIMIT` (not sent,
    the operator is told), or — for a member no bot of the community can reach (issue 11
    #68: an imported Telegram member under a Matrix bot) — the words of the operator to-do
    opened instead (`todo` says what the operator should do, the draft is the text)."""
    route = reach.dm_route(conn, community_id=community_id, member_id=member_id)
    if route is None:
        return OVER_LIMIT
    if isinstance(route, str):
        why = reach.unreachable_text(route)
        name = lookup.display_names(conn, member_ids=[member_id]).get(member_id)
        queues.open_item(conn, community_id=community_id, queue="todo",
                         item_key=f"{policy}-dm:{kind}:{member_id}:{now_ms}",
                         title=f"{name or '成员'}：{todo}（{why}）",
                         detail={"draft": text, "why": why}, member_id=member_id,
                         at_ms=now_ms)
        return why
    if not take_dm(conn, community_id=community_id, member_id=member_id, plan=plan, kind=kind,
                   now_ms=now_ms):
        return OVER_LIMIT
    group_id = route.group_id
    if group_id is None:
        group_id = next((gid for gid, g in lookup.community_groups(
            conn, community_id=community_id) if g == route.group), None)
    audit.record_operator_effect(
        conn, DirectMessage(group=route.group, member=route.member, text=text, reason=reason,
                            policy=policy),
        community_id=community_id, operator=operator, member_id=member_id, group_id=group_id,
        at_ms=now_ms)
    return QUEUED


def buddy_of(conn: Connection, *, community_id: int, member_id: int) -> int | None:
    return repo.buddy_of(conn, community_id=community_id, member_id=member_id)


def pick_buddy(conn: Connection, *, community_id: int, candidates: list[int]) -> int | None:
    """The candidate introduced to the fewest newcomers so far (ties: the first)."""
    if not candidates:
        return None
    loads = repo.buddy_loads(conn, community_id=community_id)
    return min(candidates, key=lambda m: (loads.get(m, 0), candidates.index(m)))


def pair(conn: Connection, *, community_id: int, member_id: int, buddy_member_id: int,
         now_ms: int) -> None:
    repo.add_buddy(conn, community_id=community_id, member_id=member_id,
                   buddy_member_id=buddy_member_id, at_ms=now_ms)


def tier_changes_at(conn: Connection, *, community_id: int, at_ms: int) -> list[dict[str, Any]]:
    return repo.tier_changes_at(conn, community_id=community_id, at_ms=at_ms)


def first_joined(conn: Connection, *, member_ids: list[int]) -> dict[int, int]:
    return repo.first_joined(conn, member_ids=member_ids)
