"""The schedule's ledger (issue 14), wired first: a schedule tick records its slot here.

In the tick's own transaction it records the slot (`sent`/`late`), the slots passed over
while the bot was down (`missed`, audited) and moves the entry's cursor, then lets the
kind's handler (calendar, campaign, sweep …) run. A tick that only moves the cursor, or
one that became stale (its slot skipped meanwhile), stops here: no handler sees it.
"""

from __future__ import annotations

from qunyun.events import Event, TimerFired
from qunyun.pipeline.context import Context
from qunyun.pipeline.policy import Verdict
from qunyun.policies.base import ms
from qunyun.services import schedule as schedule_service


class ScheduleLedger:
    name = "schedule"
    handles = (TimerFired,)

    def handle(self, event: Event, ctx: Context) -> Verdict | None:
        if not isinstance(event, TimerFired) or event.source != schedule_service.SOURCE:
            return None  # probe ticks (onboarding, warnings, welcome) keep their own state
        tick = schedule_service.record_tick(ctx.conn, community_id=ctx.community_id,
                                            event=event, now_ms=ms(ctx.now))
        return None if tick is not None else Verdict.halt()
