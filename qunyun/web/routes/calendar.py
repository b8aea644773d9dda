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
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.plan.model import Plan
from qunyun.report.words import group_names
from qunyun.services import calendar as calendar_service
from qunyun.services import campaigns
from qunyun.services import plans as plan_service
from qunyun.services import schedule as schedule_service
from qunyun.storage.console import overview as console_overview
from qunyun.storage.engine import writing
from qunyun.storage.schedule import entries as entry_repo
from qunyun.web.deps import Ctx, NotFound, community_for
from qunyun.web.ids import DbId, FormFlag, OptionalFormId, SlotForm, SlotQuery
from qunyun.web.render import page
from qunyun.web.texts import translate

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
    # The target list names groups the way the overview does (two of one name told apart).
    names = group_names(groups)
    target_groups = [{"external_id": g["external_id"], "name": g["name"],
                      "label": names[int(g["id"])]} for g in groups]
    days: dict[dt.date, list[dict[str, Any]]] = {
        first + dt.timedelta(days=i): [] for i in range((last - first).days + 1)}
    now_ms = _now_ms()
    for o in occurrences:
        local = dt.datetime.fromtimestamp(o.slot_ms / 1000, tz=tz)
        days.setdefault(local.date(), []).append({
            "entry": o.entry, "slot_ms": o.slot_ms, "time": local.strftime("%H:%M"),
            "status": o.status or ("due" if o.slot_ms <= now_ms else "planned"),
            "future": o.slot_ms > now_ms})
    plan_posts = len(plan.calendar.posts) if plan else 0
    synced = sum(1 for e in entries if e["origin"] == "plan")
    step = dt.timedelta(days=7) if view == "week" else dt.timedelta(days=31)
    month_anchor = shown.replace(day=15)
    return page(ctx, "calendar.html", status_code, community=found, view=view, days=days,
                entries=entries, shown=shown, today=today, statuses=STATUSES,
                target_groups=target_groups,
                prev=(month_anchor - step if view == "month" else shown - step).isoformat(),
                next=(month_anchor + step if view == "month" else shown + step).isoformat(),
                needs_sync=plan is not None and (plan_posts or plan.calendar.campaigns)
                and synced == 0, month=shown.month, error=error,
                weekdays=WEEKDAYS_ZH if ctx.lang != "en" else WEEKDAYS_EN)


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
        first = dt.date.fromisoformat(day) if day else None
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
          view: Annotated[str, Form()] = "week", day: Annotated[str, Form()] = "") -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    try:
        with writing(ctx.engine) as conn:
            schedule_service.set_paused(conn, community_id=int(found["id"]), entry_id=entry_id,
                                        paused=bool(paused), operator=operator.username,
                                        now_ms=_now_ms())
    except LookupError:
        raise NotFound from None
    return _back(slug, view, day)


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
    with ctx.engine.connect() as conn:
        entry = entry_repo.get(conn, entry_id=entry_id)
        if entry is None or entry["community_id"] != cid:
            raise NotFound
        shown = calendar_service.preview(conn, community_id=cid, plan=plan, entry=entry,
                                         slot_ms=slot or entry["next_ms"] or _now_ms())
    template = "calendar_preview.html"
    return page(ctx, template, community=found, entry=entry, shown=shown,
                fragment=bool(request.headers.get("hx-request")))
