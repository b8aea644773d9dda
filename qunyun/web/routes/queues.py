"""Work queues (T2, R4, E3, R3, R5): list items, and resolve them through
`qunyun.services.queues` (audited with the operator's name). Viewers only read.

The report's items open by themselves whenever a report is built (`web/reports.py`); a
queue page whose report is out of date starts a rebuild in the background. An empty queue
says why it is empty; resolving an item also updates the counter cards (HTMX out-of-band).
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import admission as admission_service
from qunyun.services import appeals as appeal_service
from qunyun.services import escalation_reply, reach
from qunyun.services import queues as queue_service
from qunyun.services.report_queues import open_from_report
from qunyun.storage.console import members as console_members
from qunyun.storage.console import queues as console_queues
from qunyun.storage.engine import writing
from qunyun.storage.work import queues as queue_repo
from qunyun.web.deps import Ctx, NotFound, community_for
from qunyun.web.ids import Count, DbId, Offset
from qunyun.web.render import page
from qunyun.web.texts import translate

router = APIRouter()

# The decisions that make sense in each queue (all are valid resolutions for the service).
CHOICES: dict[str, tuple[str, ...]] = {
    "todo": ("done", "dismissed"),
    "suspect": ("done", "exempted", "dismissed"),
    "elimination": ("approved", "exempted"),
    "appeal": ("approved", "dismissed"),
    "escalation": ("done", "dismissed"),
    "revival": ("approved", "dismissed"),  # E2: approved → the bot invites them back
    "post_todo": ("done", "dismissed"),  # A1: the owner posted it (or chose not to)
    "join_request": ("approved", "dismissed"),  # G1: the bot approves / rejects with the reason
    "group_todo": ("done", "dismissed"),  # G4: the operator opened the next group (or not)
    "dm_todo": ("done", "dismissed"),  # R2/R3/O2: the operator sent the DM by hand (or not)
    "group_invite": ("approved", "dismissed"),  # issue 11 #58: the bot joins the room or not
}
REPLY_ERRORS = ("decided", "empty", "long", "no_message", "no_bot")
STATUSES = ("open", "done", "dismissed", "exempted", "approved")
PAGE = 100


@router.get("/c/{slug}/queues")
def queue_list(request: Request, slug: str, queue: str = "", status: str = "open",
               offset: Offset = 0, created: Count = None, replied: str = "",
               reply_error: str = "") -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    if queue and queue not in CHOICES:
        raise NotFound
    offset = max(0, offset)
    with ctx.engine.connect() as conn:
        items, total = console_queues.page(conn, community_id=cid, queue=queue or None,
                                           status=status if status in STATUSES else None,
                                           offset=offset, limit=PAGE)
        counts = queue_repo.count_open(conn, community_id=cid)
        names = console_members.names_of(
            conn, member_ids=sorted({i["member_id"] for i in items if i["member_id"]}))
        unreachable = _unreachable(conn, cid, items)
    reports = request.app.state.reports
    if reports.available and not reports.is_fresh(cid):
        reports.warm([cid])  # new events or a new plan: the queues catch up in the background
    empty = None if items else _empty_reason(ctx, request, found, queue, status)
    return page(ctx, "queues.html", community=found, items=items, counts=counts, queue=queue,
                status=status, statuses=STATUSES, choices=CHOICES, names=names,
                unreachable=unreachable, total=total, offset=offset, page_size=PAGE,
                analytics=reports.available, empty_reason=empty,
                notice=translate("reply.queued", ctx.lang) if replied else
                None if created is None else translate("refreshed", ctx.lang, n=created),
                reply_error=translate(f"reply.error.{reply_error}", ctx.lang)
                if reply_error in REPLY_ERRORS else "")


def _unreachable(conn: Any, cid: int, items: list[dict[str, Any]]) -> dict[int, str]:
    """Elimination items whose member no bot of the community can reach or remove (an
    imported Telegram member under a Matrix bot), by item id → the member's platform."""
    ids = {int(i["member_id"]) for i in items if i["queue"] == "elimination"
           and i["member_id"]}
    if not ids:
        return {}
    far = reach.unreachable_members(conn, community_id=cid, member_ids=ids)
    return {int(i["id"]): far[int(i["member_id"])] for i in items
            if i["queue"] == "elimination" and i["member_id"] and int(i["member_id"]) in far}


def _empty_reason(ctx: Ctx, request: Request, found: dict[str, Any], queue: str,
                  status: str) -> str:
    """Why a queue shows nothing, in words: no report yet, nothing in it, no rule…"""
    lang = ctx.lang
    if status in STATUSES and status != "open":
        return translate("queue_empty.status", lang, status=translate(f"status.{status}", lang))
    if queue in ("appeal", "escalation", "join_request", "dm_todo", "group_invite", "revival",
                 "post_todo", "group_todo"):  # the bot's queues: where their items come from
        return translate(f"queue_empty.{queue}", lang)
    reports = request.app.state.reports
    if not reports.available:
        return translate("queue_empty.no_analytics", lang)
    report = reports.peek(int(found["id"]))
    if report is None:
        return translate("queue_empty.building", lang)
    if queue == "elimination" and not (report.get("elimination") or {}).get("criteria"):
        return translate("queue_empty.no_rule", lang)
    if not queue:
        return translate("queue_empty.open", lang) + " " + translate(
            "queue_empty.report", lang, as_of=str(report.get("as_of") or "")[:16].replace("T", " "))
    source = translate(f"queue_from.{queue}", lang)
    prefix = "" if source == f"queue_from.{queue}" else source + " "
    return prefix + translate("queue_empty.report", lang,
                              as_of=str(report.get("as_of") or "")[:16].replace("T", " "))


@router.post("/c/{slug}/queues/refresh")
def refresh(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    report = request.app.state.reports.get(cid)
    created = 0
    if report is not None:
        with writing(ctx.engine) as conn:
            created = open_from_report(conn, community_id=cid, report=report,
                                       operator=operator.username)
    return RedirectResponse(f"/c/{slug}/queues?created={created}", status_code=303)


@router.post("/c/{slug}/queues/{item_id}/reply")
def reply(request: Request, slug: str, item_id: DbId,
          text: Annotated[str, Form()] = "") -> Response:
    """R5: the operator's (edited) draft sent as the bot's reply to the member's message,
    through the outbox (issue 11 #55); the item is closed as done with what was sent."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with writing(ctx.engine) as conn:
        try:
            escalation_reply.send(conn, community_id=cid, item_id=item_id,
                                  operator=operator.username, text=text)
        except queue_service.QueueError:
            raise NotFound from None
        except escalation_reply.ReplyError as exc:
            query = urlencode({"queue": "escalation", "reply_error": exc.code})
            return RedirectResponse(f"/c/{slug}/queues?{query}", status_code=303)
    return RedirectResponse(f"/c/{slug}/queues?queue=escalation&replied=1", status_code=303)


@router.post("/c/{slug}/queues/{item_id}")
def resolve(
    request: Request, slug: str, item_id: DbId, resolution: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with writing(ctx.engine) as conn:
        try:
            current = queue_repo.get_item(conn, item_id=item_id)
            if current is not None and current["queue"] == "appeal" \
                    and resolution in ("approved", "dismissed"):
                # R3: a decision on an appeal acts (warnings, re-invite, the member told).
                item = appeal_service.decide(conn, community_id=cid, item_id=item_id,
                                             operator=operator.username,
                                             approve=resolution == "approved",
                                             reason=reason.strip()[:500]).item
            elif current is not None and current["queue"] == "join_request" \
                    and resolution in ("approved", "dismissed"):
                # G1: the decision goes to the platform (the reason is what they are told).
                item = admission_service.decide(conn, community_id=cid, item_id=item_id,
                                                operator=operator.username,
                                                approve=resolution == "approved",
                                                reason=reason.strip()[:500])
            else:
                item = queue_service.resolve_item(conn, community_id=cid, item_id=item_id,
                                                  operator=operator.username,
                                                  status=resolution, reason=reason.strip()[:500])
        except queue_service.QueueError:
            raise NotFound from None
        unreachable = _unreachable(conn, cid, [item])
        if item["queue"] == "elimination" and item["status"] == "approved" \
                and item["id"] in unreachable:
            # Issue 11 #54: no bot can remove them; the removal is the operator's to-do.
            reach.removal_by_hand(conn, community_id=cid, item=item,
                                  platform=unreachable[item["id"]],
                                  operator=operator.username, now_ms=int(time.time() * 1000))
        names = console_members.names_of(
            conn, member_ids=[item["member_id"]] if item["member_id"] else [])
        counts = queue_repo.count_open(conn, community_id=cid)
    if request.headers.get("hx-request"):
        # The row, and the counter cards out of band, for the list the operator is on.
        shown = parse_qs(urlsplit(request.headers.get("hx-current-url") or "").query)
        return page(ctx, "queue_resolved.html", community=found, i=item, choices=CHOICES,
                    names=names, counts=counts, unreachable=unreachable,
                    queue=(shown.get("queue") or [""])[0],
                    status=(shown.get("status") or ["open"])[0])
    return RedirectResponse(f"/c/{slug}/queues?queue={item['queue']}", status_code=303)
