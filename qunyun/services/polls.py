"""Polls (A4): an admin starts one per group, members vote by number, results on request.

One open poll per group: starting a new one closes the previous (its results are final,
and `replaced` returns them so the group is told, not left wondering).
A member's new vote replaces the old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from qunyun.storage.bot import polls as repo


class PollError(ValueError):
    """The poll request is not possible; str() is the reason in Chinese, for the member."""


@dataclass(frozen=True, slots=True)
class PollResults:
    poll_id: int
    question: str
    options: tuple[str, ...]
    counts: tuple[int, ...]
    closed: bool

    @property
    def voters(self) -> int:
        return sum(self.counts)


def start_poll(conn: Connection, *, community_id: int, group_id: int, created_by: int | None,
               question: str, options: Sequence[str], at_ms: int) -> int:
    return start_replacing(conn, community_id=community_id, group_id=group_id,
                           created_by=created_by, question=question, options=options,
                           at_ms=at_ms)[0]


def start_replacing(conn: Connection, *, community_id: int, group_id: int,
                    created_by: int | None, question: str, options: Sequence[str], at_ms: int
                    ) -> tuple[int, PollResults | None]:
    """Start a poll; returns its id and the final results of the poll it closed, if any."""
    opts = [o.strip() for o in options if o.strip()]
    if not question.strip():
        raise PollError("投票需要一个问题")
    if len(opts) < 2:
        raise PollError("投票至少需要两个选项")
    if len(opts) > 20:
        raise PollError("投票最多 20 个选项")
    current = repo.open_poll(conn, group_id=group_id)
    closed = None
    if current is not None:
        repo.close(conn, poll_id=int(current["id"]), now_ms=at_ms)
        closed = results(conn, poll_id=int(current["id"]))
    return repo.create(conn, community_id=community_id, group_id=group_id,
                       question=question.strip()[:500], options=[o[:100] for o in opts],
                       created_by=created_by, now_ms=at_ms), closed


def current_poll(conn: Connection, *, group_id: int) -> dict[str, Any] | None:
    return repo.open_poll(conn, group_id=group_id)


def vote(conn: Connection, *, group_id: int, member_id: int, option: int, at_ms: int
         ) -> tuple[PollResults, bool]:
    """Vote for option number `option` (1-based) in the group's open poll.
    Returns the results and whether this was the member's first vote."""
    poll = repo.open_poll(conn, group_id=group_id)
    if poll is None:
        raise PollError("本群当前没有进行中的投票")
    options = list(poll["options"])
    if not 1 <= option <= len(options):
        raise PollError(f"请回复 1 到 {len(options)} 之间的数字")
    first = repo.vote(conn, poll_id=int(poll["id"]), member_id=member_id, option=option,
                      now_ms=at_ms)
    return results(conn, poll_id=int(poll["id"])), first


def close_poll(conn: Connection, *, group_id: int, at_ms: int) -> PollResults:
    poll = repo.open_poll(conn, group_id=group_id)
    if poll is None:
        raise PollError("本群当前没有进行中的投票")
    repo.close(conn, poll_id=int(poll["id"]), now_ms=at_ms)
    return results(conn, poll_id=int(poll["id"]))


def results(conn: Connection, *, poll_id: int) -> PollResults:
    poll = repo.get(conn, poll_id=poll_id)
    if poll is None:
        raise PollError("没有这个投票")
    tally = repo.tally(conn, poll_id=poll_id)
    options = tuple(str(o) for o in poll["options"])
    return PollResults(poll_id, str(poll["question"]), options,
                       tuple(tally.get(i, 0) for i in range(1, len(options) + 1)),
                       poll["closed_ms"] is not None)
