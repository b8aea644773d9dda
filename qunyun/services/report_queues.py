"""Opening work items from the analytics report (T2 to-dos, R4 suspects, E1/E3 candidates).

The report finds them; the queues are where the operator decides. This runs whenever a
report is built (the console's report cache, `qunyun demo`) and on the queue page's
"refresh" button, so the queues hold what the report shows without anyone pressing it.
Opening goes through `qunyun.services.queues.open_item`, which is idempotent per item key,
so running it twice adds nothing and keeps decisions already taken (an exempted member
stays exempted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from qunyun.domain.zones import stamp
from qunyun.services import audit
from qunyun.services import queues as queue_service
from qunyun.storage.work import audit as audit_repo


def _as_of_words(iso: str) -> str:
    """The report's data time with its zone ("2026-12-02 14:05 UTC+8"), as every time in
    the console reads."""
    try:
        return stamp(datetime.fromisoformat(iso))
    except ValueError:
        return iso[:16].replace("T", " ")


def mark_decided(conn: Connection, *, community_id: int, report: dict[str, Any]) -> int:
    """Mark in the report the suspects an operator already cleared in the console (豁免,
    e.g. an upheld appeal): `exempted: true`, so report.html says 「运营者已豁免」 and counts
    them apart, and the report and the console's open suspects agree (walk13 #70: 25 in the
    report beside 24 in the console, the cleared member listed with no word). Returns how
    many were marked. The analytics stay read-only over the event log; the decision is the
    queue's."""
    from qunyun.storage.work import queues as queue_repo

    cleared = queue_repo.exempted_members(conn, community_id=community_id, queue="suspect")
    marked = 0
    for s in report.get("suspects") or []:
        mid = s.get("member_id")
        if isinstance(mid, int) and mid in cleared:
            s["exempted"] = True
            marked += 1
    return marked


def open_from_report(
    conn: Connection, *, community_id: int, report: dict[str, Any], operator: str | None,
) -> int:
    """Open the report's items; returns how many were new. With an operator (the refresh
    button) it is audited as their action; without one (a report was built) only when it
    opened something, as the report's."""
    created = 0

    def add(queue: str, key: str, title: str, detail: dict[str, Any],
            member_id: int | None = None) -> None:
        nonlocal created
        _id, new = queue_service.open_item(conn, community_id=community_id, queue=queue,
                                           item_key=key, title=title, detail=detail,
                                           member_id=member_id)
        created += int(new)

    for s in report.get("suspects") or []:
        mid = s.get("member_id")
        signals = s.get("signals") or []
        labels = "、".join(str(sig.get("label", sig.get("kind", ""))) for sig in signals)
        add("suspect", f"suspect:{mid}", f"{s.get('name') or mid}：{labels}",
            {"signals": s.get("signals") or [], "score": s.get("score")}, mid)
    elimination = report.get("elimination") or {}
    for m in elimination.get("members") or []:
        mid = m.get("member_id")
        # An unfinished newcomer is the item the bot opened at the deadline (policies/
        # onboarding.py: the same key), not a second one.
        key = (f"onboarding:{mid}:{m.get('group_id')}" if m.get("rule") == "onboarding"
               else f"elimination:{mid}")
        add("elimination", key, f"{m.get('name') or mid}：{m.get('reason', '')}",
            {k: v for k, v in m.items() if k not in ("name", "rule", "group_id")}, mid)
    for tier in report.get("todo") or []:
        if tier.get("count"):
            name = tier.get("tier_name") or tier.get("tier")
            add("todo", f"todo:{tier.get('tier')}",
                f"{name}（{tier.get('count')}）：{tier.get('action')}",
                {"tier": tier.get("tier"), "action": tier.get("action"),
                 "count": tier.get("count"), "members": (tier.get("members") or [])[:50]})
    as_of = _as_of_words(str(report.get("as_of") or ""))
    reason = f"从报告（数据截至 {as_of}）新开 {created} 项"
    if operator is not None:
        audit.record_operator_action(conn, community_id=community_id, operator=operator,
                                     action="queues:refresh", reason=reason,
                                     evidence={"created": created})
    elif created:
        audit_repo.record(conn, entry={
            "at_ms": queue_service.now_ms(), "community_id": community_id, "actor": "report",
            "action": "queues:refresh", "reason": reason, "evidence": {"created": created},
            "status": "done"})
    return created
