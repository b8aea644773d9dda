"""A1 content calendar: the plan's posts as schedule entries, and their text when due.

`plan_entries` turns `calendar.posts` into `schedule.EntrySpec`s (kind `calendar`);
`render` fills a post's variables from the community's state at the slot; `compose`
is the whole message (text, image, link) a handler posts or hands to the group owner.
Variables: `{group}` the group's name, `{date}` the local date, `{newcomers}` who joined
in the last day, `{top_checkins}` the longest check-in streaks of the day,
`{next_event}` the next of the plan's events (A5, "暂无活动" when none is ahead; features
may add more through `NEXT_EVENT`), `{member}` the member a campaign day is for ("大家" in
a group post).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from qunyun.domain import recurrence
from qunyun.plan.calendar import VARIABLES, CalendarPost, post_rule, unknown_variables
from qunyun.plan.model import Activity, Plan
from qunyun.services import activities as activity_service
from qunyun.services import checkins as checkin_service
from qunyun.services import lookup
from qunyun.services.schedule import EntrySpec, JobKind

POST = "calendar"
__all__ = ["VARIABLES", "post_rule", "unknown_variables"]
DAY_MS = 86_400_000

# More sources of `{next_event}` than the plan's A5 events (a later hook wins).
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
              at_ms: int, tz: str, checkin_campaigns: Sequence[str] = (),
              events: Sequence[Activity] = ()) -> dict[str, str]:
    """The values a post's variables take at `at_ms` for one group; `events`: the plan's
    (`{next_event}` names the soonest ahead)."""
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
    event = activity_service.next_event(events, at_ms=at_ms, tz=tz)
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


def target_groups(groups: list[tuple[int, Any]], wanted: str | None,
                  admin_room: str | None = None) -> list[tuple[int, Any]]:
    """The groups a post goes to: the named one (name or platform id), else every group
    but the admin room (the operators' room is not an audience)."""
    if wanted:
        return [(gid, ref) for gid, ref in groups if wanted in (ref.name, ref.group_id)]
    return [(gid, ref) for gid, ref in groups
            if not admin_room or admin_room not in (ref.name, ref.group_id)]


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


# -- the console's calendar -------------------------------------------------------------
def job_kinds() -> list[JobKind]:
    """The calendar's job kinds (posts, start-dated campaigns) with their plan entries."""
    from qunyun.services import campaigns  # campaigns imports this module

    return [JobKind(POST, from_plan=plan_entries),
            JobKind(campaigns.KIND, from_plan=campaigns.plan_entries)]


def sync_from_plan(conn: Connection, *, community_id: int, plan: Plan, now_ms: int) -> int:
    """Store the plan's calendar entries now (the bot does it at start too)."""
    from qunyun.services import schedule

    return len(schedule.sync_plan(conn, community_id=community_id, plan=plan,
                                  kinds=job_kinds(), now_ms=now_ms))


@dataclass(frozen=True)
class PostForm:
    """A post added or edited in the console (the plan's fields, as typed)."""

    title: str
    text: str
    at: str = "08:00"
    every: str = ""  # "" one-off on `day`
    weekdays: tuple[str, ...] = ()
    day: dt.date | None = None  # the one-off's date, or a recurring post's first day
    group: str = ""
    image: str = ""
    link: str = ""


class CalendarError(ValueError):
    """A console post that cannot be scheduled: one line in Chinese (`zh`) and English."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _form_rule(form: PostForm, today: dt.date) -> str:
    if not form.text.strip():
        raise CalendarError("the text is empty", "文案不能为空")
    bad = unknown_variables(form.text)
    if bad:
        raise CalendarError(f"unknown variable(s) {', '.join(bad)}",
                            f"文案里有不认识的变量 {'、'.join('{' + b + '}' for b in bad)}")
    try:
        if not form.every:
            if form.day is None:
                raise CalendarError("a one-off post needs a date", "一次性的帖子要选日期")
            return recurrence.rule_text(at=form.at, start=form.day)
        return recurrence.rule_text(at=form.at, start=form.day or today, every=form.every,
                                    on=form.weekdays)
    except recurrence.RuleError as exc:
        raise CalendarError(str(exc), exc.zh) from None


def save_console_post(conn: Connection, *, community_id: int, form: PostForm, tz: str,
                      catch_up: int, operator: str, now_ms: int,
                      entry_id: int | None = None) -> int:
    """Add a console post (or edit one the console added); audited. Plan posts are edited
    in the plan, so they are refused here."""
    from qunyun.services import audit, schedule
    from qunyun.storage.schedule import entries as entry_repo

    today = dt.datetime.fromtimestamp(now_ms / 1000, tz=ZoneInfo(tz)).date()
    rule = _form_rule(form, today)
    if entry_id is not None:
        stored = entry_repo.get(conn, entry_id=entry_id)
        if stored is None or stored["community_id"] != community_id or stored["kind"] != POST:
            raise CalendarError("no such post", "没有这条日历帖")
        if stored["origin"] != "console":
            raise CalendarError("a plan post is edited in the plan", "计划里的帖子请在计划里修改")
        key = str(stored["key"])
    else:
        key = f"console-{now_ms}"
    title = form.title.strip()[:200] or form.text.strip().splitlines()[0][:60]
    payload = {"text": form.text[:4000], "image": form.image.strip()[:500],
               "link": form.link.strip()[:500], "group": form.group.strip()[:200],
               "title": title}
    saved = schedule.upsert(conn, community_id=community_id, now_ms=now_ms, default_tz=tz,
                            default_catch_up=catch_up, origin="console",
                            spec=schedule.EntrySpec(kind=POST, key=key, rule=rule, title=title,
                                                    payload=payload))
    audit.record_operator_action(
        conn, community_id=community_id, operator=operator,
        action="calendar:edit" if entry_id is not None else "calendar:add",
        reason=f"日历帖「{title}」", evidence={"entry": saved, "rule": rule})
    return saved


@dataclass(frozen=True)
class PostContent:
    """What a calendar post says, wherever it was written (plan or console)."""

    title: str
    text: str
    image: str | None
    link: str | None
    group: str | None
    skip: tuple[dt.date, ...] = ()
    task: Any = None


def content_of(plan: Plan | None, payload: Mapping[str, Any]) -> PostContent | None:
    """A tick's (or an entry's) post: the console's text in the payload, else the plan's."""
    if payload.get("text"):
        return PostContent(title=str(payload.get("title") or ""), text=str(payload["text"]),
                           image=str(payload.get("image") or "") or None,
                           link=str(payload.get("link") or "") or None,
                           group=str(payload.get("group") or "") or None)
    post = find_post(plan, str(payload.get("post", ""))) if plan is not None else None
    if post is None:
        return None
    return PostContent(title=post.title or post.id, text=post.text, image=post.image,
                       link=post.link, group=post.group, skip=tuple(post.skip), task=post.task)


def preview(conn: Connection, *, community_id: int, plan: Plan | None, entry: Mapping[str, Any],
            slot_ms: int) -> tuple[str, str] | None:
    """(group name, text) a calendar post or campaign day would post at `slot_ms`, with
    the variables as they would be filled now; None when the text is gone from the plan."""
    from qunyun.services import campaigns

    payload = dict(entry["payload"] or {})
    groups = lookup.community_groups(conn, community_id=community_id)
    tz = plan.bot.timezone if plan is not None else str(entry["tz"])
    if entry["kind"] == campaigns.KIND:
        found = campaigns.find_day(plan, payload) if plan is not None else None
        if found is None:
            return None
        _campaign, day = found
        content = PostContent(title=str(entry["title"]), text=day.text, image=day.image,
                              link=day.link, group=None, task=day.task)
    else:
        maybe = content_of(plan, payload)
        if maybe is None:
            return None
        content = maybe
    admin_room = plan.bot.admin_room if plan is not None else None
    targets = target_groups(groups, content.group, admin_room) if groups else []
    gid, name = (targets[0][0], targets[0][1].name or "") if targets else (None, "")
    name = name or (plan.community.name if plan is not None else "")
    values = variables(conn, community_id=community_id, group_id=gid, group_name=name,
                       at_ms=slot_ms, tz=tz,
                       checkin_campaigns=[c.name for c in plan.checkins] if plan else (),
                       events=plan.events if plan else ())
    if "member" in payload:
        values["member"] = "（成员）"
    text = compose(content.text, image=content.image, link=content.link, values=values)
    return name, text + campaigns.task_line(content.task)
