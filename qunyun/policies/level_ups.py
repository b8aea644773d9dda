"""T3 level-ups in the bot: the one call every policy that raises a member's points makes
right after (scoring, onboarding's introduction, check-ins, homework, calendar tasks,
ambassadors' newcomers, `!加分`), so a level crossed is announced whatever raised it.

The rule (once per level, the higher of two crossed at once) is the service's
(`services/level_ups.py`); here is where the post goes: the group the points were earned
in, or — for points earned in a DM, such as an ambassador credited by a newcomer's
`!邀请码` — the group the member is in now.
"""

from __future__ import annotations

from datetime import datetime

from qunyun.effects import Effect
from qunyun.events import GroupRef
from qunyun.pipeline.context import Context
from qunyun.policies.base import Setup
from qunyun.services import level_ups, lookup


def level_up(setup: Setup, ctx: Context, *, member_id: int, gained: int, group: GroupRef,
             at: datetime, policy: str, total: int | None = None) -> list[Effect]:
    """The congratulation for the level `gained` points just took the member to, if any
    (`total`: the member's points now, when known)."""
    if gained <= 0 or not setup.plan.bot.announce_level_up:
        return []
    where: GroupRef | None = group
    if setup.is_direct(group):
        home = level_ups.home_group(ctx.conn, community_id=ctx.community_id,
                                    member_id=member_id)
        where = home[1] if isinstance(home, tuple) else None
    if where is None:
        return []  # in no group the bot can post in: nobody would read it
    up = level_ups.reached(ctx.conn, community_id=ctx.community_id, member_id=member_id,
                           levels=setup.plan.points.levels, gained=gained,
                           at_ms=int(at.timestamp() * 1000), total=total)
    member = lookup.member_ref(ctx.conn, member_id=member_id) if up is not None else None
    if up is None or member is None:
        return []
    return [level_ups.announcement(member, up, where, policy=policy)]
