"""R5: a question asked of the other members waits before it becomes an admin's to-do.

「有人一起组队学习吗」 is for the group, not for the admins: it goes to them only when
nobody answered it within `bot.question_wait_minutes`. The wait is a one-shot entry on the
durable schedule (it survives a restart); when it fires, the escalation policy asks
`answered` and raises the alert only for a question still unanswered.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.plan.model import Plan
from qunyun.services import schedule
from qunyun.services.schedule import EntrySpec, JobKind
from qunyun.storage.schedule import entries as entry_repo

KIND = "escalation.wait"
JOB = JobKind(KIND)  # entries are added as questions arrive (origin "system")


def wait_for_answer(conn: Connection, *, community_id: int, plan: Plan, group_id: int,
                    member_id: int, event_id: str, text: str, asked: datetime,
                    same_question: str) -> bool:
    """Check back on the question once the plan's wait is over. `same_question` names the
    member's question of the day: asked again, the first ask's wait stands (False)."""
    key = f"question:{same_question}"[:200]
    if entry_repo.by_key(conn, community_id=community_id, kind=KIND, key=key) is not None:
        return False
    due = (asked + timedelta(minutes=plan.bot.question_wait_minutes)).astimezone(
        ZoneInfo(plan.bot.timezone))
    rule = f"DTSTART:{due:%Y%m%dT%H%M%S}\nRRULE:FREQ=MINUTELY;COUNT=1"
    schedule.upsert(conn, community_id=community_id, now_ms=int(asked.timestamp() * 1000),
                    default_tz=plan.bot.timezone, origin="system",
                    default_catch_up=max(60, plan.calendar.catch_up_minutes),
                    spec=EntrySpec(kind=KIND, key=key, rule=rule,
                                   group_id=group_id, title=f"等待群友回答：{text[:60]}",
                                   payload={"member": member_id, "event": event_id,
                                            "text": text[:500],
                                            "asked": int(asked.timestamp() * 1000)}))
    return True

