"""Where a word meant for one member goes: their DM when a bot of the community can start
one with them (`services/reach.py`, the platform's capabilities), else the group.

A checklist step, a vote recorded: one line per member in the group drowned it (issue 11
walk12 findings 8, 10, 19); what the whole group needs to read (a welcome, a poll's result)
stays public.
"""

from __future__ import annotations

from qunyun.events import GroupRef
from qunyun.pipeline.context import Context
from qunyun.policies.base import Setup
from qunyun.services import reach


def dm_group(setup: Setup, ctx: Context, group: GroupRef,
             member_id: int | None = None) -> GroupRef | None:
    """The group a DM to the member (the event's, by default) goes through; None when no
    bot of the community can write to them first."""
    member_id = ctx.member_id if member_id is None else member_id
    if member_id is None:
        return None
    route = reach.dm_route(ctx.conn, community_id=ctx.community_id, member_id=member_id,
                           prefer=group, serves=setup.serves)
    if not isinstance(route, reach.Route):
        return None
    caps = setup.capabilities_for(route.group)
    return route.group if caps.direct_message and caps.dm_without_start else None
