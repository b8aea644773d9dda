"""Staff roster: records each group's moderators as the adapter sees them, so the report
and the console know the room's admins as the bot does (`services.staff`).

Wired first: it never stops an event. It writes when a group's moderators differ from
what this process last recorded (once per group after a start, then on changes), and
reads the stored row again every `RECHECK_MS` so that a write lost with a rolled-back
transaction is made good soon, without a query on every event.
"""

from __future__ import annotations

from qunyun.events import Event, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import Setup, ms
from qunyun.services import staff as staff_service

RECHECK_MS = 10 * 60_000


class StaffRoster:
    name = "staff"

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        # group id → (the moderators recorded, when the stored row was last compared)
        self.recorded: dict[int, tuple[frozenset[str], int]] = {}

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        group = event.group
        if isinstance(event, TimerFired) or ctx.group_id is None or group.kind != "group" \
                or self.setup.is_direct(group):
            # A timer is not news from the room: after a restart it may fire before the
            # adapter has read the room's moderators (Telegram reads them on a chat's
            # first update), and recording that empty view would put admins back in.
            return None
        now = frozenset(self.setup.room_admins(group))
        at = ms(event.at)
        seen = self.recorded.get(ctx.group_id)
        if seen is not None and seen[0] == now and abs(at - seen[1]) < RECHECK_MS:
            return None
        if seen is None or seen[0] != now or staff_service.recorded_moderators(
                ctx.conn, group_id=ctx.group_id) != now:
            staff_service.record_moderators(ctx.conn, group_id=ctx.group_id,
                                            external_ids=now, now_ms=at)
        self.recorded[ctx.group_id] = (now, at)
        return None
