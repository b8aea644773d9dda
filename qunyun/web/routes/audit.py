"""The audit log page: every effect and operator action of a community, filterable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qunyun.storage.console import audit as console_audit
from qunyun.storage.console import members as console_members
from qunyun.web.deps import community_for
from qunyun.web.ids import AuditCursor, id_or_none
from qunyun.web.render import page

router = APIRouter()
PAGE = 100


@router.get("/c/{slug}/audit")
def audit_page(
    request: Request, slug: str, action: str = "", actor: str = "", status: str = "",
    member: str = "", before: AuditCursor = None,
) -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    member_id = id_or_none(member)
    with ctx.engine.connect() as conn:
        rows = console_audit.entries(conn, community_id=cid, action=action.strip(),
                                     actor=actor.strip(), status=status.strip(),
                                     member_id=member_id, before_id=before, limit=PAGE)
        actions = console_audit.actions(conn, community_id=cid)
        names = console_members.names_of(
            conn, member_ids=sorted({r["member_id"] for r in rows if r["member_id"]}))
    return page(ctx, "audit.html", community=found, rows=rows, actions=actions, names=names,
                f={"action": action, "actor": actor, "status": status, "member": member},
                older=rows[-1]["id"] if len(rows) == PAGE else None)
