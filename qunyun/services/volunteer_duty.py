"""T4 duty: who is on duty when (the plan's `volunteers.rota`), the R5 pings to the on-duty
volunteer and their answers (response time, a volunteer's figure).

The duty list is the accepted volunteers whose role has `answer_escalations` (all accepted
volunteers when no role has it), in the order they accepted; `weekday` gives each weekday
to one of them in turn, `daily` moves on every day. A ping is answered by the volunteer's
next message in the group of the escalation.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from qunyun.domain.volunteers import WEEKDAYS
from qunyun.plan.model import Plan
from qunyun.services import lookup
from qunyun.services.volunteers import record_action, role_named
from qunyun.storage.growth import volunteers as repo


def duty_list(conn: Connection, *, community_id: int, plan: Plan) -> list[int]:
    """Who takes turns on duty: accepted volunteers whose role answers escalations, or
    every accepted volunteer when no role does; in the order they accepted."""
    if plan.volunteers is None or plan.volunteers.rota == "off":
        return []
    rows = [v for v in repo.all_of(conn, community_id=community_id) if v["state"] == "accepted"]
    rows.sort(key=lambda v: (v["answered_ms"] or 0, v["member_id"]))
    answering = [v for v in rows if (r := role_named(plan, v["role"])) is not None
                 and "answer_escalations" in r.privileges]
    return [int(v["member_id"]) for v in (answering or rows)]


def on_duty(conn: Connection, *, community_id: int, plan: Plan, day: date) -> int | None:
    people = duty_list(conn, community_id=community_id, plan=plan)
    if not people or plan.volunteers is None:
        return None
    turn = day.weekday() if plan.volunteers.rota == "weekday" else day.toordinal()
    return people[turn % len(people)]


def rota(conn: Connection, *, community_id: int, plan: Plan, start: date,
         days: int = 7) -> list[dict[str, Any]]:
    """The next `days` days and who is on duty each (the console's rota)."""
    people = duty_list(conn, community_id=community_id, plan=plan)
    names = lookup.display_names(conn, member_ids=people)
    out = []
    for n in range(days):
        day = start + timedelta(days=n)
        who = on_duty(conn, community_id=community_id, plan=plan, day=day)
        out.append({"date": day.isoformat(), "weekday": WEEKDAYS[day.weekday()],
                    "weekday_en": day.strftime("%A"),
                    "member_id": who, "name": names.get(who) if who is not None else None})
    return out


def ping(conn: Connection, *, community_id: int, member_id: int, item_key: str,
         group_id: int | None, at_ms: int) -> None:
    repo.add_ping(conn, community_id=community_id, member_id=member_id, item_key=item_key,
                  group_id=group_id, at_ms=at_ms)


def answered(conn: Connection, *, community_id: int, member_id: int, name: str,
             group_id: int | None, at_ms: int) -> int:
    """The on-duty volunteer spoke in the group of their open pings: those are answered
    (response time recorded); returns how many."""
    pings = repo.open_pings(conn, community_id=community_id, member_id=member_id,
                            group_id=group_id)
    for p in pings:
        repo.answer_ping(conn, ping_id=int(p["id"]), at_ms=at_ms)
        seconds = (at_ms - int(p["pinged_ms"])) // 1000
        record_action(conn, community_id=community_id, volunteer_id=member_id,
                      volunteer_name=name, action="escalation", target_member_id=None,
                      group_id=group_id, reason=f"值班响应了升级的问题（{seconds} 秒）",
                      at_ms=at_ms, evidence={"item": p["item_key"], "seconds": seconds})
    return len(pings)


def open_ping_members(conn: Connection, *, community_id: int) -> set[int]:
    """The volunteers with an escalation ping not yet answered."""
    return repo.open_ping_members(conn, community_id=community_id)
