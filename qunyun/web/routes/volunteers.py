"""T4 volunteers in the console: the roster (state, role, timestamps, figures), the duty
rota, candidates by the report's measures, and an operator's invite and retire (CSRF forms,
audited; the DM goes out through the bot's outbox under the shared weekly DM limit). The
same page lists the T2 ambassador programme (推广大使): ambassadors and pending
invitations with their codes and the members each brought this month and in total."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qunyun.plan.model import Bot, Plan
from qunyun.services import ambassadors as ambassador_service
from qunyun.services import plans as plan_service
from qunyun.services import reach, staff
from qunyun.services import volunteer_duty as duty
from qunyun.services import volunteers as service
from qunyun.storage.console import members as console_members
from qunyun.storage.engine import writing
from qunyun.web import reason_words
from qunyun.web.deps import NotFound, community_for
from qunyun.web.ids import DbId, FormId
from qunyun.web.render import page

router = APIRouter()


@router.get("/c/{slug}/volunteers")
def volunteer_page(request: Request, slug: str, ok: str = "", error: str = "") -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    report = request.app.state.reports.peek(cid)
    with ctx.engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        rows = service.roster(conn, community_id=cid)
        delivery = service.invitation_delivery(
            conn, community_id=cid, member_ids=[int(r["member_id"]) for r in rows
                                                if r["state"] == "invited"])
        rows = [{**r, "dm": service.delivery_words(delivery.get(int(r["member_id"])))}
                for r in rows]
        view: dict[str, Any] = {"rows": rows, "plan_volunteers": None, "rota": [],
                                "candidates": None, "roles": [], "unreachable": []}
        if plan is not None and plan.volunteers is not None:
            today = datetime.now(ZoneInfo(plan.bot.timezone)).date()
            listed, left_out = _candidates_and_unreachable(conn, cid, plan, report)
            view |= {
                "plan_volunteers": plan.volunteers,
                "roles": [r.name for r in plan.volunteers.roles],
                "rota": duty.rota(conn, community_id=cid, plan=plan, start=today),
                "candidates": listed,
                "unreachable": left_out,
            }
        tz = (plan.bot if plan is not None else Bot()).timezone
        view["ambassadors"] = ambassador_service.roster(conn, community_id=cid, tz=tz,
                                                        now_ms=int(time.time() * 1000))
        view["ambassador_candidates"] = _ambassador_candidates(conn, cid, plan, report)
    view["plan_ambassadors"] = plan.ambassadors if plan is not None else None
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("accepted", "invited")}
    view["ambassador_counts"] = {s: sum(1 for r in view["ambassadors"] if r["state"] == s)
                                 for s in ("accepted", "invited")}
    error = reason_words.message(error, ctx.lang) if error else error
    return page(ctx, "volunteers.html", community=found, counts=counts, ok=ok, error=error,
                **view)


def _candidates(conn: Connection, cid: int, plan: Plan,
                report: dict[str, Any] | None) -> list[Any] | None:
    return _candidates_and_unreachable(conn, cid, plan, report)[0]


def _candidates_and_unreachable(conn: Connection, cid: int, plan: Plan,
                                report: dict[str, Any] | None
                                ) -> tuple[list[Any] | None, list[tuple[str, int]]]:
    """The report's members as the daily pass would rank them (None: no report yet), only
    those a bot of the community can reach (issue 11 #68); and, per platform, how many
    more would qualify but are on a platform with no bot."""
    if not report:
        return None, []
    rows = [{"member_id": int(m["id"]), "name": m.get("name"), "strict": m["tier"],
             "window_messages": m["window_messages"], "active_days": m["active_days"],
             "invited": m["invited"]}
            for m in report.get("members") or [] if m.get("in_community") and m.get("tier")]
    # Admins (the plan's and the groups' moderators, `services.staff`) are never asked.
    exclude = service.taken(conn, community_id=cid) | staff.admins(
        conn, community_id=cid, plan=plan)
    every = service.candidates(rows, plan=plan, exclude=exclude, limit=len(rows))
    ids = [c.member_id for c in every]
    reachable = reach.reachable_ids(conn, community_id=cid, member_ids=ids)
    platforms = reach.member_platforms(conn, member_ids=ids)
    left_out = Counter(platforms.get(c.member_id, "?") for c in every
                       if c.member_id not in reachable)
    return ([c for c in every if c.member_id in reachable][:20],
            sorted(left_out.items()))


def _ambassador_candidates(conn: Connection, cid: int, plan: Plan | None,
                           report: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The report's members in the tier the plan invites to 推广大使 (None: no report or
    no programme), admins and anyone invited before left out."""
    if not report or plan is None or ambassador_service.programme(plan) is None:
        return None
    rows = [{"member_id": int(m["id"]), "name": m.get("name"), "tier": m["tier"],
             "invited": m["invited"]}
            for m in report.get("members") or [] if m.get("in_community") and m.get("tier")]
    exclude = ambassador_service.taken(conn, community_id=cid) | staff.admins(
        conn, community_id=cid, plan=plan)
    return ambassador_service.candidates(rows, plan=plan, exclude=exclude)


def _back(slug: str, **query: str) -> Response:
    from urllib.parse import urlencode

    return RedirectResponse(f"/c/{slug}/volunteers?{urlencode(query)}", status_code=303)


@router.post("/c/{slug}/volunteers/invite")
def invite(request: Request, slug: str, member_id: FormId,
           role: Annotated[str, Form()] = "") -> Response:
    """An operator invites a member by hand; the DM goes through the bot (outbox)."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    now = int(time.time() * 1000)
    with writing(ctx.engine) as conn:
        if console_members.member_in(conn, community_id=cid, member_id=member_id) is None:
            raise NotFound
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        if plan is None:
            return _back(slug, error="没有计划")
        # Keep why they stood out (the candidate's numbers) beside the operator's name.
        listed = _candidates(conn, cid, plan, request.app.state.reports.peek(cid)) \
            if plan.volunteers is not None else None
        why = next((c.why for c in listed or () if c.member_id == member_id), None)
        try:
            sent = service.invite_by_operator(conn, community_id=cid, member_id=member_id,
                                              plan=plan, operator=operator.username,
                                              now_ms=now, role=role or None, why=why)
        except service.VolunteerError as exc:
            return _back(slug, error=str(exc))
    outcome = {service.QUEUED: "invite", service.OVER_LIMIT: "invite_no_dm"}
    return _back(slug, ok=outcome.get(sent, "invite_todo"))


@router.post("/c/{slug}/volunteers/{member_id}/retire")
def retire(request: Request, slug: str, member_id: DbId) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    now = int(time.time() * 1000)
    with writing(ctx.engine) as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        if service.state_of(conn, community_id=cid, member_id=member_id) is None:
            raise NotFound
        try:
            service.retire_by_operator(conn, community_id=cid, member_id=member_id, plan=plan,
                                       operator=operator.username, now_ms=now)
        except service.VolunteerError as exc:
            return _back(slug, error=str(exc))
    return _back(slug, ok="retire")


@router.post("/c/{slug}/volunteers/ambassadors/invite")
def invite_ambassador(request: Request, slug: str, member_id: FormId) -> Response:
    """An operator invites a member to 推广大使 by hand; the DM goes through the bot."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    now = int(time.time() * 1000)
    with writing(ctx.engine) as conn:
        if console_members.member_in(conn, community_id=cid, member_id=member_id) is None:
            raise NotFound
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        if plan is None:
            return _back(slug, error="没有计划")
        try:
            sent = ambassador_service.invite_by_operator(conn, community_id=cid,
                                                         member_id=member_id, plan=plan,
                                                         operator=operator.username,
                                                         now_ms=now)
        except ambassador_service.AmbassadorError as exc:
            return _back(slug, error=str(exc))
    outcome = {service.QUEUED: "amb_invite", service.OVER_LIMIT: "invite_no_dm"}
    return _back(slug, ok=outcome.get(sent, "invite_todo"))
