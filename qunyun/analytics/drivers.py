"""H3 what drove activity: for each calendar post, topic, poll and event, the replies,
reactions and active members in the hours after it, against the same hours of the days
before (the baseline), and the week's top content by how far it lifted the group.

Baseline: the mean of the same clock hours on each of the `BASELINE_DAYS` days before,
so a post at the evening peak is compared with ordinary evenings, not with the night.
Counts are indexed window queries over the event log (a week has tens of items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.storage.activities import repo as activity_repo
from qunyun.storage.events import windows

HOURS = 3
BASELINE_DAYS = 7
DAY_MS = 86_400_000
KIND_NAMES = {"post": "日历帖", "poll": "投票", "event": "活动"}


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # post | poll | event
    label: str
    at_ms: int
    group_id: int | None  # None: the whole community (an event)


def items(conn: Connection, *, community_id: int, since_ms: int, until_ms: int) -> list[Item]:
    out = [Item("post", r["reason"], int(r["at_ms"]), r["group_id"])
           for r in windows.bot_posts(conn, community_id=community_id, actor="policy:calendar",
                                      since_ms=since_ms, until_ms=until_ms)]
    out += [Item("poll", f"投票：{r['question']}", int(r["created_ms"]), int(r["group_id"]))
            for r in windows.polls(conn, community_id=community_id, since_ms=since_ms,
                                   until_ms=until_ms)]
    out += [Item("event", f"活动「{r['name']}」", int(r["starts_ms"]), None)
            for r in activity_repo.of_community(conn, community_id=community_id)
            if since_ms <= int(r["starts_ms"]) < until_ms]
    return sorted(out, key=lambda i: i.at_ms)


def measure(conn: Connection, *, community_id: int, item: Item, tz: str,
            hours: int = HOURS) -> dict[str, Any]:
    span = hours * 3_600_000

    def at(start: int) -> tuple[int, int, int]:
        return windows.activity(conn, community_id=community_id, group_id=item.group_id,
                                start_ms=start, end_ms=start + span)

    messages, reactions, active = at(item.at_ms)
    before = [at(item.at_ms - d * DAY_MS) for d in range(1, BASELINE_DAYS + 1)]
    base = sum(b[0] for b in before) / len(before)
    base_active = sum(b[2] for b in before) / len(before)
    local = datetime.fromtimestamp(item.at_ms / 1000, tz=UTC).astimezone(ZoneInfo(tz))
    return {"kind": item.kind, "kind_name": KIND_NAMES[item.kind], "label": item.label,
            "at": local.isoformat(timespec="minutes"), "group_id": item.group_id,
            "hours": hours, "messages": messages, "reactions": reactions, "active": active,
            "baseline": round(base, 1), "baseline_active": round(base_active, 1),
            "lift": round(messages - base, 1)}


def top_content(conn: Connection, *, community_id: int, since_ms: int, until_ms: int,
                tz: str, limit: int = 5) -> list[dict[str, Any]]:
    """The period's content, most activity-lifting first."""
    measured = [measure(conn, community_id=community_id, item=i, tz=tz)
                for i in items(conn, community_id=community_id, since_ms=since_ms,
                               until_ms=until_ms)]
    return _ranked(measured)[:limit]


def section(conn: Connection, *, community_id: int, until_ms: int, tz: str,
            days: int = 7, limit: int = 5) -> dict[str, Any]:
    """report.json's `drivers`: every item of the `days` before `until_ms` measured, in
    time order, and the `limit` that lifted activity most (`top`)."""
    since_ms = until_ms - days * DAY_MS
    measured = [measure(conn, community_id=community_id, item=i, tz=tz)
                for i in items(conn, community_id=community_id, since_ms=since_ms,
                               until_ms=until_ms)]
    zone = ZoneInfo(tz)

    def local(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone).isoformat(
            timespec="minutes")

    return {"hours": HOURS, "baseline_days": BASELINE_DAYS, "since": local(since_ms),
            "until": local(until_ms), "items": measured, "top": _ranked(measured)[:limit]}


def _ranked(measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(measured, key=lambda m: (-m["lift"], -m["messages"], m["at"]))
