"""Staff roster: records each group's moderators as the adapter sees them, so the report
and the console know the room's admins as the bot does (`services.staff`).

Wired first: it never stops an event, and writes only when a group's moderators differ
from what this process last recorded (once per group after a start, then on changes).
"""

from __future__ import annotations

from qunyun.events import Event
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms
from qunyun.services import staff as staff_service


class StaffRoster:
    name = "staff"

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.recorded: dict[int, frozenset[str]] = {}

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        group = event.group
        if ctx.group_id is None or group.kind != "group" or self.setup.is_direct(group):
            return None
        now = frozenset(self.setup.room_admins(group))
        if self.recorded.get(ctx.group_id) == now:
            return None
        staff_service.record_moderators(ctx.conn, group_id=ctx.group_id, external_ids=now,
                                        now_ms=ms(event.at))
        self.recorded[ctx.group_id] = now
        return None
