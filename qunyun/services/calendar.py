"""A1 content calendar: the plan's posts as schedule entries, and their text when due.

`plan_entries` turns `calendar.posts` into `schedule.EntrySpec`s (kind `calendar`);
`render` fills a post's variables from the community's state at the slot; `compose`
is the whole message (text, image, link) a handler posts or hands to the group owner.
Variables: `{group}` the group's name, `{date}` the local date, `{newcomers}` who joined
in the last day, `{top_checkins}` the longest check-in streaks of the day,
`{next_event}` the next event (filled by the events feature through `NEXT_EVENT`; until
then "暂无活动"), `{member}` the member a campaign day is for ("大家" in a group post).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.domain import recurrence
from qunyun.plan.calendar import VARIABLES, CalendarPost, post_rule, unknown_variables
from qunyun.plan.model import Plan
from qunyun.services import checkins as checkin_service
from qunyun.services import lookup
from qunyun.services.schedule import EntrySpec

POST = "calendar"
__all__ = ["VARIABLES", "post_rule", "unknown_variables"]
DAY_MS = 86_400_000

# The events feature (A5) sets this to name the next event of a community; a hook rather
# than an import so the calendar does not depend on a feature built beside it.
NextEvent = Callable[[Connection, int, int], str | None]
NEXT_EVENT: list[NextEvent] = []


def plan_entries(plan: Plan) -> list[EntrySpec]:
    """The plan's calendar posts as schedule entries (rules that do not read are left
    out here; `plan check` reports them)."""
    specs = []
    for post in plan.calendar.posts:
        try:
            rule = post_rule(post)
        except recurrence.RuleError:
            continue
        if recurrence.check_rule(rule):
            continue
        specs.append(EntrySpec(kind=POST, key=post.id, rule=rule,
                               title=post.title or post.text.splitlines()[0][:60],
                               paused=post.paused, payload={"post": post.id}))
    return specs


def find_post(plan: Plan, post_id: str) -> CalendarPost | None:
    return next((p for p in plan.calendar.posts if p.id == post_id), None)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def variables(conn: Connection, *, community_id: int, group_id: int | None, group_name: str,
              at_ms: int, tz: str, checkin_campaigns: Sequence[str] = ()) -> dict[str, str]:
    """The values a post's variables take at `at_ms` for one group."""
    local = dt.datetime.fromtimestamp(at_ms / 1000, tz=ZoneInfo(tz))
    newcomers = ""
    top = ""
    if group_id is not None:
        joins = lookup.recent_joins(conn, group_id=group_id, since_ms=at_ms - DAY_MS,
                                    until_ms=at_ms)
        names = lookup.display_names(conn, member_ids=sorted({j[0] for j in joins}))
        newcomers = "、".join(n or "新朋友" for n in names.values())
        yesterday = (local - dt.timedelta(days=1)).date().isoformat()
        best: dict[int, tuple[int, str]] = {}
        for campaign in checkin_campaigns:
            for row in checkin_service.day_summary(conn, community_id=community_id,
                                                   campaign=campaign, day=yesterday,
                                                   group_id=group_id):
                mid = int(row["member_id"])
                if mid not in best or best[mid][0] < int(row["streak"]):
                    best[mid] = (int(row["streak"]), str(row["display_name"] or "群友"))
        ranked = sorted(best.values(), key=lambda v: -v[0])[:3]
        top = "、".join(f"{name}（连续{streak}天）" for streak, name in ranked)
    event = None
    for hook in NEXT_EVENT:
        event = hook(conn, community_id, at_ms) or event
    return {"group": group_name, "date": f"{local.month}月{local.day}日",
            "newcomers": newcomers or "暂无新成员", "top_checkins": top or "暂无打卡",
            "next_event": event or "暂无活动", "member": "大家"}


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill the variables; an unknown one stays as written (plan check flags it)."""
    try:
        return text.format_map(_Blank(values))
    except (ValueError, IndexError, AttributeError):
        return text


def compose(text: str, *, image: str | None, link: str | None, values: Mapping[str, str]
            ) -> str:
    parts = [render(text, values).rstrip()]
    if image:
        parts.append(f"图片：{image}")
    if link:
        parts.append(f"链接：{link}")
    return "\n".join(parts)


def target_groups(groups: list[tuple[int, Any]], wanted: str | None) -> list[tuple[int, Any]]:
    """The groups a post goes to: the named one (name or platform id), else all."""
    if not wanted:
        return groups
    return [(gid, ref) for gid, ref in groups if wanted in (ref.name, ref.group_id)]


TODO_QUEUE = "post_todo"


def owner_todo(conn: Connection, *, community_id: int, group_id: int, title: str, text: str,
               key: str, at_ms: int) -> int:
    """The platform cannot post into the group: the owner gets a to-do with the text ready
    to copy (console queue `post_todo`), one per group and slot."""
    from qunyun.services import queues

    item_id, _created = queues.open_item(
        conn, community_id=community_id, queue=TODO_QUEUE, item_key=f"{key}:{group_id}",
        title=f"请群主发布：{title}", detail={"text": text, "slot_ms": at_ms},
        group_id=group_id, at_ms=at_ms)
    return item_id
