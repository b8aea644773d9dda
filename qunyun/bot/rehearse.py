"""Rehearse a plan before launch: a synthetic community through the real bot on a
simulated clock (`qunyun rehearse`).

The bot is the one `qunyun bot` runs — the plan's policies from `wiring.build_policies`,
the pipeline, the services, the durable schedule from `wiring.build_scheduler` — over a
throw-away database; only the clock and the members are made up. Members (seeded, so the
same seed gives the same run) join over the first weeks and act like people, in a mix of
personas (`PERSONAS`, dealt by quota so every rehearsal of ten or more has each): most do
the newcomer tasks — rename to the plan's `nickname_pattern`, introduce themselves, answer
the questionnaire the bot asks (by DM or in the room) — then post and check in at their
own pace and answer campaign tasks; lurkers do part of it and read; ghosts do the tasks
and then go silent, so they meet the elimination sweep; a few post adverts, are warned
and, at the warning limit, removed; some leave; the removed ask to come back (with the
plan's revival task, if it names one). The clock jumps from event to event, to each
schedule slot, and to every hour (for the timers that live on their own rows), so 90
days take seconds.

What the bot does is read from the effects the pipeline commits: each becomes a timeline
item `{at, kind, group, member, key, reason}`; `totals` counts them. Features that add
effects pass their own classifier to `rehearse` (see `classify`).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from qunyun.analytics.tiers import TIER_NAMES
from qunyun.bot.wiring import build_policies, build_scheduler
from qunyun.effects import (
    Alert,
    DirectMessage,
    Effect,
    Invite,
    Kick,
    Reply,
    Send,
    SetRole,
    Warn,
)
from qunyun.events import (
    Event,
    GroupRef,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    NicknameChanged,
    TimerFired,
    UserRef,
)
from qunyun.pipeline.runner import Pipeline
from qunyun.plan.model import Plan
from qunyun.services import elimination as elimination_service
from qunyun.services import growth as growth_service
from qunyun.services import lookup
from qunyun.storage.bot import onboarding as onboarding_repo
from qunyun.storage.community import communities as community_repo
from qunyun.storage.growth import tiers as tier_repo

PLATFORM = "rehearsal"
SOURCE = "rehearsal"
# Totals every rehearsal reports (zero where a feature is not built yet), and the kind of
# timeline item each one counts.
TOTALS: dict[str, tuple[str, ...]] = {
    "posts": ("post",),
    "reminders": ("reminder",),
    "warnings": ("warning",),
    "removals": ("removal",),
    "revivals": ("revival",),
    "event_checkins": ("event_checkin",),
    "tier_changes": ("tier_change",),
    "welcomes": ("welcome",),
    "deadlines": ("deadline",),
    "checkins": ("checkin",),
    "tasks_done": ("task_done",),
    "level_ups": ("level_up",),
    "season_ends": ("season_end",),  # T3 a season's top members announced
    "season_starts": ("season_start",),  # T3 a season's first day announced (no results)
    "role_changes": ("role_change",),  # T2 a tier's title given or taken back
    "onboarded": ("onboarded",),  # O2 a newcomer's checklist completed
}
KIND_ZH = {"post": "发帖", "reminder": "提醒", "warning": "警告", "removal": "移除",
           "revival": "复活", "event_checkin": "活动签到", "tier_change": "分层变化",
           "welcome": "欢迎", "deadline": "入群超时", "checkin": "打卡", "task_done": "完成任务",
           "level_up": "升级", "warning_expired": "警告到期", "elimination_notice": "淘汰提醒",
           "revival_application": "复活申请", "weekly_report": "周报", "event": "活动公告",
           "season_end": "赛季结束", "role_change": "头衔变化", "onboarded": "完成入群",
           "season_start": "赛季开始"}
WEEKDAY_ZH = "一二三四五六日"

Classifier = Callable[[Effect], "str | None"]


def classify(effect: Effect) -> str | None:
    """The timeline kind of an effect of the built features (None: not shown)."""
    reason = effect.reason
    if reason == "T3 level up":  # also when a calendar or campaign task's points did it
        return "level_up"
    if isinstance(effect, Send) and effect.policy in ("calendar", "campaigns"):
        return "post"
    if isinstance(effect, Warn):
        return "warning"
    if isinstance(effect, SetRole):
        return "role_change"
    if isinstance(effect, Kick):
        return "removal"
    if isinstance(effect, Invite) and reason.startswith("E2"):
        return "revival"
    if reason == "A5 check-in":
        return "event_checkin"
    if reason == "E1 notice" and isinstance(effect, DirectMessage):
        return "elimination_notice"
    if reason == "E2 application":
        return "revival_application"
    if reason == "H4 weekly" and isinstance(effect, Alert):
        return "weekly_report"
    if reason == "A5 announced":
        return "event"
    if reason == "O1 welcome":
        return "welcome"
    if reason == "O2 reminder":
        return "reminder"
    if reason == "O2 deadline":
        return "deadline"
    if reason == "A3 check-in":
        return "checkin"
    if reason == "T3 任务完成":
        return "task_done"
    if reason == "T3 level up":
        return "level_up"
    if reason == "T3 season end":
        return "season_end"
    if reason == "T3 season start":
        return "season_start"
    if reason == "R2 warning expired":
        return "warning_expired"
    return None


@dataclass(frozen=True)
class Item:
    at: dt.datetime
    kind: str
    group: str
    member: str | None
    key: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind, "group": self.group,
                "member": self.member, "key": self.key, "reason": self.reason}


@dataclass
class Rehearsal:
    start: dt.date
    days: int
    members: int
    seed: int
    tz: str
    timeline: list[Item] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        seen = Counter(item.kind for item in self.timeline)
        return {name: sum(seen[k] for k in kinds) for name, kinds in TOTALS.items()}

    def to_json(self) -> dict[str, Any]:
        return {"plan_start": self.start.isoformat(), "days": self.days,
                "members": self.members, "seed": self.seed, "timezone": self.tz,
                "totals": self.totals, "timeline": [i.to_json() for i in self.timeline]}

    def day_lines(self, *, per_day: int = 8) -> Iterator[str]:
        """Per simulated day: what the bot did, counted, then the first items."""
        by_day: dict[dt.date, list[Item]] = {}
        for item in self.timeline:
            by_day.setdefault(item.at.date(), []).append(item)
        for n in range(self.days):
            day = self.start + dt.timedelta(days=n)
            items = by_day.get(day, [])
            counts = Counter(i.kind for i in items)
            summary = " · ".join(f"{KIND_ZH.get(k, k)} {c}" for k, c in sorted(counts.items()))
            yield (f"{day.isoformat()} 周{WEEKDAY_ZH[day.weekday()]}  "
                   f"{summary or '（无事）'}")
            for item in items[:per_day]:
                who = f" @{item.member}" if item.member else ""
                # The kind says what; the reason is added where it says more than that.
                why = "" if item.reason in (REASON_ZH.get(item.kind), KIND_ZH.get(item.kind)) \
                    else f"：{item.reason}"
                yield f"    {item.at:%H:%M} {KIND_ZH.get(item.kind, item.kind)}{who}{why}"
            if len(items) > per_day:
                yield f"    …另有 {len(items) - per_day} 项"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- the synthetic community --------------------------------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞")
CITIES = ("北京", "上海", "杭州", "成都", "深圳", "武汉", "南京", "西安")
JOBS = ("财务", "老师", "产品经理", "运营", "销售", "设计师", "学生", "工程师")
CHATTER = ("有人用过这个方法吗？", "今天的内容很有用，谢谢分享", "我也遇到过同样的问题",
           "周末一起练习吗", "这个思路不错，学到了", "请问资料在哪里下载", "哈哈确实是这样",
           "我来分享一个小技巧：先把问题拆小", "昨天试了一下，成功了", "大家早上好")
AD = "加微信 vx{n} 低价代购，扫码领红包 http://spam{n}.example.com"
HOMEWORK = "https://gist.example.cn/{user}/homework"  # a synthetic task hand-in's link


@dataclass(frozen=True)
class Persona:
    """How one kind of synthetic member behaves."""

    name: str
    share: float  # of the members (dealt by quota, at least one of each from ten members)
    rate: float  # messages a day after onboarding (0: silent)
    diligent: float  # chance of doing all the newcomer tasks (rename, intro, questionnaire)
    leaves: float = 0.0  # chance of leaving within a few weeks


PERSONAS = (
    Persona("active", 0.20, 3.0, 0.95),
    Persona("casual", 0.38, 0.6, 0.85, leaves=0.12),
    Persona("lurker", 0.20, 0.03, 0.35, leaves=0.12),  # reads; some do only part of it
    Persona("ghost", 0.14, 0.0, 0.8),  # does the newcomer tasks, then never speaks again
    Persona("spammer", 0.08, 1.0, 0.0),  # posts adverts until warned out
)


def deal_personas(members: int, rng: random.Random) -> list[Persona]:
    """`members` personas in the plan's shares (largest remainder), shuffled by the seed;
    from ten members on, at least one of each, so a rehearsal shows each behaviour."""
    quotas = [p.share * members for p in PERSONAS]
    counts = [int(q) for q in quotas]
    if members >= 10:
        counts = [max(1, c) for c in counts]
    by_remainder = sorted(range(len(PERSONAS)), key=lambda i: quotas[i] - int(quotas[i]),
                          reverse=True)
    for i in itertools.islice(itertools.cycle(by_remainder), max(0, members - sum(counts))):
        counts[i] += 1
    while sum(counts) > members:  # the minimum of one each took seats: from the largest
        counts[counts.index(max(counts))] -= 1
    dealt = [p for p, c in zip(PERSONAS, counts, strict=True) for _ in range(c)]
    rng.shuffle(dealt)
    return dealt


def form_answer(question: str, rng: random.Random) -> str:
    """A plausible answer to a questionnaire question: one of the options it lists
    (「（零基础 / 会一点 / 能写脚本）」), a city, a number of hours, else a few words."""
    listed = re.search(r"[（(]([^）)]*/[^）)]*)[）)]", question)
    if listed:
        return rng.choice([o.strip() for o in listed.group(1).split("/") if o.strip()])
    if "城市" in question or "哪里" in question:
        return rng.choice(CITIES)
    if "小时" in question:
        return f"{rng.randint(2, 10)} 小时"
    return rng.choice(("还在摸索", "想系统地学一学", "朋友推荐来的"))


@dataclass
class _Member:
    n: int
    ref: UserRef
    persona: str
    rate: float
    group: GroupRef
    joined: dt.datetime
    gone: bool = False
    diligent: bool = True  # answers the bot's questionnaire
    dm: GroupRef | None = None

    def present(self, at: dt.datetime) -> bool:
        """In the group at `at`: joined by then (every member is drawn up front, with a
        join date ahead) and not gone."""
        return not self.gone and self.joined <= at

class _Queue:
    """Events in time order; a rehearsal adds events as the bot acts (a kick → a leave)."""

    def __init__(self) -> None:
        self.heap: list[tuple[dt.datetime, int, Event]] = []
        self.counter = itertools.count()

    def push(self, event: Event) -> None:
        heapq.heappush(self.heap, (event.at, next(self.counter), event))

    def peek(self) -> dt.datetime | None:
        return self.heap[0][0] if self.heap else None

    def pop_batch(self, until: dt.datetime, *, limit: int = 500) -> list[Event]:
        """Events up to `until`, ending after the first join (or at `limit`)."""
        out: list[Event] = []
        while self.heap and self.heap[0][0] <= until and len(out) < limit:
            event = heapq.heappop(self.heap)[2]
            out.append(event)
            if isinstance(event, MemberJoined):
                break
        return out


def owner_id(plan: Plan) -> str:
    """The synthetic group's owner: the plan's first admin, else an account of its own —
    the room's moderator either way (an admin to the bot: never eliminated, off boards)."""
    return plan.bot.admins[0] if plan.bot.admins else "owner"


class _Community:
    def __init__(self, plan: Plan, *, start: dt.datetime, days: int, members: int,
                 rng: random.Random) -> None:
        self.plan = plan
        self.start = start
        self.days = days
        self.rng = rng
        self.group = GroupRef(PLATFORM, "group-1", plan.community.name)
        self.queue = _Queue()
        self.ids = itertools.count(1)
        self.members: dict[str, _Member] = {}
        self.tasks = {t for t in self._task_names()}
        owner = UserRef(PLATFORM, owner_id(plan), "群主")
        self.push(MessagePosted, at=start, actor=owner, text="群开了，欢迎大家！")
        join_span = max(1.0, days * 0.6)
        for n, persona in enumerate(deal_personas(members, rng), start=1):
            self._member(n, start + dt.timedelta(days=rng.uniform(0, join_span)), persona)

    def _task_names(self) -> Iterator[str]:
        cal = self.plan.calendar
        for post in cal.posts:
            if post.task:
                yield post.task.name
        for campaign in cal.campaigns:
            for day in campaign.days:
                if day.task:
                    yield day.task.name

    def push(self, cls: type[Event], *, at: dt.datetime, **fields: Any) -> None:
        at = at.replace(microsecond=0)
        self.queue.push(cls(source=SOURCE, source_event_id=f"e{next(self.ids)}",
                            group=self.group, at=at, **fields))

    def _member(self, n: int, joined: dt.datetime, persona: Persona) -> None:
        rng = self.rng
        name = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{n}"
        ref = UserRef(PLATFORM, f"m{n}", name)
        diligent = rng.random() < persona.diligent
        member = _Member(n, ref, persona.name, persona.rate, self.group,
                         joined.replace(microsecond=0), diligent=diligent,
                         dm=GroupRef(PLATFORM, f"{DM_PREFIX}{ref.user_id}", None, kind="direct"))
        self.members[ref.user_id] = member
        self.push(MemberJoined, at=joined, member=ref, via="link")
        onboarding = self.plan.onboarding
        # The newcomer tasks, well inside the deadline; a lurker who is not diligent may
        # still rename (and then reads on without introducing themselves).
        renames = diligent or (persona.name == "lurker" and rng.random() < 0.5)
        if onboarding.nickname_pattern and persona.name != "spammer" and renames:
            nick = f"{name}-{rng.choice(CITIES)}-{rng.choice(JOBS)}"
            self.push(NicknameChanged, at=joined + dt.timedelta(minutes=rng.uniform(2, 300)),
                      member=UserRef(PLATFORM, ref.user_id, nick), old=name, new=nick)
        if onboarding.self_intro and diligent:
            self.push(MessagePosted, at=joined + dt.timedelta(minutes=rng.uniform(5, 600)),
                      actor=ref, text=f"大家好，我是{name}，在{rng.choice(CITIES)}做"
                                      f"{rng.choice(JOBS)}，希望在这里多学习、多交流")
        leaves = rng.random() < persona.leaves
        last = self.start + dt.timedelta(days=self.days)
        gone_at = joined + dt.timedelta(days=rng.uniform(3, 40)) if leaves else last
        at = joined + dt.timedelta(hours=rng.uniform(1, 12))
        checkin = self.plan.checkins[0].keywords[0] if self.plan.checkins else None
        for _ in range(2000 if persona.rate > 0 else 0):  # bounded: at most 2000 messages
            at += dt.timedelta(days=rng.expovariate(persona.rate))
            if at >= gone_at:
                break
            if persona.name == "spammer":
                text = AD.format(n=n)
            elif checkin and persona.name == "active" and rng.random() < 0.35:
                text = f"{checkin} 今天学了{rng.randint(1, 3)}小时"
            else:
                text = rng.choice(CHATTER)
            self.push(MessagePosted, at=at, actor=ref, text=text)
        if gone_at < last:
            self.push(MemberLeft, at=gone_at, member=ref)

    def still_acts(self, event: Event) -> bool:
        """False for what a member drawn up front would have said in the group after they
        were removed or left (a removed spammer posts no more adverts); their DMs to the
        bot (`!复活`) still go. A leave marks the member gone."""
        if isinstance(event, MemberLeft):
            left = self.members.get(event.member.user_id)
            if left is not None:
                left.gone = True
            return True
        who = (event.actor if isinstance(event, MessagePosted)
               else event.member if isinstance(event, NicknameChanged) else None)
        member = self.members.get(who.user_id) if who is not None else None
        return member is None or not member.gone or event.group.kind == "direct"

    def _answer_form(self, effect: Effect, at: dt.datetime, actor: UserRef | None) -> bool:
        """O2: a diligent newcomer answers each questionnaire question the bot asks — in
        the DM (the question, then each reply's next one) or in the room (`!资料`)."""
        if effect.reason != "O2 form" or not self.plan.onboarding.form:
            return False
        text = getattr(effect, "text", "")
        question = re.search(r"新人问卷 \d+/\d+：([^\n]+)", text)
        who = (effect.member if isinstance(effect, DirectMessage)
               else effect.mentions[0] if isinstance(effect, Send) and effect.mentions
               else actor if isinstance(effect, Reply) else None)
        member = self.members.get(who.user_id) if who is not None else None
        if question is None or member is None or not member.diligent or member.gone:
            return True
        answer = form_answer(question.group(1), self.rng)
        later = (at + dt.timedelta(minutes=self.rng.uniform(1, 90))).replace(microsecond=0)
        if self.plan.onboarding.form_channel == "dm" and member.dm is not None:
            self.queue.push(MessagePosted(source=SOURCE, source_event_id=f"e{next(self.ids)}",
                                          group=member.dm, at=later, actor=member.ref,
                                          text=answer))
        else:
            self.push(MessagePosted, at=later, actor=member.ref, text=f"!资料 {answer}")
        return True

    def react(self, effect: Effect, at: dt.datetime, actor: UserRef | None = None) -> None:
        """Members answer the bot: newcomers answer the questionnaire, the removed leave
        (and some ask to come back — handing in the plan's revival task where it names
        one), some do the task a post sets, register for an event, come, and rate it.
        `actor`: who wrote the message the effect answers (a reply's member)."""
        if self._answer_form(effect, at, actor):
            return
        if isinstance(effect, Kick):
            member = self.members.get(effect.member.user_id)
            if member is not None and not member.gone:
                member.gone = True
                self.push(MemberLeft, at=at + dt.timedelta(seconds=1), member=member.ref)
                # Who did the newcomer tasks cares more about coming back; advertisers never.
                keen = 0.0 if member.persona == "spammer" else 0.7 if member.diligent else 0.3
                if self.rng.random() < keen and member.dm is not None:
                    task = elimination_service.revival_task(self.plan)
                    text = (f"!复活 {HOMEWORK.format(user=member.ref.user_id)} 补交了「{task}」"
                            if task else "!复活 我会重新积极参与，请让我回群")
                    self.queue.push(MessagePosted(
                        source=SOURCE, source_event_id=f"e{next(self.ids)}", group=member.dm,
                        at=(at + dt.timedelta(hours=self.rng.uniform(2, 48))).replace(
                            microsecond=0),
                        actor=member.ref, text=text))
            return
        if isinstance(effect, Invite):  # E2: the invited accept within a few hours
            back = self.members.get(effect.member.user_id)
            if back is not None and back.gone:
                back.gone = False
                self.push(MemberJoined, at=at + dt.timedelta(hours=self.rng.uniform(0.1, 6)),
                          member=back.ref, via="invite")
            return
        if isinstance(effect, Send) and effect.policy == "activities":
            self._event(effect, at)
            return
        if not (isinstance(effect, Send) and effect.policy in ("calendar", "campaigns")):
            return
        task = next((t for t in self.tasks if f"!完成 {t}" in effect.text), None)
        if task is None:
            return
        targets = ([self.members[m.user_id] for m in effect.mentions if m.user_id in
                    self.members] or list(self.members.values()))
        for member in targets:
            willing = {"active": 0.7, "casual": 0.3}.get(member.persona, 0.0)
            if member.present(at) and self.rng.random() < willing:
                self.push(MessagePosted, at=at + dt.timedelta(minutes=self.rng.uniform(5, 240)),
                          actor=member.ref, text=f"!完成 {task}")


    def _event(self, effect: Send, at: dt.datetime) -> None:
        """A5: the announced get registered, the reminded come, the ones who came rate it."""
        key = str(effect.evidence.get("activity", ""))
        plan_event = next((e for e in self.plan.event_occurrences() if e.key == key), None)
        if plan_event is None:
            return
        starts = plan_event.starts if plan_event.starts.tzinfo else plan_event.starts.replace(
            tzinfo=ZoneInfo(self.plan.bot.timezone))
        rng = self.rng
        step = effect.reason
        for member in self.members.values():
            if not member.present(at) or member.persona == "spammer":
                continue
            keen = {"active": 0.6, "casual": 0.25, "lurker": 0.05}.get(member.persona, 0.0)
            if step == "A5 announced" and rng.random() < keen:
                soon = at + dt.timedelta(hours=rng.uniform(0.2, 20))
                self.push(MessagePosted, at=max(at + dt.timedelta(minutes=1),
                                                min(soon, starts - dt.timedelta(minutes=90))),
                          actor=member.ref, text="!报名")
            elif step == "A5 reminded_hour" and rng.random() < keen * 1.2:
                self.push(MessagePosted, at=starts + dt.timedelta(minutes=rng.uniform(-20, 15)),
                          actor=member.ref, text="!签到")
            elif step == "A5 ended" and rng.random() < keen:
                self.push(MessagePosted, at=at + dt.timedelta(hours=rng.uniform(0.1, 12)),
                          actor=member.ref, text=f"!反馈 {rng.choice((3, 4, 4, 5, 5))} 很有收获")


DM_PREFIX = "dm-"  # a removed member's one-to-one room with the bot (`!复活`)


def _simulated_direct(group: GroupRef) -> bool:
    """The rehearsal's adapter check: its DM rooms are direct, as a platform's are (the
    stored group forgets the kind, so without this the bot posted events and calendar
    posts into a member's DM room once they had written `!复活` there)."""
    return group.kind == "direct" or group.group_id.startswith(DM_PREFIX)


# -- the run ------------------------------------------------------------------------------
def rehearse(engine: Engine, plan: Plan, *, days: int, members: int, seed: int,
             start: dt.date, classifiers: Sequence[Classifier] = (),
             approve: bool = False,
             progress: Callable[[int], None] | None = None) -> Rehearsal:
    """Run the plan's bot over `days` simulated days from `start` (local midnight).

    `approve`: a stand-in operator approves every open removal (E1, review queue) and
    revival application (E2) each simulated midnight; without it they wait, as they would
    for a real operator who never looks.

    `progress(days_done)` is called each time the simulated clock enters a new day (the
    CLI draws a progress bar with it: 90 days take a while of real time)."""
    tz = ZoneInfo(plan.bot.timezone)
    begin = dt.datetime.combine(start, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = begin + dt.timedelta(days=days)
    with engine.begin() as conn:
        cid = community_repo.get_or_create_community(
            conn, slug=plan.community.slug, name=plan.community.name,
            now_ms=int(begin.timestamp() * 1000))
    clock = {"now": begin}
    # A dry run: effects are audited as `dry_run`, never delivered (nothing would take
    # them), and what is costly to build for real (the weekly PDF) is only announced.
    owner = frozenset({owner_id(plan)})
    pipeline = Pipeline(engine, community_id=cid, plan=plan, clock=lambda: clock["now"],
                        policies=build_policies(plan, is_direct=_simulated_direct,
                                                room_admins=lambda _group: owner),
                        dry_run=True)
    schedule = build_scheduler(engine, community_id=cid, plan=plan, now=begin)
    community = _Community(plan, start=begin, days=days, members=members,
                           rng=random.Random(seed))
    result = Rehearsal(start=start, days=days, members=members, seed=seed, tz=plan.bot.timezone)
    kinds = [*classifiers, classify]
    probes = _ProbeTimes(plan, begin)
    next_slot = schedule.next_at()
    tiers_seen = 0  # the last tier move (growth_tier_changes id) put on the timeline
    days_done = 0
    for _ in range(days * 2000):  # bounded: each step is a batch of events or a due instant
        instant = min(t for t in (next_slot, probes.next(), end) if t is not None)
        if progress is not None and (now_day := (instant - begin) // dt.timedelta(days=1)) \
                > days_done:
            days_done = min(now_day, days)
            progress(days_done)
        popped = community.queue.pop_batch(instant)
        batch = [e for e in popped if community.still_acts(e)]
        if popped and not batch:
            continue  # only words of the removed: nothing reached the bot
        if batch:
            # Members' events up to the instant, in one transaction; a join ends a batch
            # (it may schedule a camp day before the instant).
            clock["now"] = batch[-1].at
            for event, outcome in zip(batch, _process(pipeline, batch), strict=True):
                actor = event.actor if isinstance(event, MessagePosted) else None
                for planned in outcome.effects:
                    _note(result, planned.effect, event.at, tz, kinds, actor=actor)
                    community.react(planned.effect, event.at, actor)
                    probes.after_effect(planned.effect, event.at)
                if isinstance(event, MemberJoined):
                    probes.after_join(event.at)
            next_slot = schedule.next_at()
            continue
        if instant >= end:
            break
        clock["now"] = instant
        wanted = probes.pop(instant)
        if approve and wanted:
            with engine.begin() as conn:
                elimination_service.approve_open(conn, community_id=cid, operator="rehearsal")
        for tick in schedule.due(instant, probes=wanted):
            done = pipeline.process(tick).effects
            if tick.timer == growth_service.KIND:
                # The moves first, then what followed from them (praise, titles, DMs).
                tiers_seen = _note_tier_changes(result, engine, cid, tick, tz, tiers_seen)
            for planned in done:
                _note(result, planned.effect, instant, tz, kinds)
                community.react(planned.effect, instant)
                probes.after_effect(planned.effect, instant)
        later = schedule.next_at()
        # A slot that stays due (nothing to fire yet) must not stall the clock.
        next_slot = later if later is None or later > instant else \
            instant + dt.timedelta(seconds=1)
    _note_onboarded(result, engine, cid, community.group, tz)
    return result


def _note_onboarded(result: Rehearsal, engine: Engine, community_id: int, group: GroupRef,
                    tz: ZoneInfo) -> None:
    """O2: a checklist completes without an effect of its own when its last step is the
    questionnaire in the DM, so completions are read from the checklists and put on the
    timeline in time order (a stable sort: same seed, same timeline)."""
    with engine.connect() as conn:
        for row in onboarding_repo.completions(conn, community_id=community_id):
            member = lookup.member_ref(conn, member_id=int(row["member_id"]))
            at = dt.datetime.fromtimestamp(int(row["completed_ms"]) / 1000, tz=dt.UTC)
            result.timeline.append(Item(
                at=at.astimezone(tz), kind="onboarded", group=group.name or group.group_id,
                member=member.display_name if member else None,
                key=f"onboarded:{row['member_id']}:{row['group_id']}",
                reason=REASON_ZH["onboarded"]))
    result.timeline.sort(key=lambda item: item.at)


def _process(pipeline: Pipeline, events: list[Event]) -> list[Any]:
    return pipeline.process_many(events) if len(events) > 1 else [pipeline.process(events[0])]


class _ProbeTimes:
    """When the probes' own rows fall due (welcome batches, onboarding reminders and
    deadlines, warning expiry) — computed from the plan as the rehearsal sees joins and
    warnings — plus every local midnight as a safety net."""

    def __init__(self, plan: Plan, begin: dt.datetime) -> None:
        self.plan = plan
        self.heap: list[dt.datetime] = []
        self.midnight = begin + dt.timedelta(days=1)

    def next(self) -> dt.datetime:
        return min(self.heap[0], self.midnight) if self.heap else self.midnight

    def pop(self, instant: dt.datetime) -> bool:
        hit = False
        while self.heap and self.heap[0] <= instant:
            heapq.heappop(self.heap)
            hit = True
        if self.midnight <= instant:
            self.midnight += dt.timedelta(days=1)
            hit = True
        return hit

    def _at(self, when: dt.datetime) -> None:
        heapq.heappush(self.heap, when + dt.timedelta(seconds=61))  # past the minute's key

    def after_join(self, at: dt.datetime) -> None:
        o = self.plan.onboarding
        self._at(at + dt.timedelta(seconds=o.welcome_batch_seconds))
        deadline = at + dt.timedelta(hours=o.deadline_hours)
        for hours in o.remind_before_hours:
            self._at(max(at, deadline - dt.timedelta(hours=hours)))
        self._at(deadline)

    def after_effect(self, effect: Effect, at: dt.datetime) -> None:
        if isinstance(effect, Warn):
            self._at(at + dt.timedelta(days=self.plan.moderation.warning_expiry_days))


def _note(result: Rehearsal, effect: Effect, now: dt.datetime, tz: ZoneInfo,
          kinds: Sequence[Classifier], *, actor: UserRef | None = None) -> None:
    kind = next((k for c in kinds if (k := c(effect)) is not None), None)
    if kind is None:
        return
    target = effect.target()
    if target is None and isinstance(effect, Send) and effect.mentions and kind != "season_end":
        target = effect.mentions[0]  # a season's end names its top members in the reason
    if target is None and isinstance(effect, DirectMessage):
        target = effect.member
    if target is None and isinstance(effect, Reply):
        target = actor  # a reply (a check-in, a task done) is about the member who wrote
    key = str(effect.evidence.get("key") or
              f"{kind}:{target.user_id if target else '-'}:{int(now.timestamp())}")
    if isinstance(effect, SetRole):  # a take and a give of one move, per group
        key = f"{key}:{effect.group.group_id}:{'give' if effect.give else 'take'}"
    result.timeline.append(Item(
        at=now.astimezone(tz), kind=kind, group=effect.group.name or effect.group.group_id,
        member=target.display_name if target else None, key=key,
        reason=reason_words(kind, effect)))


CODE = re.compile(r"^[A-Z]\d+ ")  # the playbook ID policies put before their audit reason
# What each kind means, in words, where the effect's own reason is only an audit code.
REASON_ZH = {"welcome": "新人欢迎", "reminder": "入群任务提醒（改昵称、自我介绍）",
             "deadline": "入群任务到期未完成，进入淘汰审核", "checkin": "群内打卡",
             "task_done": "完成任务", "level_up": "积分升级", "season_end": "赛季结束，公布前几名",
             "weekly_report": "周报发到管理群", "elimination_notice": "私信淘汰提醒",
             "revival_application": "复活申请，等待运营审核", "revival": "复活，邀请回群",
             "event": "活动公告", "event_checkin": "活动签到", "warning": "违规警告",
             "warning_expired": "警告到期", "removal": "移出群",
             "onboarded": "新人任务全部完成"}


def reason_words(kind: str, effect: Effect) -> str:
    """The timeline's reason as an operator reads it: the policy's own words without
    the playbook code ("E1 淘汰：沉默 30 天" → "淘汰：沉默 30 天"), else what the kind
    means, with the detail the effect carries (the task's name, the level reached)."""
    words = CODE.sub("", effect.reason)
    evidence = effect.evidence
    if kind == "revival" and evidence.get("task"):
        return f"交了复活任务「{evidence['task']}」，自动邀请回群"
    if kind == "task_done" and evidence.get("task"):
        return f"完成任务「{evidence['task']}」"
    if kind == "season_end" and isinstance(effect, Send):
        top = "、".join(m.display_name or m.user_id for m in effect.mentions)
        name = evidence.get("name") or "赛季"
        then = (f"；「{evidence['starting_name']}」开始" if evidence.get("starting_name")
                else "")
        return (f"「{name}」结束，公布前几名：{top}{then}" if top
                else f"「{name}」结束，无人上榜{then}")
    if kind == "season_start":
        return f"「{evidence.get('starting_name') or '新赛季'}」今天开始"
    if kind == "role_change" and isinstance(effect, SetRole):
        tier = TIER_NAMES.get(effect.tier, effect.tier)
        of_tier = "" if effect.role == tier else f"（{tier}）"
        again = "，补发：计划新增了这个头衔" if effect.reason == "T2 role backfilled" else ""
        return (f"授予头衔「{effect.role}」{of_tier}{again}" if effect.give
                else f"悄悄收回头衔「{effect.role}」（不再是{tier}）")
    if kind == "event" and isinstance(effect, Send):  # which occurrence: name and date
        lines = effect.text.splitlines()
        name = lines[0].removeprefix("【活动】") if lines else ""
        when = next((x.removeprefix("时间：") for x in lines if x.startswith("时间：")), "")
        return f"活动公告「{name}」{when}"
    if kind == "level_up" and evidence.get("to"):
        return f"升级：{evidence.get('from') or '—'} → {evidence['to']}"
    if _has_cjk(words):
        return words
    return REASON_ZH.get(kind) or words


def _note_tier_changes(result: Rehearsal, engine: Engine, community_id: int,
                       tick: TimerFired, tz: ZoneInfo, seen: int) -> int:
    """T1: the daily tier pass moves members without an effect (a `TierChanged` in the log
    and a row of tier history; praise only for some promotions), so its moves are read
    from the history. A member's first tier is not a change; promotions and demotions
    are. Returns the last history id read."""
    with engine.connect() as conn:
        rows = tier_repo.changes_after(conn, community_id=community_id, after_id=seen)
        for row in rows:
            if row["direction"] not in ("promotion", "demotion"):
                continue
            member = lookup.member_ref(conn, member_id=int(row["member_id"]))
            before = TIER_NAMES.get(row["before"] or "", row["before"] or "—")
            result.timeline.append(Item(
                at=tick.at.astimezone(tz), kind="tier_change", group=tick.group.name or
                tick.group.group_id, member=member.display_name if member else None,
                key=f"{tick.source_event_id}:{row['member_id']}",
                reason=f"{before} → {TIER_NAMES.get(row['after'], row['after'])}"
                       f"（{'升级' if row['direction'] == 'promotion' else '降级'}）"
                       f"：{row['reason']}"))
    return int(rows[-1]["id"]) if rows else seen
