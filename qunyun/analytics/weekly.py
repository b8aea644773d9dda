"""H4 the weekly report's numbers: the last seven local days against the seven before.

Built on `build_report` (the same numbers as report.json, as of the end of the week) plus
what only the bot's state knows: elimination notices, removals and revivals (E1/E2), and
the sections other areas add (`extra`: events, top content). Read-only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from qunyun.analytics.build import build_report
from qunyun.plan.model import Plan
from qunyun.storage.bot import warnings as warning_repo
from qunyun.storage.lifecycle import cases as case_repo


def _pct(now: int, before: int) -> float | None:
    return None if before == 0 else round((now - before) * 100 / before, 1)


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The week's figures from a built report (its `as_of` is the end of the week)."""
    c = report["community"]
    last = date.fromisoformat(report["as_of"][:10])
    days = [(last - timedelta(days=n)).isoformat() for n in range(13, -1, -1)]
    # Zero-filled: a community younger than two weeks still has a seven-day week.
    by_day = {d["date"]: d for d in c.get("daily") or []}
    empty = {"messages": 0, "active": 0, "joins": 0, "leaves": 0}
    rows = [{**empty, **by_day.get(d, {}), "date": d} for d in days]
    week, before = rows[7:], rows[:7]
    messages = sum(d["messages"] for d in week)
    previous = sum(d["messages"] for d in before)
    health = c.get("health") or {}
    dying = health.get("dying") or {}
    return {
        "community": c.get("name") or report.get("plan"),
        "plan": report.get("plan"),
        "from": week[0]["date"],
        "to": week[-1]["date"],
        "as_of": report["as_of"],
        "messages": messages,
        "messages_before": previous,
        "messages_change_pct": _pct(messages, previous),
        "active_members": c.get("active_7d", 0),
        "member_count": c.get("member_count", 0),
        "active_ratio": c.get("active_ratio", 0.0),
        "joins": sum(d["joins"] for d in week),
        "leaves": sum(d["leaves"] for d in week),
        "daily": week,
        "health_score": health.get("score"),
        "stage_name": health.get("stage_name"),
        "dying": bool(dying.get("warning")),
        "dying_reason": dying.get("reason"),
        "tiers": c.get("tiers") or {},
        "candidates": len((report.get("elimination") or {}).get("members") or []),
        "suspects": len(report.get("suspects") or []),
    }


def build_weekly(engine: Engine, *, community_id: int, plan: Plan | None,
                 as_of: datetime | None = None, tz: str | None = None,
                 community_name: str | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The week ending at `as_of` (default: the last event)."""
    report = build_report(engine, community_id=community_id, plan=plan, as_of=as_of, tz=tz,
                          community_name=community_name)
    weekly = summarize(report)
    end = datetime.fromisoformat(report["as_of"])
    since = int((end - timedelta(days=7)).timestamp() * 1000)
    with engine.connect() as conn:
        weekly["lifecycle"] = case_repo.counts(conn, community_id=community_id, since_ms=since)
        # `removed` counts E1 removals (long silence); members the bot removed at the
        # warning limit (R2, 送机票) are counted apart, so the week shows both.
        weekly["lifecycle"]["removed_for_rules"] = warning_repo.removals_since(
            conn, community_id=community_id, since_ms=since)
    weekly.update(extra or {})
    return weekly
