"""Work queues (T2, R4, E3, R3, R5): list items, and resolve them through
`qunyun.services.queues` (audited with the operator's name). Viewers only read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import queues as queue_service
from qunyun.storage.console import members as console_members
from qunyun.storage.console import queues as console_queues
from qunyun.storage.work import queues as queue_repo
from qunyun.web.deps import NotFound, community_for
from qunyun.web.queue_sync import open_from_report
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
    "post_todo": ("done", "dismissed"),  # A1: the owner posted it (or chose not to)
}
STATUSES = ("open", "done", "dismissed", "exempted", "approved")
PAGE = 100


@router.get("/c/{slug}/queues")
def queue_list(request: Request, slug: str, queue: str = "", status: str = "open",
               offset: int = 0, created: int | None = None) -> Response:
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
    return page(ctx, "queues.html", community=found, items=items, counts=counts, queue=queue,
                status=status, statuses=STATUSES, choices=CHOICES, names=names,
                total=total, offset=offset, page_size=PAGE,
                analytics=request.app.state.reports.available,
                notice=None if created is None else translate("refreshed", ctx.lang, n=created))


@router.post("/c/{slug}/queues/refresh")
def refresh(request: Request, slug: str) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    report = request.app.state.reports.get(cid)
    created = 0
    if report is not None:
        with ctx.engine.begin() as conn:
            created = open_from_report(conn, community_id=cid, report=report,
                                       operator=operator.username)
    return RedirectResponse(f"/c/{slug}/queues?created={created}", status_code=303)


@router.post("/c/{slug}/queues/{item_id}")
def resolve(
    request: Request, slug: str, item_id: int, resolution: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with ctx.engine.begin() as conn:
        try:
            item = queue_service.resolve_item(conn, community_id=cid, item_id=item_id,
                                              operator=operator.username, status=resolution,
                                              reason=reason.strip()[:500])
        except queue_service.QueueError:
            raise NotFound from None
        names = console_members.names_of(
            conn, member_ids=[item["member_id"]] if item["member_id"] else [])
    if request.headers.get("hx-request"):
        return page(ctx, "queue_row.html", community=found, i=item, choices=CHOICES,
                    names=names)
    return RedirectResponse(f"/c/{slug}/queues?queue={item['queue']}", status_code=303)
