"""Member pages: search, and the 360 view of one member (identities, nickname history,
attributes, tier and its reasons, points, warnings, actions taken, onboarding, invites)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qunyun.plan.model import Plan
from qunyun.report.words import group_names, group_title
from qunyun.services import ambassadors as ambassador_service
from qunyun.services import badges as badge_service
from qunyun.services import elimination as elimination_service
from qunyun.services import growth as growth_service
from qunyun.services import onboarding as onboarding_service
from qunyun.services import plans as plan_service
from qunyun.services import points as point_service
from qunyun.services import reach, tier_roles
from qunyun.services import sales as sale_service
from qunyun.services import staff as staff_service
from qunyun.services import volunteers as volunteer_service
from qunyun.services import warnings as warning_service
from qunyun.storage.bot import onboarding as bot_onboarding
from qunyun.storage.community import members as member_repo
from qunyun.storage.console import audit as console_audit
from qunyun.storage.console import members as console_members
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.storage.work import queues as queue_repo
from qunyun.web import labels, warning_words
from qunyun.web.deps import NotFound, community_for
from qunyun.web.ids import DbId, Offset, QueryId
from qunyun.web.render import community_zone, page

router = APIRouter()
PAGE = 50


@router.get("/c/{slug}/members")
def member_list(request: Request, slug: str, q: str = "", offset: Offset = 0,
                standing: str = "current", group: QueryId = None) -> Response:
    """The people of the community: those in it now by default, those who left on their
    own filter (each row says 已退群 and when), both under 全部 (issue 11 walk finding 27).
    The counts are the home page's 当前成员 / 已离开 / 累计成员, live."""
    ctx, found = community_for(request, slug)
    offset = max(0, offset)
    if standing not in console_members.STANDINGS:
        standing = "current"
    with ctx.engine.connect() as conn:
        in_group = None
        if group is not None:  # one group's people (the group page links here)
            in_group = console_overview.group_of(conn, community_id=int(found["id"]),
                                                 group_id=group)
            if in_group is None or in_group.get("kind") != "group":
                raise NotFound
            names = group_names(console_overview.groups_with_counts(
                conn, community_id=int(found["id"])))
            in_group = {**in_group, "title": names.get(group) or group_title(in_group,
                                                                             ctx.lang)}
        rows, total = console_members.search(conn, community_id=int(found["id"]), text=q.strip(),
                                             offset=offset, limit=PAGE, standing=standing,
                                             group_id=group)
        counts = console_members.standing_counts(conn, community_id=int(found["id"]),
                                                 group_id=group)
    report = request.app.state.reports.peek(int(found["id"]))
    tiers = request.app.state.report_indexes.of(int(found["id"]), report).members
    days = ((report or {}).get("tier_thresholds") or {}).get("window_days", 30)
    return page(ctx, "members.html", community=found, rows=rows, total=total, q=q,
                offset=offset, page_size=PAGE, tiers=tiers, standing=standing,
                counts=counts, tier_days=days, report_as_of=(report or {}).get("as_of"),
                in_group=in_group)


def _named(conn: Connection, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    rows = rows or []
    names = console_members.names_of(conn, member_ids=[r["related_member_id"] for r in rows])
    return [{**r, "display_name": names.get(r["related_member_id"]), "ts_ms": None}
            for r in rows]  # the report gives the time as text (`at`)


def _changes(history: list[dict[str, Any]],
             rooms: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The nickname history as changes, oldest first: `old` → `nickname` (no `old`: the
    first name seen). First seen once per platform account: a second group of the same
    platform showing the name already known adds nothing, one showing another name reads
    as a change there. A name seen again (a restart reads the room's member state anew)
    is not a change. Names in the member's DM with the bot or the admins' room are not
    the community's nickname (a Matrix name is per room: 李四 in the DM while the group
    knows 李四-上海-财务) and are left out while a group shows one (issue 11 walk 45)."""
    def kind(row: dict[str, Any]) -> str:
        room = rooms.get(row["group_id"]) if row.get("group_id") is not None else None
        return str(room["kind"]) if room else "group"

    in_groups = [r for r in history if kind(r) == "group"]
    rows = in_groups or history
    last: dict[int | None, str] = {}
    latest: dict[str | None, str] = {}  # per platform: the name last shown
    out: list[dict[str, Any]] = []
    for row in rows:
        group_id = row.get("group_id")
        room = rooms.get(group_id) if group_id is not None else None
        platform = str(room["platform"]) if room else None
        name = row["nickname"]
        before = last.get(group_id)
        if before is None:
            before = latest.get(platform)
        last[group_id] = name
        if before == name:
            continue
        latest[platform] = name
        out.append({**row, "old": before,
                    "group_name": room.get("name") if room and room["kind"] == "group" else None})
    return out


def _attribute_rows(attributes: dict[str, Any], form: dict[str, Any] | None, plan: Plan | None,
                    lang: str) -> list[dict[str, Any]]:
    """The member's attributes with where each came from: a questionnaire answer under its
    question (O2), a part of the nickname under its name (O3). A key both give (the
    python-camp plan reads the city from the nickname and also asks for it) shows the
    answer as answered, and the nickname's value on its own line only where it differs."""
    questions = {q.key: q.question for q in plan.onboarding.form} if plan is not None else {}
    answers = {str(k): v for k, v in ((form or {}).get("answers") or {}).items()}
    rows = [{"label": questions.get(k, labels.attribute_label(k, lang)), "value": v,
             "source": "form"} for k, v in answers.items()]
    rows += [{"label": labels.attribute_label(k, lang), "value": v, "source": "nickname"}
             for k, v in attributes.items() if k not in answers or answers[k] != v]
    return rows


def _onboarding_rows(rows: list[dict[str, Any]], plan: Plan | None) -> list[dict[str, Any]]:
    """Each checklist (one per group, kept across the member's stays in it) with what the
    page shows of it:

    - `returning`: marked done when the member came back (an upheld appeal, an earlier
      stay), not by doing the steps — the page says 「回群成员，不走新人流程」, never ✓ 已完成
      for steps nobody did (issue 11 walk 44);
    - `ended`: the member left that group after the checklist began: nothing in it is
      asked of them now (the bot stopped it on the leave);
    - `earlier`: the steps of a stay that ended — the return's first stay, or the ended
      checklist — with those done and those never done, said as of then, and `since`: the
      steps done after the return.

    A past stay's steps are shown, as that stay's, rather than left out: an operator who
    decides about a member who came back (a second removal, a revival) wants to know the
    newcomer steps were never done the first time. What must not happen is reading them as
    ○ …（未完成） beside the current stay, as if the bot still expected them (issue 11
    walk13)."""
    out = []
    for row in rows:
        if plan is not None:
            missing = onboarding_service.missing_steps(row, plan.onboarding)
        else:
            missing = tuple(s for s in onboarding_service.STEPS if row.get(f"{s}_ms") is None)
        done_at = {row.get(f"{s}_ms") for s in onboarding_service.STEPS} - {None}
        # Done by a step marks it done at that step's time; a plan that later asks for a
        # new step does not turn an earlier completion into a return.
        returning = row.get("completed_ms") is not None and bool(missing) and (
            plan is not None or len(missing) == 3) and row["completed_ms"] not in done_at
        ended = row.get("left_ms") is not None
        # `welcome_back` keeps the first stay's checklist (its join time, its steps) and
        # marks it done at the return: what came before the return is the earlier stay's.
        back_ms = int(row["completed_ms"]) if returning else None
        had_stay = ended or (back_ms is not None and (row.get("joined_ms") or 0) < back_ms)
        earlier = None
        if had_stay:
            earlier = {
                "joined_ms": row.get("joined_ms"),
                "done": [s for s in onboarding_service.STEPS if row.get(f"{s}_ms") is not None
                         and (ended or back_ms is None or row[f"{s}_ms"] < back_ms)],
                "not_done": list(missing),
                "completed": row.get("completed_ms") is not None and not returning,
            }
        since = [s for s in onboarding_service.STEPS if back_ms is not None
                 and row.get(f"{s}_ms") is not None and row[f"{s}_ms"] >= back_ms]
        out.append({**row, "returning": returning, "ended": ended, "earlier": earlier,
                    "since": since})
    return out


@router.get("/c/{slug}/members/{member_id}")
def member_page(request: Request, slug: str, member_id: DbId) -> Response:
    return member_view(request, slug, member_id)


def member_view(request: Request, slug: str, member_id: int, *, status_code: int = 200,
                **extra: Any) -> Response:
    """The 360 page; `extra` is what a refused form shows again (T3 grant form)."""
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    report = request.app.state.reports.peek(cid)
    indexed = request.app.state.report_indexes.of(cid, report)
    with ctx.engine.connect() as conn:
        member = console_members.member_in(conn, community_id=cid, member_id=member_id)
        if member is None:
            raise NotFound
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        levels = plan.points.levels if plan is not None else ()
        invitee_ids = indexed.invitees.get(member_id, [])
        from_report = indexed.inviters_of(member_id)
        view: dict[str, Any] = {
            "member": member,
            "identities": console_members.identities_of(conn, member_id=member_id),
            # A form answer is shown under its question, a nickname part (O3) under its
            # name: never its key ("city"); each says where it came from.
            "attribute_rows": _attribute_rows(member.get("attributes") or {},
                                              bot_onboarding.get_form(conn, member_id=member_id),
                                              plan, ctx.lang),
            "groups": console_members.groups_of(conn, member_id=member_id),
            # 入群 → 被移出（原因）→ 回群, in order (issue 11 #67).
            "stays": console_members.stays_of(conn, member_id=member_id),
            "points": point_service.member_points(conn, member_id, levels=levels),
            # T3: points come from the live bot only; say so where history was imported.
            "imported_messages": point_service.imported_messages(conn, member_id=member_id),
            "plan_levels": plan is not None and "levels" in plan.points.model_fields_set,
            # T3: a badge is explained by the plan's own description, else its rule in words.
            "badge_descriptions": {b.key: b.description for b in plan.badges
                                   if b.description} if plan is not None else {},
            "ledger": point_service.ledger(conn, member_id=member_id, limit=20),
            "warnings": warning_service.warning_history(conn, member_id=member_id, limit=20),
            "actions": console_audit.entries(conn, community_id=cid, member_id=member_id,
                                             limit=30),
            "onboarding": _onboarding_rows(bot_onboarding.of_member(conn, member_id=member_id),
                                           plan),
            "open_items": queue_repo.list_items(conn, community_id=cid, member_id=member_id,
                                                status=None, limit=20),
            "inviters": _named(conn, from_report) if from_report is not None
            else console_members.inviters_of(conn, member_id=member_id),
            "invitees": console_members.names_of(conn, member_ids=invitee_ids),
            "events": console_members.recent_events(conn, member_id=member_id, limit=15),
            "lifecycle": elimination_service.history(conn, member_id=member_id),  # E1/E2
            "held_tier": growth_service.held(conn, community_id=cid, member_id=member_id),
            "tier_history": growth_service.history(conn, member_id=member_id),  # T1
            "tier_choices": growth_service.TIER_CHOICES,
            "badges": badge_service.held(conn, community_id=cid, member_id=member_id),  # T3
            "volunteer": volunteer_service.of_member(conn, community_id=cid,  # T4
                                                     member_id=member_id),
            "ambassador": ambassador_service.of_member(conn, community_id=cid,  # T2 推广大使
                                                       member_id=member_id),
            "tier_role": tier_roles.of_member(conn, community_id=cid,  # T2
                                              member_id=member_id),
            "sales": sale_service.of_member(conn, community_id=cid, member_id=member_id),
        }
        # An admin takes no part in tiers or points (unless the plan says so): the page says
        # that once and offers no tier lock, level bar or grant (issue 11 #33).
        view["staff"] = member_id in staff_service.off_growth(conn, community_id=cid, plan=plan)
        # Warnings the actions name by number, in words: when and why (issue 11 walk 47).
        view["tz"] = community_zone(ctx, found)
        view["warning_words"] = warning_words.described(
            conn, [a.get("evidence") for a in view["actions"]], community_id=cid,
            zone=view["tz"], lang=ctx.lang)
        history = member_repo.nickname_history(conn, member_id=member_id)
        view["nicknames"] = _changes(history, console_members.groups_by_id(
            conn, group_ids=[int(r["group_id"]) for r in history if r["group_id"] is not None]))
        # First seen: the earliest the bot knew them, also from a room's member state (a
        # name read there on start) — the room's creator was there before their first
        # message (issue 11 walk 45).
        view["first_seen_ms"] = min(
            [t for t in [member.get("first_seen_ms")] + [r["at_ms"] for r in history]
             if t is not None], default=None)
        # 最近动态: a leave that was a removal says so (issue 11 walk 46).
        removals = {(s["group_id"], s["ts_ms"]): s.get("by") or "admin"
                    for s in view["stays"] if s["step"] == "removed"}
        view["events"] = [{**e, "removed_by": removals.get((e["group_id"], e["ts_ms"]))
                           if e["kind"] == "leave" else None} for e in view["events"]]
    view["now_ms"] = int(time.time() * 1000)  # a warning past its expiry reads 已失效
    view["report_member"] = indexed.members.get(member_id)
    # The tier line above comes from the cached report, the held tier and its history below
    # from the bot's own assessment: the page says which is which (issue 11 #69).
    view["report_as_of"] = (report or {}).get("as_of")
    # The tier's window beside the all-time count, as on the member list (walk finding 27).
    view["tier_days"] = ((report or {}).get("tier_thresholds") or {}).get("window_days", 30)
    view["grant_ledger"] = plan.points.manual.ledger if plan is not None else "contribution"
    view["level_share"] = point_service.level_share(levels, view["points"].total)  # T3
    view["request_granted"] = request.query_params.get("granted") == "1"
    # Where the member was told of the grant, or why not (`services.level_ups.tell_grant`).
    told = {k: request.query_params.get(k, "")[:200]
            for k in ("told", "untold", "platform", "level")}
    told["platform"] = reach.platform_name(told["platform"], ctx.lang) if told["platform"] \
        else ""
    view["grant_told"] = told
    recomputed = request.query_params.get("recomputed", "")
    view["recomputed"] = int(recomputed) if recomputed.isdigit() else None
    first = request.query_params.get("first", "")
    view["recomputed_first"] = int(first) if first.isdigit() else 0
    view["current_member"] = any(g["active"] for g in view["groups"])
    view["grant_error"], view["grant_form"] = None, None
    view["sale_error"], view["sale_form"] = None, None  # T5
    view["sale_done"] = request.query_params.get("sold") == "1"
    view["revival_filed"] = request.query_params.get("revival") == "1"
    view["revival_error"], view["revival_text"] = None, ""
    return page(ctx, "member.html", status_code, community=found, **{**view, **extra})


@router.post("/c/{slug}/members/{member_id}/tier")
def lock_tier(request: Request, slug: str, member_id: DbId,
              tier: Annotated[str, Form()] = "") -> Response:
    """T1: an operator locks the member's tier (empty: unlock), audited."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with writing(ctx.engine) as conn:
        if console_members.member_in(conn, community_id=cid, member_id=member_id) is None:
            raise NotFound
        if tier and tier not in growth_service.TIER_CHOICES:
            raise NotFound
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
        growth_service.lock(conn, community_id=cid, member_id=member_id, tier=tier or None,
                            operator=operator.username, now_ms=int(time.time() * 1000),
                            plan=plan)
    return RedirectResponse(f"/c/{slug}/members/{member_id}", status_code=303)


@router.post("/c/{slug}/members/{member_id}/revival")
def file_revival(request: Request, slug: str, member_id: DbId,
                 text: Annotated[str, Form()] = "") -> Response:
    """E2: an operator files a removed member's revival application (audited); it waits in
    the 复活申请 queue, and approving it has the bot invite them back."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with writing(ctx.engine) as conn:
        member = console_members.member_in(conn, community_id=cid, member_id=member_id)
        if member is None:
            raise NotFound
        filed = elimination_service.file_for_member(
            conn, community_id=cid, member_id=member_id, text=text, operator=operator.username,
            now_ms=int(time.time() * 1000), name=str(member["display_name"] or member_id))
    if not filed:  # nothing to come back from: say so, keep what was typed
        return member_view(request, slug, member_id, status_code=422,
                           revival_error="revival.none", revival_text=text)
    return RedirectResponse(f"/c/{slug}/members/{member_id}?revival=1#member-lifecycle",
                            status_code=303)


@router.post("/c/{slug}/tiers/recompute")
def recompute_tiers(request: Request, slug: str, back: Annotated[str, Form()] = "") -> Response:
    """T1 on demand: the daily pass now, for every member (nothing is praised from here)."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with ctx.engine.connect() as conn:
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
    target = back if back.startswith(f"/c/{slug}/") else f"/c/{slug}/members"
    if plan is None:  # no plan, no bot: held tiers follow the plan's grace and bar
        return RedirectResponse(target, status_code=303)
    changes = growth_service.recompute(ctx.engine, community_id=cid, plan=plan,
                                       as_of=datetime.now(UTC), operator=operator.username)
    # A member's first tier is not a change (README T1): the two are counted apart.
    first = sum(1 for c in changes if c.direction == "first")
    return RedirectResponse(f"{target}?recomputed={len(changes) - first}&first={first}",
                            status_code=303)
