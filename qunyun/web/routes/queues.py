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
from qunyun.web import labels, times, warning_words
from qunyun.web.deps import Ctx, NotFound, community_for
from qunyun.web.ids import Count, DbId, Offset
from qunyun.web.render import community_zone, page
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
    "removal_todo": ("done", "dismissed"),  # E3: the operator removed them by hand (or not)
    "group_invite": ("approved", "dismissed"),  # issue 11 #58: the bot joins the room or not
}
REPLY_ERRORS = ("decided", "empty", "fill_in", "long", "no_message", "no_bot")
STATUSES = ("open", "done", "dismissed", "exempted", "approved")
PAGE = 100


@router.get("/c/{slug}/queues")
def queue_list(request: Request, slug: str, queue: str = "", status: str = "open",
               offset: Offset = 0, created: Count = None, replied: str = "",
               reply_error: str = "", decide_error: str = "") -> Response:
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
        zone = community_zone(ctx, found)
        already = _already(conn, cid, items, zone, ctx.lang)
        words = warning_words.described(conn, [i["detail"] for i in items], community_id=cid,
                                        zone=zone, lang=ctx.lang)
    reports = request.app.state.reports
    if reports.available and not reports.is_fresh(cid):
        reports.warm([cid])  # new events or a new plan: the queues catch up in the background
    empty = None if items else _empty_reason(ctx, request, found, queue, status)
    report = reports.peek(cid) if reports.available else None
    return page(ctx, "queues.html", community=found, items=items, counts=counts, queue=queue,
                status=status, statuses=STATUSES, choices=CHOICES, names=names,
                unreachable=unreachable, total=total, offset=offset, page_size=PAGE,
                help_lines=_help_lines(items, unreachable, counts, report, zone, ctx.lang,
                                        paged=total > len(items)),
                already=already, warning_words=words, tz=zone,
                analytics=reports.available, empty_reason=empty,
                notice=translate("reply.queued", ctx.lang) if replied else
                None if created is None else translate("refreshed", ctx.lang, n=created),
                reply_error=translate(f"reply.error.{reply_error}", ctx.lang)
                if reply_error in REPLY_ERRORS else "",
                decide_error=translate("appeal.reason_needed", ctx.lang)
                if decide_error == "reason" else "")


HELPED = ("elimination", "suspect", "escalation", "group_invite")


def _help_lines(items: list[dict[str, Any]], unreachable: dict[int, str],
                counts: dict[str, int], report: dict[str, Any] | None, zone: str,
                lang: str, *, paged: bool = False) -> list[tuple[str, str]]:
    """What the buttons do, said once above the list for each kind of item on it (issue 11
    walk 48, 34: it sat in a column of its own beside every card, pushing the table out
    of a 1280 px window, and 218 elimination cards repeated the same two paragraphs), and
    why the suspect count can be above the report's. `paged`: the list runs over several
    pages, so a count of this page's items says 本页 (walk13 #21: 「以下 93 位」 beside a
    counter of 218 read as "only 93 are on Telegram")."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i in items:
        if i["status"] != "open" or i["queue"] not in HELPED:
            continue
        key = i["queue"] + ("_sweep" if i["queue"] == "elimination"
                            and str(i["item_key"]).startswith("sweep:") else "")
        if key in seen:
            continue
        seen.add(key)
        text = translate(f"act_help.{key}", lang)
        if i["queue"] == "suspect" and report is not None:
            listed = len(report.get("suspects") or [])
            if counts.get("suspect", 0) > listed:
                text += ("" if lang != "en" else " ") + translate(
                    "suspect.more_than_report", lang, n=listed,
                    as_of=times.iso_when(report.get("as_of"), zone))
        out.append((translate(f"queue.{i['queue']}", lang), text))
    far: dict[str, int] = {}
    for i in items:
        if i["status"] == "open" and i["id"] in unreachable:
            far[unreachable[i["id"]]] = far.get(unreachable[i["id"]], 0) + 1
    for platform, n in far.items():
        out.append((translate("queue.elimination", lang), translate(
            "reach.removal_before_page" if paged else "reach.removal_before_many", lang, n=n,
            platform=labels.platform_label(platform, lang))))
    return out


def _already(conn: Any, cid: int, items: list[dict[str, Any]], zone: str,
             lang: str) -> dict[int, str]:
    """For a suspect: what already happened to the member, in words — removed (when,
    why), an upheld appeal with its warnings withdrawn — so the card does not ask for a
    judgement on someone the bot already dealt with (issue 11 walk 26, 46). For an appeal:
    the removal it appeals (walk 25)."""
    appeals = [i for i in items if i["queue"] == "appeal" and i["member_id"]]
    # A handled suspect keeps the line too (walk13 #27): it is why it was exempted or done.
    members = {int(i["member_id"]): int(i["id"]) for i in items
               if i["queue"] == "suspect" and i["member_id"]}
    if not members and not appeals:
        return {}
    cases = console_queues.latest_removals(
        conn, community_id=cid, member_ids=list(members) + [int(i["member_id"]) for i in appeals])
    withdrawn = console_queues.withdrawn_warnings(conn, community_id=cid,
                                                 member_ids=list(members))
    out: dict[int, str] = {}
    for item in appeals:  # the removal an appeal is about, when it came after one
        case = cases.get(int(item["member_id"]))
        if case is not None and case["closed_ms"] is not None \
                and case["closed_ms"] <= item["created_ms"] + 60_000:
            out[int(item["id"])] = translate(
                "already.appeal_removal", lang, when=times.when(case["closed_ms"], zone),
                why=labels.reason_label(case["reason"], lang))
    for member_id, item_id in members.items():
        case = cases.get(member_id)
        parts = []
        if case is not None:
            parts.append(translate("already.removed", lang,
                                   when=times.when(case["closed_ms"], zone),
                                   why=labels.reason_label(case["reason"], lang)))
            if case["status"] == "revived":
                how = case.get("revived_how") or ""
                parts.append(translate(
                    "already.back_appeal" if how == "appeal" else "already.back", lang,
                    when=times.when(case["revived_ms"], zone), n=withdrawn.get(member_id, 0)))
        elif withdrawn.get(member_id):
            parts.append(translate("already.withdrawn", lang, n=withdrawn[member_id]))
        if parts:
            out[item_id] = ("；" if lang != "en" else "; ").join(parts)
    return out


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
    # The bot's queues: where their items come from.
    if queue in ("appeal", "escalation", "join_request", "dm_todo", "group_invite", "revival",
                 "post_todo", "group_todo", "removal_todo"):
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


@router.get("/c/{slug}/queues/{item_id}")
def item_page(request: Request, slug: str, item_id: DbId) -> Response:
    """One item's address, as the bot's alerts in the admins' room link it (bot13): its
    queue's list, at the item, whatever has been decided on it since."""
    ctx, found = community_for(request, slug)
    with ctx.engine.connect() as conn:
        item = queue_repo.get_item(conn, item_id=item_id)
    if item is None or item["community_id"] != int(found["id"]):
        raise NotFound
    query = urlencode({"queue": item["queue"], "status": item["status"]})
    return RedirectResponse(f"/c/{slug}/queues?{query}#item-{item_id}", status_code=303)


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
        except appeal_service.ReasonNeeded:
            # Nothing changed: the row comes back open with the reason asked for.
            return _reason_needed(ctx, request, found, item_id)
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
        zone = community_zone(ctx, found)
        with ctx.engine.connect() as conn:
            words = warning_words.described(conn, [item["detail"]], community_id=cid,
                                            zone=zone, lang=ctx.lang)
            already = _already(conn, cid, [item], zone, ctx.lang)
        return page(ctx, "queue_resolved.html", community=found, i=item, choices=CHOICES,
                    names=names, counts=counts, unreachable=unreachable, tz=zone,
                    warning_words=words, already=already,
                    queue=(shown.get("queue") or [""])[0],
                    status=(shown.get("status") or ["open"])[0])
    return RedirectResponse(f"/c/{slug}/queues?queue={item['queue']}", status_code=303)


def _reason_needed(ctx: Ctx, request: Request, found: dict[str, Any], item_id: int) -> Response:
    """R3: an appeal rejected with an empty 理由 is refused, in the page's language: the
    member is told the reason (issue 11 walk13 finding 44). HTMX gets the open row back
    with the message (a 200: htmx swaps no error response); a plain form post, the page
    with it."""
    slug = str(found["slug"])
    if not request.headers.get("hx-request"):
        query = urlencode({"queue": "appeal", "decide_error": "reason"})
        return RedirectResponse(f"/c/{slug}/queues?{query}", status_code=303)
    cid = int(found["id"])
    zone = community_zone(ctx, found)
    with ctx.engine.connect() as conn:
        item = queue_repo.get_item(conn, item_id=item_id)
        assert item is not None  # `decide` found it a moment ago
        names = console_members.names_of(
            conn, member_ids=[item["member_id"]] if item["member_id"] else [])
        already = _already(conn, cid, [item], zone, ctx.lang)
        words = warning_words.described(conn, [item["detail"]], community_id=cid,
                                        zone=zone, lang=ctx.lang)
    return page(ctx, "queue_row.html", community=found, i=item, choices=CHOICES,
                names=names, unreachable={}, tz=zone, warning_words=words, already=already,
                row_error=translate("appeal.reason_needed", ctx.lang))
