"""Task submissions (T3): a member hands in homework with `!作业 链接`; it is recorded with
its link and earns the points `points.actions.task` says (daily cap included).

A removed member's hand-in of the plan's revival task (E2) is recorded the same way,
without points (`record`; `services/elimination.py` decides what it brings).

The submission row keeps the link for the person who reviews it; the ledger row that
paid for it names the same event (`ref`), so the console shows both side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from qunyun.domain.links import first_link
from qunyun.plan.model import Points
from qunyun.services import points as points_service
from qunyun.services.points import Award, TodaysPoints
from qunyun.storage.bot import tasks as repo

ACTION = "task"
NEEDS_LINK = "提交作业请附上作业链接，例如：!作业 https://…（有问题直接在群里问就好）"


class TaskError(ValueError):
    """Nothing to hand in (no link); str() says what to send instead, in Chinese."""


@dataclass(frozen=True, slots=True)
class Submission:
    submission_id: int
    number: int  # the member's submissions so far, this one included
    link: str
    award: Award | None  # None: the action earns nothing, or today's cap is used up


def link_in(text: str) -> str | None:
    """The first link in a hand-in's text (what makes it a submission), or None."""
    found = first_link(text.strip())  # the moderation rule's links: 「作业在这https://…谢谢」 too
    return found[:1000] if found else None


def record(conn: Connection, *, community_id: int, member_id: int, group_id: int | None,
           text: str, link: str, now_ms: int, ref: str | None = None) -> int:
    """Record a submission without points: E2's revival task, handed in by a removed
    member (coming back is what it earns). Returns the submission's id."""
    return repo.add(conn, community_id=community_id, member_id=member_id, group_id=group_id,
                    link=link, text=text.strip()[:2000],
                    event_source_id=ref[:255] if ref else None, at_ms=now_ms)


def submit(
    conn: Connection, *, community_id: int, member_id: int, group_id: int | None, text: str,
    at: datetime, tz: str, rules: Points, ref: str | None = None,
    memory: TodaysPoints | None = None, award: bool = True,
) -> Submission:
    """Record a submission (`text` is what followed the command). `award=False` records it
    without points (admins, who are off the points boards)."""
    link = link_in(text)
    if link is None:  # a question about homework is not a submission (nor worth points)
        raise TaskError(NEEDS_LINK)
    submission_id = record(conn, community_id=community_id, member_id=member_id,
                           group_id=group_id, text=text, link=link,
                           now_ms=int(at.timestamp() * 1000), ref=ref)
    got = points_service.award(conn, community_id=community_id, member_id=member_id,
                               group_id=group_id, action=ACTION, rules=rules, at=at, tz=tz,
                               ref=ref, memory=memory) if award else None
    return Submission(submission_id, repo.count_of(conn, member_id=member_id), link, got)


def submissions(conn: Connection, *, member_id: int, limit: int = 50) -> list[dict[str, object]]:
    return list(repo.of_member(conn, member_id=member_id, limit=limit))
