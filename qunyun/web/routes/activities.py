"""A5 events and H3 what drove activity in the console: each event with its attendance
(registered, waiting, checked in, walk-ins, against expected), rating and feedback, and
the last seven days' content ranked by how far it lifted the group. Read-only."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qunyun.analytics import drivers
from qunyun.services import activities as activity_service
from qunyun.services import plans as plan_service
from qunyun.web.deps import community_for
from qunyun.web.render import page

router = APIRouter()


@router.get("/c/{slug}/activities")
def activity_list(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    now = int(time.time() * 1000)
    with ctx.engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        tz = plan.bot.timezone if plan is not None else "Asia/Shanghai"
        rows = activity_service.for_console(conn, community_id=cid, plan=plan, lang=ctx.lang)
        top = drivers.top_content(conn, community_id=cid, since_ms=now - 7 * 86_400_000,
                                  until_ms=now, tz=tz, limit=10)
    # The console's one date format (`when`: 2026-12-03 15:12 UTC+8) like every other page;
    # the bot's sentence form (2026 年 3 月 21 日) is for its messages (issue 11 #36).
    # Upcoming (and under way) soonest first, then the past ones latest first.
    upcoming = [r for r in rows if int(r.get("ends_ms") or r["starts_ms"]) >= now]
    past = [r for r in reversed(rows) if int(r.get("ends_ms") or r["starts_ms"]) < now]
    return page(ctx, "activities.html", community=found, upcoming=upcoming, past=past, top=top)
