"""T5 core users in the console: who brings members, whose content others respond to and
who brings revenue (sales an operator attributed to them, `services.sales`), as separate
measures ranked by the one the operator picks, with "ask them first": a to-do holding a
drafted DM. A member's sale is recorded from member 360 (the form posts here)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import audit, queues, sales
from qunyun.services import plans as plan_service
from qunyun.storage.console import members as console_members
from qunyun.storage.engine import writing
from qunyun.web.deps import NotFound, community_for
from qunyun.web.ids import DbId
from qunyun.web.render import page

router = APIRouter()
LIMIT = 50


SORTS = ("brought", "responses", "revenue")


def core_users(report: dict[str, Any] | None, revenue: dict[int, sales.Revenue] | None = None,
               sort: str = "brought") -> list[dict[str, Any]]:
    """Current members who brought someone, whose messages got replies or reactions, or
    to whom a sale is attributed; ranked by `sort` (then the other measures)."""
    revenue = revenue or {}
    out = []
    for m in (report or {}).get("members") or []:
        if not m.get("in_community") or m.get("staff"):
            continue  # staff (`services.staff.off_growth`) run the group: not core users
        brought = int(m.get("invited") or 0)
        responses = int(m.get("replies_received") or 0) + int(m.get("reactions_received") or 0)
        earned = revenue.get(int(m["id"]))
        if brought or responses or earned:
            out.append({**m, "brought": brought, "responses": responses,
                        "revenue_cents": earned.cents if earned else 0,
                        "revenue": earned.amount if earned else "",
                        "sales": earned.sales if earned else 0})
    order = {"brought": ("brought", "responses", "revenue_cents"),
             "responses": ("responses", "brought", "revenue_cents"),
             "revenue": ("revenue_cents", "brought", "responses")}[sort]
    out.sort(key=lambda m: (*(-m[k] for k in order), m["id"]))
    return out[:LIMIT]


def draft(name: str, m: dict[str, Any], community: str) -> str:
    """The DM an operator sends before asking a core user for anything (seed 004)."""
    what = []
    if m.get("invited"):
        what.append(f"带来了 {m['invited']} 位新朋友")
    if m.get("replies_received") or m.get("reactions_received"):
        what.append("分享的内容大家都很喜欢")
    done = "、".join(what) or "一直在群里帮忙"
    return (f"{name} 你好！谢谢你为「{community}」{done}。我们在策划下一步的活动，"
            "想先听听你的想法：你觉得群里最需要什么？方便的话约个时间聊聊？")


@router.get("/c/{slug}/core")
def core_page(request: Request, slug: str, asked: str = "", sort: str = "brought") -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    if sort not in SORTS:
        sort = "brought"
    report = request.app.state.reports.peek(cid)
    with ctx.engine.connect() as conn:
        revenue = sales.revenue(conn, community_id=cid)
        _text, plan = plan_service.stored_plan(conn, community_id=cid)
    rows = core_users(report, revenue, sort)
    for r in rows:
        r["draft"] = draft(str(r.get("name") or r["id"]), r, str(found["name"]))
    return page(ctx, "core.html", community=found, rows=rows, has_report=report is not None,
                asked=asked, sort=sort, sorts=SORTS, has_revenue=bool(revenue),
                currency=sales.currency_of(plan))


@router.post("/c/{slug}/members/{member_id}/sale")
def record_sale(request: Request, slug: str, member_id: DbId,
                amount: Annotated[str, Form()] = "",
                note: Annotated[str, Form()] = "") -> Response:
    """T5: an operator records a sale attributed to the member (event, row, audit)."""
    from qunyun.web.routes.members import member_view

    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    try:
        with ctx.engine.begin() as conn:
            if console_members.member_in(conn, community_id=cid, member_id=member_id) is None:
                raise NotFound
            _text, plan = plan_service.stored_plan(conn, community_id=cid)
            sales.record(conn, community_id=cid, member_id=member_id, amount=amount,
                         note=note, operator=operator.username, plan=plan,
                         now_ms=int(time.time() * 1000))
    except sales.SaleError as exc:
        # Shown again with what was typed; nothing was written.
        return member_view(request, slug, member_id, status_code=422, sale_error=str(exc),
                           sale_form={"amount": amount, "note": note})
    return RedirectResponse(f"/c/{slug}/members/{member_id}?sold=1#member-sales",
                            status_code=303)


@router.post("/c/{slug}/core/{member_id}/ask")
def ask_first(request: Request, slug: str, member_id: DbId,
              text: Annotated[str, Form()] = "") -> Response:
    """Open a to-do to ask this core user first, with the drafted DM (audited as an item)."""
    ctx, found = community_for(request, slug)
    operator = ctx.require("act")
    cid = int(found["id"])
    with writing(ctx.engine) as conn:
        member = console_members.member_in(conn, community_id=cid, member_id=member_id)
        if member is None:
            raise NotFound
        name = str(member.get("display_name") or member_id)
        queues.open_item(conn, community_id=cid, queue="todo", item_key=f"core:{member_id}",
                         title=f"{name}：核心用户，先问问 ta 的想法",
                         detail={"draft": text.strip()[:2000] or draft(name, {}, found["name"]),
                                 "members": [{"member_id": member_id, "name": name}]},
                         member_id=member_id)
        audit.record_operator_action(conn, community_id=cid, operator=operator.username,
                                     action="core.ask", reason="先问问核心用户的想法",
                                     member_id=member_id)
    return RedirectResponse(f"/c/{slug}/core?asked={member_id}", status_code=303)
