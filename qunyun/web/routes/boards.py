"""T3 in the console: the leaderboards page (排行榜) and the member page's grant form.

The page switches period (week, month, season — this one or an earlier one — all time) and
board (total, participation, contribution) with plain links; ranks are dense, names link
to member 360, and a season shows its name and dates. Admins (the plan's `bot.admins`)
are off the boards as in the group. The grant form posts here: the grant is audited with
the operator's name and told to the member in their group like `!加分` (with the level it
reached); the member page then says where they were told, or why they were not. A refused
grant shows the member page again with the reason and the operator's input kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.domain.periods import (
    PERIODS,
    Period,
    Season,
    local_date,
    period,
    season,
    season_on,
    season_period,
)
from qunyun.plan.model import Plan, Seasons
from qunyun.services import boards as board_service
from qunyun.services import level_ups, staff
from qunyun.services import plans as plan_service
from qunyun.storage.console import members as console_members
from qunyun.storage.engine import writing
from qunyun.web import reason_words
from qunyun.web.deps import NotFound, community_for
from qunyun.web.ids import DbId
from qunyun.web.render import page
from qunyun.web.routes.members import member_view

router = APIRouter()
DEFAULT_TZ = "Asia/Shanghai"
SHOWN = 100


def _span(plan: Plan | None, seasons: Seasons | None, kind: str, season_n: int | None,
          now: datetime) -> Period | None:
    """The period to show; None when a season is asked for and there is none."""
    tz = plan.bot.timezone if plan is not None else DEFAULT_TZ
    if kind == "season" and season_n is not None and seasons is not None:
        picked = season(seasons, season_n)
        return season_period(picked, tz) if picked is not None else None
    try:
        return period(kind, now, tz, seasons)
    except board_service.NoSeason:
        return None


@router.get("/c/{slug}/boards")
def boards_page(request: Request, slug: str,
                period_kind: Annotated[str, Query(alias="period")] = "week",
                board: str = "total",
                season_n: Annotated[int | None, Query(alias="season", ge=1, le=10_000)] = None,
                ) -> Response:
    ctx, found = community_for(request, slug)
    if period_kind not in PERIODS or board not in board_service.BOARDS:
        raise NotFound
    cid = int(found["id"])
    now = datetime.now(UTC)
    with ctx.engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        seasons_cfg = board_service.seasons_of(conn, community_id=cid, plan=plan) \
            if plan is not None else None
        span = _span(plan, seasons_cfg, period_kind, season_n, now)
        exclude = staff.off_growth(conn, community_id=cid, plan=plan) if plan is not None \
            else set()
        shown = board_service.board_for(conn, community_id=cid, span=span, which=board,
                                        exclude=exclude) if span is not None else None
    current = season_on(seasons_cfg, local_date(now, plan.bot.timezone)) \
        if plan is not None else None
    seasons = [s for s in (season(seasons_cfg, n) for n in range(1, current.n + 1))
               if s is not None] if seasons_cfg is not None and current else []
    default_name = Seasons.model_fields["name"].default

    def season_label(s: Season) -> str:
        """The plan's name for a season; the default pattern (第{n}季) in English reads
        "Season 3" (a name the plan chose stays as written)."""
        named = seasons_cfg is not None and seasons_cfg.name != default_name
        return s.name if ctx.lang != "en" or named else f"Season {s.n}"

    return page(ctx, "boards.html", community=found, period_kind=period_kind, board=board,
                season_label=season_label,
                span=span, shown=shown, entries=shown.entries[:SHOWN] if shown else [],
                periods=PERIODS, boards=board_service.BOARDS, seasons=seasons,
                current_season=current, season_n=season_n,
                has_seasons=plan is not None and plan.seasons is not None)


@router.post("/c/{slug}/members/{member_id}/points")
def grant_points(request: Request, slug: str, member_id: DbId,
                 direction: Annotated[str, Form()] = "grant",
                 points: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "",
                 ledger: Annotated[str, Form()] = "") -> Response:
    """T3: an operator grants (or deducts) points with a reason, audited with their name."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    error = None
    with writing(ctx.engine) as conn:
        if console_members.member_in(conn, community_id=cid, member_id=member_id) is None:
            raise NotFound
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        amount = int(points) if points.strip().isdigit() else 0
        if direction not in ("grant", "deduct"):
            raise NotFound
        try:
            if plan is None:
                raise board_service.GrantError("社群还没有计划，无法加减分")
            if amount <= 0:
                raise board_service.GrantError("请填写大于 0 的整数分数")
            if member_id in staff.off_growth(conn, community_id=cid, plan=plan):
                raise board_service.GrantError("管理员不参与积分排行，不能给管理员加减分")
            now = datetime.now(UTC)
            done = board_service.grant(conn, community_id=cid, member_id=member_id,
                                       points=amount if direction == "grant" else -amount,
                                       reason=reason, by=operator.username, plan=plan,
                                       at=now, ledger=ledger or None)
            # The member hears of it in their group, as of `!加分` (issue 11 walk13 #58).
            told = level_ups.tell_grant(conn, community_id=cid, granted=done, plan=plan,
                                        operator=operator.username,
                                        at_ms=int(now.timestamp() * 1000))
        except board_service.GrantError as exc:
            error = reason_words.message(str(exc), ctx.lang)
    if error is None:
        query = urlencode({"granted": 1, "told": told.where or "", "untold": told.why or "",
                           "platform": told.platform or "", "level": told.level or ""})
        return RedirectResponse(f"/c/{slug}/members/{member_id}?{query}#member-points",
                                status_code=303)
    # Shown again with the reason and what was typed, nothing lost.
    return member_view(request, slug, member_id, status_code=422, grant_error=error,
                       grant_form={"direction": direction, "points": points,
                                   "reason": reason, "ledger": ledger})
