"""T5 core users in the console: who brings members and whose content others respond to,
as separate measures from the report (revenue is not recorded, and the page says so rather
than showing 0), with "ask them first": a to-do holding a drafted DM."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qunyun.services import audit, queues
from qunyun.storage.console import members as console_members
from qunyun.storage.engine import writing
from qunyun.web.deps import NotFound, community_for
from qunyun.web.ids import DbId
from qunyun.web.render import page

router = APIRouter()
LIMIT = 50


def core_users(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Current members who brought someone or whose messages got replies or reactions,
    most brought first, then most responded to."""
    out = []
    for m in (report or {}).get("members") or []:
        if not m.get("in_community"):
            continue
        brought = int(m.get("invited") or 0)
        responses = int(m.get("replies_received") or 0) + int(m.get("reactions_received") or 0)
        if brought or responses:
            out.append({**m, "brought": brought, "responses": responses})
    out.sort(key=lambda m: (-m["brought"], -m["responses"], m["id"]))
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
def core_page(request: Request, slug: str, asked: str = "") -> Response:
    ctx, found = community_for(request, slug)
    report = request.app.state.reports.peek(int(found["id"]))
    rows = core_users(report)
    for r in rows:
        r["draft"] = draft(str(r.get("name") or r["id"]), r, str(found["name"]))
    return page(ctx, "core.html", community=found, rows=rows, has_report=report is not None,
                asked=asked)


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
