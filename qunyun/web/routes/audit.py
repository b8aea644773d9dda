"""The audit log page: every effect and operator action of a community, filterable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qunyun.storage.console import audit as console_audit
from qunyun.storage.console import members as console_members
from qunyun.web import warning_words
from qunyun.web.deps import community_for
from qunyun.web.ids import AuditCursor, id_or_none
from qunyun.web.render import community_zone, page

router = APIRouter()
PAGE = 100
MEMBERS = 200  # members a name search filters by at most


# What a person types in the actor filter, as the log's actor codes (issue 11: the filter
# asked for `operator:lin` or `policy:`).
_ACTOR_WORDS = {"机器人": "policy:", "bot": "policy:", "报告": "report", "report": "report",
                "命令行": "operator:qunyun", "qunyun": "operator:qunyun"}


def actor_code(typed: str) -> str:
    """"lin" → operator:lin, "机器人"/"bot" → every bot policy; a code stays as typed."""
    word = typed.strip()
    if not word or ":" in word:
        return word
    return _ACTOR_WORDS.get(word.lower(), f"operator:{word}")


@router.get("/c/{slug}/audit")
def audit_page(
    request: Request, slug: str, action: str = "", actor: str = "", status: str = "",
    member: str = "", before: AuditCursor = None,
) -> Response:
    ctx, found = community_for(request, slug)
    cid = int(found["id"])
    typed = member.strip()
    member_id = id_or_none(typed[1:]) if typed.startswith("#") else None
    with ctx.engine.connect() as conn:
        # An operator knows names, not ids (walk finding 69): a name (or part of one, or a
        # platform id such as a QQ number) finds the entries of every member it matches;
        # 「#12」 is still member 12.
        member_ids = ([int(r["id"]) for r in console_members.search(
            conn, community_id=cid, text=typed, limit=MEMBERS)[0]]
            if typed and member_id is None else None)
        rows = ([] if member_ids == [] else console_audit.entries(
            conn, community_id=cid, action=action.strip(), actor=actor_code(actor),
            status=status.strip(), member_id=member_id, member_ids=member_ids,
            before_id=before, limit=PAGE))
        actions = console_audit.actions(conn, community_id=cid)
        names = console_members.names_of(
            conn, member_ids=sorted({r["member_id"] for r in rows if r["member_id"]}))
        # Warnings named by number in the evidence, in words (issue 11 walk 47).
        zone = community_zone(ctx, found)
        words = warning_words.described(conn, [r.get("evidence") for r in rows],
                                        community_id=cid, zone=zone, lang=ctx.lang)
    return page(ctx, "audit.html", community=found, rows=rows, actions=actions, names=names,
                warning_words=words, tz=zone,
                f={"action": action, "actor": actor, "status": status, "member": member},
                no_member=member_ids == [],
                older=rows[-1]["id"] if len(rows) == PAGE else None)
