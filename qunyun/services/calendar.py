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


# What a preview shows for a variable whose value only exists when the post goes out
# (who joined, who checked in by then): a sample, named as one.
SAMPLES: dict[str, str] = {
    "newcomers": "【示例】小王、小李",
    "top_checkins": "【示例】小林（连续5天）、小周（连续3天）",
}
SAMPLE_MEMBER = "【示例】成员昵称"
SAMPLE_GROUP = "【示例】群名"


@dataclass(frozen=True)
class PreviewPost:
    group_id: int | None  # None: no group to post to yet
    text: str
    delivery: str | None = None  # the outbox status of a text that went out; None: a rendering


@dataclass(frozen=True)
class Preview:
    """A calendar post or campaign day at one slot, as the members read it in each group."""

    slot_ms: int
    posts: list[PreviewPost]
    samples: tuple[str, ...] = ()  # variables shown with sample values
    member: str | None = None  # whose campaign day it is
    posted: bool = False  # the texts the bot posted, not a rendering


def _content(plan: Plan | None, entry: Mapping[str, Any]) -> PostContent | None:
    from qunyun.services import campaigns

    payload = dict(entry["payload"] or {})
    if entry["kind"] != campaigns.KIND:
        return content_of(plan, payload)
    found = campaigns.find_day(plan, payload) if plan is not None else None
    if found is None:
        return None
    _campaign, day = found
    return PostContent(title=str(entry["title"]), text=day.text, image=day.image,
                       link=day.link, group=None, task=day.task)


def preview(conn: Connection, *, community_id: int, plan: Plan | None, entry: Mapping[str, Any],
            slot_ms: int, now_ms: int) -> Preview | None:
    """What an entry posts at `slot_ms`, as the bot would: into the groups it would post
    to (a member's campaign day: their group, with the @-mention and `{member}` their
    name), with the variables as of the slot (`{date}`, `{next_event}` from the plan).
    A slot that went out shows the texts the bot posted. Ahead of time, `{newcomers}` and
    `{top_checkins}` are not known yet: they show `SAMPLES`, listed in `samples`. None
    when the text is gone from the plan."""
    from qunyun.services import campaigns
    from qunyun.storage.schedule import entries as entry_repo

    payload = dict(entry["payload"] or {})
    member = (lookup.member_ref(conn, member_id=int(payload["member"]))
              if "member" in payload else None)
    member_name = (member.display_name or member.user_id) if member else None
    if "member" in payload and member_name is None:
        member_name = SAMPLE_MEMBER
    key = f"{entry['kind']}:{entry['id']}:{slot_ms}"  # the tick's key (`schedule.Tick.key`)
    sent = entry_repo.posted_texts(conn, community_id=community_id, tick_key=key)
    if sent:
        return Preview(slot_ms=slot_ms, member=member_name, posted=True, posts=[
            PreviewPost(group_id=s["group_id"], text=s["text"], delivery=s["status"])
            for s in sent])
    content = _content(plan, entry)
    if content is None:
        return None
    groups = lookup.postable_groups(conn, community_id=community_id)
    admin_room = plan.bot.admin_room if plan is not None else None
    if "member" in payload:
        targets = [(gid, ref) for gid, ref in groups if gid == entry["group_id"]]
    else:
        targets = target_groups(groups, content.group, admin_room)
    tz = plan.bot.timezone if plan is not None else str(entry["tz"])
    ahead = [v for v in SAMPLES if slot_ms > now_ms and "{" + v + "}" in content.text]
    samples = list(ahead)
    posts = []
    fallback = plan.community.name if plan is not None else ""
    # No group to post to yet (the bot has not joined one): the text with a sample group.
    named: list[tuple[int | None, str]] = [(gid, ref.name or fallback) for gid, ref in targets]
    named = named or [(None, SAMPLE_GROUP)]
    if not targets and "{group}" in content.text:
        samples.append("group")
    for gid, name in named:
        values = variables(conn, community_id=community_id, group_id=gid, group_name=name,
                           at_ms=slot_ms, tz=tz,
                           checkin_campaigns=[c.name for c in plan.checkins] if plan else (),
                           events=plan.event_occurrences() if plan else ())
        values.update({v: SAMPLES[v] for v in ahead})
        if member_name is not None:
            values["member"] = member_name
        text = compose(content.text, image=content.image, link=content.link,
                       values=values) + campaigns.task_line(content.task)
        posts.append(PreviewPost(group_id=gid, text=f"@{member_name} {text}"
                                 if member_name is not None else text))
    if member_name == SAMPLE_MEMBER:
        samples.append("member")
    return Preview(slot_ms=slot_ms, posts=posts, samples=tuple(samples), member=member_name)
