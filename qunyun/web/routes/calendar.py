"""The content calendar (A1): a week or month of the community's schedule — calendar posts
and campaign days with what each slot did (sent / late / missed / skipped / failed) or
will do — and the operator's actions: add and edit a console post, pause or resume an
entry, skip one occurrence (or take the skip back), preview a post's text.

Every change goes through `qunyun.services.schedule` / `qunyun.services.calendar` and is
audited. Plan posts are edited in the plan editor; here they can be paused and skipped.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection

from qunyun.capabilities import of_platform
from qunyun.plan.model import Plan
from qunyun.report.words import group_names
from qunyun.services import activities as activity_service
from qunyun.services import calendar as calendar_service
from qunyun.services import campaigns, lookup, question_wait, reach
from qunyun.services import plans as plan_service
from qunyun.services import schedule as schedule_service
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.storage.schedule import entries as entry_repo
from qunyun.web import calendar_rows
from qunyun.web.deps import Ctx, NotFound, community_for
from qunyun.web.ids import DbId, FormFlag, OptionalFormId, SlotForm, SlotQuery
from qunyun.web.render import page
from qunyun.web.texts import TEXTS, translate

router = APIRouter()
KINDS = (calendar_service.POST, campaigns.KIND)
DEFAULT_TZ = "Asia/Shanghai"
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATUSES = ("sent", "late", "missed", "skipped", "failed")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _plan(ctx: Ctx, cid: int) -> Plan | None:
    with ctx.engine.connect() as conn:
        return plan_service.stored_plan(conn, community_id=cid)[1]


def _window(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """[first, last] day shown: a Monday-to-Sunday week, or the month's weeks."""
    if view == "month":
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        last = nxt - dt.timedelta(days=1)
        return start, last + dt.timedelta(days=6 - last.weekday())
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


ERRORS = ("bad_date", "past_slot")


@router.get("/c/{slug}/calendar")
def calendar_page(request: Request, slug: str, view: str = "week", day: str = "",
                  error: str = "") -> Response:
    ctx, found = community_for(request, slug)
    # Only known codes come through the address; a message from a form is rendered directly.
    return _render(ctx, found, view, day, error=translate(f"calendar.{error}", ctx.lang)
                   if error in ERRORS else "")


def _reach_line(plan: Plan | None, groups: list[dict[str, Any]], names: dict[int, str],
                botless: set[str], lang: str) -> str:
    """Which groups the calendar's posts reach (issue 11 #35): those the bot posts to, those
    whose owner gets a to-do (the platform cannot post), and those on a platform with no
    bot of the community, which get nothing. Empty when every group has a bot."""
    history = [names[int(g["id"])] for g in groups if g.get("imported")]
    if not botless and not history:
        return ""
    admin = plan.bot.admin_room if plan else None
    audience = [g for g in groups if (not admin or admin not in (g["name"], g["external_id"]))
                and not g.get("imported")]
    sep = ", " if lang == "en" else "、"
    far = [names[int(g["id"])] for g in audience if g["platform"] in botless]
    todo = [names[int(g["id"])] for g in audience if g["platform"] not in botless
            and not of_platform(str(g["platform"])).post_in_group]
    near = [names[int(g["id"])] for g in audience if g["platform"] not in botless
            and of_platform(str(g["platform"])).post_in_group]
    parts = [translate("calendar.reach_ok", lang, names=sep.join(near))] if near else []
    if todo:
        parts.append(translate("calendar.reach_todo", lang, names=sep.join(todo)))
    if far:
        parts.append(translate("calendar.reach_none", lang, names=sep.join(far)))
    if history:
        parts.append(translate("calendar.reach_history", lang, names=sep.join(history)))
    return " ".join(parts)


def _render(ctx: Ctx, found: dict[str, Any], view: str, day: str, *, error: str = "",
            status_code: int = 200) -> Response:
    cid = int(found["id"])
    plan = _plan(ctx, cid)
    tz = ZoneInfo(plan.bot.timezone if plan else DEFAULT_TZ)
    view = "month" if view == "month" else "week"
    today = dt.datetime.now(tz).date()
    try:
        shown = dt.date.fromisoformat(day) if day else today
    except ValueError:
        shown = today
    first, last = _window(view, shown)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=tz)
    with ctx.engine.connect() as conn:
        occurrences = schedule_service.occurrences(conn, community_id=cid, start=start,
                                                   end=end, kinds=KINDS)
        entries = [e for e in entry_repo.of_community(conn, community_id=cid, kinds=KINDS)
                   if not e["retired"] and not (e["origin"] == "system" and e["next_ms"] is None)]
        groups = console_overview.groups_with_counts(conn, community_id=cid)
        botless = reach.botless_platforms(conn, community_id=cid,
                                          platforms=[str(g["platform"]) for g in groups])
        # The schedule's other timed jobs (sweep, weekly report, event steps …), read-only
        # here: when each runs next and how its last run went.
        # Event steps are left out: each event occurrence is in the grid on its day instead
        # (a monthly series would otherwise list five reminders per month here); so are
        # the R5 waits on questions to the members (each lives a few minutes).
        jobs = [e for e in entry_repo.of_community(conn, community_id=cid)
                if e["kind"] not in (*KINDS, activity_service.STEP, question_wait.KIND)
                and not e["retired"]
                and e["next_ms"] is not None]
        events = [r for r in activity_service.for_console(conn, community_id=cid, plan=plan,
                                                          lang=ctx.lang)
                  if start.timestamp() * 1000 <= int(r["starts_ms"]) <= end.timestamp() * 1000]
        last_runs = entry_repo.last_slots(conn, entry_ids=[int(e["id"]) for e in jobs])
        member_ids = sorted({int(m) for e in [*entries, *(o.entry for o in occurrences)]
                             if str(m := (e["payload"] or {}).get("member", "")).isdigit()})
        member_names = lookup.display_names(conn, member_ids=member_ids)
    # The target list names groups the way the overview does (two of one name told apart).
    names = group_names(groups, ctx.lang)
    target_groups = [{"external_id": g["external_id"], "name": g["name"],
                      "label": names[int(g["id"])]} for g in groups]
    reach_line = _reach_line(plan, groups, names, botless, ctx.lang)
    en = ctx.lang == "en"
    unknown_member = "a member" if en else "一位成员"
    days: dict[dt.date, list[dict[str, Any]]] = {
        first + dt.timedelta(days=i): [] for i in range((last - first).days + 1)}
    now_ms = _now_ms()
    for o in occurrences:
        local = dt.datetime.fromtimestamp(o.slot_ms / 1000, tz=tz)
        days.setdefault(local.date(), []).append({
            "entry": o.entry, "slot_ms": o.slot_ms, "time": local.strftime("%H:%M"),
            "status": o.status or ("paused" if o.entry["paused"] else
                                   "due" if o.slot_ms <= now_ms else "planned"),
            "future": o.slot_ms > now_ms})
    # A5: each event occurrence on its day, with who registered and who came.
    day_events: dict[dt.date, list[dict[str, Any]]] = {}
    for r in events:
        local = dt.datetime.fromtimestamp(int(r["starts_ms"]) / 1000, tz=tz)
        day_events.setdefault(local.date(), []).append({**r, "time": local.strftime("%H:%M")})
    grid = {d: calendar_rows.grid_items(items, plan=plan, member_names=member_names,
                                        unknown_member=unknown_member)
            for d, items in days.items()}
    rows = calendar_rows.entry_rows(
        entries, plan=plan, member_names=member_names, group_names=names,
        posts_to={int(e["id"]): _posts_to(plan, e, groups, names, en) for e in entries},
        all_groups=translate("calendar.all_groups_named", ctx.lang),
        audience={int(g["id"]): names[int(g["id"])] for g in groups if not g.get("imported")},
        unknown_member=unknown_member, sep=", " if en else "、")
    plan_posts = len(plan.calendar.posts) if plan else 0
    synced = sum(1 for e in entries if e["origin"] == "plan")
    step = dt.timedelta(days=7) if view == "week" else dt.timedelta(days=31)
    month_anchor = shown.replace(day=15)
    zone = str(tz)
    job_rows = [{"title": translate(f"calendar.job.{e['kind']}", ctx.lang)
                 if f"calendar.job.{e['kind']}" in TEXTS else str(e["title"]),
                 "rule": e["rule"], "paused": bool(e["paused"]), "next_ms": e["next_ms"],
                 "last": last_runs.get(int(e["id"]))} for e in jobs]
    return page(ctx, "calendar.html", status_code, community=found, view=view, days=grid,
                reach_line=reach_line, rows=rows, jobs=job_rows, day_events=day_events,
                shown=shown, today=today,
                statuses=STATUSES,
                zone=calendar_rows.zone_label(zone, ctx.lang),
                local=lambda ms: calendar_rows.local_text(ms, zone),
                target_groups=target_groups,
                prev=(month_anchor - step if view == "month" else shown - step).isoformat(),
                next=(month_anchor + step if view == "month" else shown + step).isoformat(),
                needs_sync=plan is not None and (plan_posts or plan.calendar.campaigns)
                and synced == 0, month=shown.month, error=error,
                weekdays=WEEKDAYS_ZH if ctx.lang != "en" else WEEKDAYS_EN)


def _posts_to(plan: Plan | None, entry: Mapping[str, Any], groups: list[dict[str, Any]],
              names: Mapping[int, str], en: bool) -> str | None:
    """The group a post names (plan `group:` or the console's choice), by its name as the
    overview shows it; None for every group."""
    content = calendar_service.content_of(plan, entry["payload"] or {}) \
        if entry["kind"] == calendar_service.POST else None
    wanted = content.group if content is not None else None
    if not wanted:
        return None
    found = next((names[int(g["id"])] for g in groups
                  if wanted in (g["name"], g["external_id"])), None)
    # The bot finds no such group and records the post as failed: say so here already.
    return found or (f"{wanted} (no such group)" if en else f"{wanted}（没有这个群）")


def _back(slug: str, view: str, day: str, error: str = "") -> Response:
    suffix = f"&error={error}" if error else ""
    return RedirectResponse(f"/c/{slug}/calendar?view={view}&day={day}{suffix}",
                            status_code=303)


@router.post("/c/{slug}/calendar/sync")
def sync(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    ctx.require("edit_plan")
    cid = int(found["id"])
    plan = _plan(ctx, cid)
    if plan is not None:
        with writing(ctx.engine) as conn:
            calendar_service.sync_from_plan(conn, community_id=cid, plan=plan, now_ms=_now_ms())
    return _back(slug, "week", "")


def _typed_day(day: str) -> dt.date | None:
    """The day typed in the form: 2026-01-31, 2026-1-31, 2026/1/31 or 2026.1.31."""
    typed = day.strip().replace("/", "-").replace(".", "-")
    return dt.datetime.strptime(typed, "%Y-%m-%d").date() if typed else None


@router.post("/c/{slug}/calendar/add")
def add(request: Request, slug: str, text: Annotated[str, Form()],
        title: Annotated[str, Form()] = "", at: Annotated[str, Form()] = "08:00",
        every: Annotated[str, Form()] = "", weekdays: Annotated[list[str] | None, Form()] = None,
        day: Annotated[str, Form()] = "", group: Annotated[str, Form()] = "",
        image: Annotated[str, Form()] = "", link: Annotated[str, Form()] = "",
        entry: OptionalFormId = None) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("edit_plan")
    cid = int(found["id"])
    plan = _plan(ctx, cid)
    try:
        first = _typed_day(day)
    except ValueError:
        return _back(slug, "week", "", error="bad_date")
    form = calendar_service.PostForm(
        title=title, text=text.replace("\r\n", "\n"), at=at.strip(), every=every.strip(),
        # The form's 周一…周日 boxes (one value each); a script may send "tue,thu".
        weekdays=tuple(w for ticked in weekdays or () for w in
                       ticked.replace("，", ",").replace(" ", ",").split(",") if w),
        day=first, group=group, image=image, link=link)
    try:
        with writing(ctx.engine) as conn:
            calendar_service.save_console_post(
                conn, community_id=cid, form=form, tz=plan.bot.timezone if plan else DEFAULT_TZ,
                catch_up=plan.calendar.catch_up_minutes if plan else 60,
                operator=operator.username, now_ms=_now_ms(), entry_id=entry)
    except calendar_service.CalendarError as exc:
        return _render(ctx, found, "week", day, error=exc.zh if ctx.lang != "en" else str(exc),
                       status_code=400)
    return _back(slug, "week", day)


@router.post("/c/{slug}/calendar/{entry_id}/pause")
def pause(request: Request, slug: str, entry_id: DbId, paused: FormFlag,
          view: Annotated[str, Form()] = "week", day: Annotated[str, Form()] = "",
          member_days: FormFlag = 0) -> Response:
    """Pause or resume an entry; with `member_days`, every remaining day of the member's
    campaign the entry is one of (the folded row of a join-relative camp)."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    try:
        with writing(ctx.engine) as conn:
            ids = [entry_id]
            if member_days:
                ids = _member_days(conn, cid, entry_id) or ids
            for one in ids:
                schedule_service.set_paused(conn, community_id=cid, entry_id=one,
                                            paused=bool(paused), operator=operator.username,
                                            now_ms=_now_ms())
    except LookupError:
        raise NotFound from None
    return _back(slug, view, day)


def _member_days(conn: Connection, cid: int, entry_id: int) -> list[int]:
    """The entry's member's remaining days of the same campaign (itself included)."""
    entry = entry_repo.get(conn, entry_id=entry_id)
    payload = (entry or {}).get("payload") or {}
    if entry is None or entry["community_id"] != cid or "member" not in payload:
        return []
    return [int(e["id"]) for e in entry_repo.of_community(conn, community_id=cid,
                                                         kinds=[campaigns.KIND])
            if not e["retired"] and e["next_ms"] is not None
            and (e["payload"] or {}).get("member") == payload["member"]
            and (e["payload"] or {}).get("campaign") == payload.get("campaign")]


@router.post("/c/{slug}/calendar/{entry_id}/skip")
def skip(request: Request, slug: str, entry_id: DbId, slot: SlotForm,
         undo: FormFlag = 0, view: Annotated[str, Form()] = "week",
         day: Annotated[str, Form()] = "") -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    now_ms = _now_ms()
    if slot <= now_ms:
        return _back(slug, view, day, error="past_slot")
    try:
        with writing(ctx.engine) as conn:
            schedule_service.skip_slot(conn, community_id=int(found["id"]), entry_id=entry_id,
                                       slot_ms=slot, operator=operator.username, now_ms=now_ms,
                                       undo=bool(undo))
    except LookupError:
        raise NotFound from None
    return _back(slug, view, day)


@router.get("/c/{slug}/calendar/{entry_id}/preview")
def preview(request: Request, slug: str, entry_id: DbId, slot: SlotQuery = 0) -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    plan = _plan(ctx, cid)
    now_ms = _now_ms()
    with ctx.engine.connect() as conn:
        entry = entry_repo.get(conn, entry_id=entry_id)
        if entry is None or entry["community_id"] != cid or entry["kind"] not in KINDS:
            raise NotFound
        # Without a slot: the next one, or for an entry that has run its course the last
        # one that went out (a member's camp day 1 yesterday), not an invented "now".
        slot_ms = slot or entry["next_ms"] or entry_repo.last_fired(
            conn, entry_id=entry_id) or now_ms
        shown = calendar_service.preview(conn, community_id=cid, plan=plan, entry=entry,
                                         slot_ms=slot_ms, now_ms=now_ms)
        every = console_overview.groups_with_counts(conn, community_id=cid)
        names = group_names(every, ctx.lang)
        # Issue 11 #35: a group on a platform with no bot of the community gets nothing.
        botless = reach.botless_platforms(conn, community_id=cid,
                                          platforms=[str(g["platform"]) for g in every])
        unposted = {int(g["id"]) for g in every if g["platform"] in botless}
    zone = plan.bot.timezone if plan else str(entry["tz"] or DEFAULT_TZ)
    day = (entry["payload"] or {}).get("day")
    title = (f"{calendar_rows.campaign_name(plan, entry)} · "
             + translate("calendar.camp_member_day", ctx.lang, day=day)
             if entry["kind"] == campaigns.KIND and day is not None else str(entry["title"]))
    return page(ctx, "calendar_preview.html", community=found, entry=entry, shown=shown,
                title=title, slot_text=calendar_rows.local_text(slot_ms, zone),
                zone=calendar_rows.zone_label(zone, ctx.lang), group_names=names,
                unposted=unposted, sample_words=[translate(f"calendar.var.{v}", ctx.lang)
                              for v in (shown.samples if shown else ())],
                fragment=bool(request.headers.get("hx-request")))
