"""The community plan schema (P1): one YAML file per community.

Sections follow seed 000's eight questions — service, revenue, rules, welcome,
elimination (+ revival), volunteers, threshold, future — plus seed 002's
positioning/purpose/goals/values and the group size cap (P4). Operational sections
(onboarding, moderation, points, tiers, check-ins, bot) configure the bot and the
analytics and all have working defaults.

Every model forbids unknown keys: a typo must be an error, not a silently ignored
setting. Content sections are optional so that a draft loads and `plan check`
(qunyun.plan.check) can say, in the playbook's words, what is still missing.
"""

from __future__ import annotations

import weakref
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from qunyun.domain import event_series
from qunyun.plan.calendar import Calendar

Platform = Literal["wechat", "wecom", "qq", "telegram", "whatsapp", "matrix"]
RevenueModel = Literal["membership_fee", "own_products", "ads", "brokerage", "crowdfunding", "tips"]
ThresholdType = Literal["free", "invite", "application", "task", "paid", "tier"]
Tier = Literal["opinion_leader", "co_opinion_leader", "spreader", "active", "participant", "onlooker"]
Privilege = Literal[
    "delete_messages", "warn", "mute", "kick", "pin", "approve_members", "post_announcements",
    "review_queue", "answer_escalations",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Community(Strict):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$")
    platform: Platform
    positioning: Literal["auxiliary", "commercial"] | None = None
    # Engagement groups talk (recommended ≤200); broadcast groups mostly receive notices.
    group_type: Literal["engagement", "broadcast"] = "engagement"
    purpose: str | None = None
    goals: list[str] = []
    values: list[str] = []
    size_cap: int | None = Field(default=None, ge=2)


class Audience(Strict):
    """Target crowd on 2–4 dimensions (seed 000)."""

    age: str | None = None
    occupation: str | None = None
    city: str | None = None
    income: str | None = None
    family: str | None = None
    interests: str | None = None
    education: str | None = None

    def dimensions(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class Service(Strict):
    audience: Audience | None = None
    offering: str | None = None  # the sustained service (持续提供的服务)
    cycle_days: int | None = Field(default=None, ge=1)  # service cycle (服务周期)


class Revenue(Strict):
    models: list[RevenueModel] = []
    notes: str | None = None


class FaqItem(Strict):
    q: str = Field(min_length=1)
    a: str = Field(min_length=1)
    keywords: list[str] = []  # auto-reply triggers (A2); folded Traditional→Simplified


class Rules(Strict):
    """The seven sections of a rules document (P3), and when they were last revised."""

    revised_on: date | None = None
    intro: str | None = None
    services: list[str] = []
    forbidden: list[str] = []
    encouraged: list[str] = []
    faq: list[FaqItem] = []
    admins: list[str] = []
    feedback: str | None = None
    # R3: the same rules for everyone; true exempts admins from every moderation rule (one
    # rule at a time: `admins_exempt` on that rule under `moderation`).
    admins_exempt: bool = False


class Welcome(Strict):
    """The newcomer announcement (O1): greeting, offer, hosts, benefit, next steps."""

    greeting: str | None = None
    offer: str | None = None
    hosts: str | None = None
    benefit: str | None = None
    next_steps: list[str] = []


class FormQuestion(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    question: str = Field(min_length=1)
    required: bool = True
    # The answers the question takes (「零基础」「会一点」「能写脚本」): an answer that
    # names one of them, or its number, is stored as that choice; anything else is asked
    # again with the choices listed. Without choices any answer is kept as the member
    # typed it (an hours question takes 「5 小时左右」 as it is).
    choices: list[str] = Field(default=[], max_length=20)

    @field_validator("choices")
    @classmethod
    def _distinct_choices(cls, value: list[str]) -> list[str]:
        cleaned = [c.strip() for c in value]
        if any(not c for c in cleaned):
            raise ValueError("选项不能为空 / a choice cannot be empty")
        if len({c.casefold() for c in cleaned}) != len(cleaned):
            raise ValueError("选项不能重复 / choices must differ")
        return cleaned


class Onboarding(Strict):
    deadline_hours: float = Field(default=24, gt=0)
    nickname_pattern: str | None = None  # named groups become member attributes (O3)
    nickname_example: str | None = None
    self_intro: bool = True
    intro_min_chars: int = Field(default=10, ge=1)
    form: list[FormQuestion] = []
    # "dm": the bot asks the form privately (answers in the DM or with `!资料 答案`);
    # "room": it asks in the group with an @-mention (answers with `!资料 答案`).
    form_channel: Literal["dm", "room"] = "dm"
    remind_before_hours: list[float] = [12, 2]
    # The welcome waits this many seconds after a newcomer joins, and everyone who joined
    # in that window is welcomed in one message that @-mentions each of them (a burst of
    # 30 joins is not 30 posts); 0 = welcome each join at once.
    welcome_batch_seconds: int = Field(default=10, ge=0)
    # A message counts as the self-introduction (O2) when it is at least intro_min_chars
    # long and uses one of these words, follows the intro template, or replies to the
    # bot's welcome/reminder; a question to someone ("@老师 作业交不了") never does.
    intro_keywords: list[str] = ["我是", "我叫", "自我介绍", "介绍一下", "来自", "坐标",
                                 "从事", "职业", "目前在", "本人"]
    # e.g. "我是___，在___做___，想用 Python 解决___": shown in the welcome, and a
    # message with most of its fixed words is an introduction.
    intro_template: str | None = None


class Elimination(Strict):
    enabled: bool = True
    silent_days: int | None = Field(default=None, ge=1)
    onboarding_incomplete: bool = False
    notice_days: int | None = Field(default=None, ge=0)
    announce_in_rules: bool = True
    auto_remove: bool = False  # E3: without this, the operator confirms every removal
    sweep_cron: str = "0 10 * * 1"  # Mondays 10:00
    # E1 rules besides silence: below a tier at the end of a cycle, or the bottom N% by
    # messages over the cycle (末位淘汰); the cycle is `service.cycle_days` or 30 days.
    below_tier: Literal["active", "participant"] | None = None
    bottom_percent: float | None = Field(default=None, gt=0, le=50)
    announce_in_group: bool = False  # also name the noticed members in the group
    # Removals per sweep round: the rest wait for the next round (platform rate limits).
    max_removals_per_run: int = Field(default=10, ge=1)


class Revival(Strict):
    ways: list[Literal["task", "payment", "reapply", "referrals"]] = []
    description: str | None = None
    referrals: int = Field(default=3, ge=1)  # ways: referrals — members brought, in total
    # ways: task — the name of a plan task (a calendar post's or campaign day's `task.name`)
    # a removed member hands in by DM (`!复活 链接` or `!作业 链接`). Without it a task is
    # free text an operator reviews, like a payment or a re-application.
    task: str | None = Field(default=None, min_length=1, max_length=40)
    # Re-admit without review when a criterion the bot can check is met (referrals, or the
    # named task handed in with its link); a payment or a re-application is always
    # reviewed in the console (E2). False: a handed-in task waits in the revival queue.
    auto_readmit: bool = True


class VolunteerRole(Strict):
    name: str = Field(min_length=1)
    duties: str | None = None
    privileges: list[Privilege] = []


class Volunteers(Strict):
    """T4: about `target` volunteers, picked by the bot from the most active members and
    invited by DM (`!接受` / `!拒绝`); see `qunyun/services/volunteers.py`."""

    target: int = Field(default=10, ge=1)
    roles: list[VolunteerRole] = []
    # The daily pass (local time): pick and invite candidates, retire the inactive.
    auto_invite: bool = True  # false: candidates are only shown in the console
    daily_at: str = Field(default="05:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    min_tier: Tier = "active"  # candidates come from this tier and above (T1)
    # Retired, with a thank-you DM, after this many days without a message.
    inactive_days: int = Field(default=21, ge=1)
    # An invitation unanswered this long is closed as declined (the seat is free again).
    answer_days: int = Field(default=14, ge=1)
    # Who is on duty (pinged first for R5 escalations): each weekday one volunteer in
    # turn ("weekday"), or a new one every day ("daily"), or nobody ("off").
    rota: Literal["weekday", "daily", "off"] = "weekday"
    invite_text: str | None = None  # the invitation's opening words (else a default)


class Ambassadors(Strict):
    """T2 the ambassador programme (推广大使): a tier action `do: ambassador` invites the
    member by DM (`!接受` / `!拒绝`); an accepted ambassador gets their own invite link
    (where the platform has them) or code, and each member they bring earns them
    `points_per_member` contribution points. See `qunyun/services/ambassadors.py`."""

    enabled: bool = True  # false: `do: ambassador` invites nobody (the section is kept)
    invite_text: str | None = None  # the invitation's opening words; {name}, {community}
    perks: str | None = None  # what an ambassador gets, told in the invitation
    max: int = Field(default=20, ge=1)  # accepted and pending invitations together
    points_per_member: int = Field(default=30, ge=0)  # on top of `points.actions.invite`
    # A title the operator gives an accepted ambassador on the platform (a to-do: the
    # bot's own titles follow the tiers, `tier_actions.actions.<tier>.role`).
    role: str | None = Field(default=None, min_length=1, max_length=16)
    # An invitation unanswered this long is closed as declined (the seat is free again).
    answer_days: int = Field(default=14, ge=1)
    # A newcomer may give an ambassador's code with `!邀请码 CODE` this many days after
    # joining (where the join itself named nobody).
    code_days: int = Field(default=7, ge=1, le=90)


TierActionKind = Literal["dm", "praise", "volunteer", "ambassador", "todo", "none"]


class TierAction(Strict):
    """T2: what happens when a member enters a tier: a DM from the bot, public praise, an
    invitation to the volunteer or the ambassador programme, or an operator to-do with `text` as the draft;
    and, beside any of these, a role or title the bot gives on promotion and takes back
    silently on demotion (`role`; `policies/tier_actions.py`)."""

    do: TierActionKind = "none"
    text: str | None = None  # {name} is the member's name
    # The title members see (QQ 专属头衔, Telegram custom title: at most 16 characters).
    role: str | None = Field(default=None, min_length=1, max_length=16)
    # Matrix has no titles: the role is this power level in the room (moderators are 50).
    role_level: int = Field(default=10, ge=1, le=100)


class TierActions(Strict):
    """T2 the tier playbook as automation (`qunyun/policies/tier_actions.py`)."""

    # No member gets more than this many bot-initiated DMs a week (all of T2/T4's DMs).
    dm_per_week: int = Field(default=2, ge=0)
    buddy: bool = True  # introduce a member of the active tiers to each new onlooker
    actions: dict[Tier, TierAction] = {}


class PriceStep(Strict):
    after_days: int = Field(ge=0)
    price: Decimal = Field(ge=0)


class Threshold(Strict):
    type: ThresholdType
    price: Decimal | None = Field(default=None, ge=0)
    currency: str = "CNY"
    trial_days: int | None = Field(default=None, ge=1)
    price_steps: list[PriceStep] = []
    task: str | None = None
    min_tier: Tier | None = None
    application_questions: list[str] = []
    # G1 live (issue 16): an application whose answer holds one of these words is approved
    # by the bot; any other is rejected with `reject_reason`. Without words, applications
    # wait in the console's join-request queue for an operator.
    answer_keywords: list[str] = []
    reject_reason: str | None = None


class Toggle(Strict):
    enabled: bool = True


class Rule(Toggle):
    """A moderation rule (R1). R3: it applies to admins too unless `admins_exempt`."""

    admins_exempt: bool = False


class LinkPolicy(Rule):
    allow: list[str] = []  # domains that may be posted (e.g. the course site)


class KeywordPolicy(Rule):
    keywords: list[str] = [
        "加微信", "加V", "加VX", "VX", "薇信", "威信", "私聊我", "代理", "招代理", "兼职日结", "刷单",
        "返利", "优惠券", "免费领取", "扫码", "扫一扫", "二维码", "点击链接", "低价出售", "贷款", "博彩",
    ]


class FloodPolicy(Rule):
    messages: int = Field(default=8, ge=2)
    seconds: int = Field(default=10, ge=1)


class RepeatPolicy(Rule):
    times: int = Field(default=3, ge=2)  # the same text by one member
    seconds: int = Field(default=300, ge=1)
    accounts: int = Field(default=3, ge=2)  # the same text by this many different accounts
    # Shorter texts ("收到", "老师辛苦了") are how groups agree; they are never repeats.
    min_chars: int = Field(default=10, ge=1)


class MentionPolicy(Rule):
    max_mentions: int = Field(default=5, ge=1)


class OperatorPattern(Strict):
    name: str = Field(min_length=1)
    pattern: str = Field(min_length=1)  # RE2 syntax: cannot backtrack catastrophically
    reason: str = Field(min_length=1)
    admins_exempt: bool = False  # R3: admins too, unless the plan says otherwise


def _default_insults() -> list[str]:
    return ["傻逼", "煞笔", "脑残", "滚蛋", "去死", "废物", "白痴", "蠢货", "神经病", "有病吧", "你妈"]


def _default_negative() -> list[str]:
    return ["闭嘴", "滚", "垃圾", "骗子", "恶心", "胡说", "放屁", "呵呵", "无语", "搞笑", "你懂什么",
            "有本事", "凭什么", "不服"]


class HeatedPolicy(Toggle):
    """R5: insults, or two members trading negative messages quickly, alert an admin: one
    alert and one item per pair of members and day (later lines of the two join it)."""

    insults: list[str] = Field(default_factory=_default_insults)
    negative_words: list[str] = Field(default_factory=_default_negative)
    exchange_messages: int = Field(default=6, ge=2)  # alternating messages between two members
    exchange_seconds: int = Field(default=120, ge=1)
    negative_messages: int = Field(default=2, ge=1)  # of which at least this many are negative


class FakeAccounts(Strict):
    nickname_patterns: list[str] = [r"^A\S*", r"-(运营)?总监$", r"-总经理$", r"(?i)ceo$"]
    join_burst_count: int = Field(default=5, ge=2)
    join_burst_seconds: int = Field(default=120, ge=1)
    silent_days: int = Field(default=14, ge=1)
    auto_remove: bool = False


class Moderation(Strict):
    warn_limit: int = Field(default=3, ge=1)
    warning_expiry_days: float = Field(default=30, gt=0)
    # R2: one burst is one warning. Within this many seconds of a flood or repeat warning,
    # further breaches of that rule by the same member (the rest of a pasted block, the
    # same text sent again) are deleted without another warning; a flood's own window
    # always counts as one burst. Each advert or forbidden link is still its own warning.
    warning_cooldown_seconds: int = Field(default=60, ge=0)
    links: LinkPolicy = LinkPolicy()
    qr_codes: Rule = Rule()
    ad_keywords: KeywordPolicy = KeywordPolicy()
    flood: FloodPolicy = FloodPolicy()
    repeat: RepeatPolicy = RepeatPolicy()
    mass_mention: MentionPolicy = MentionPolicy()
    patterns: list[OperatorPattern] = []
    fake_accounts: FakeAccounts = FakeAccounts()
    heated: HeatedPolicy = HeatedPolicy()


class PointRule(Strict):
    points: int
    ledger: Literal["participation", "contribution"] = "participation"
    daily_cap: int | None = Field(default=None, ge=1)


class Level(Strict):
    name: str = Field(min_length=1)
    min_points: int = Field(ge=0)


def _default_actions() -> dict[str, PointRule]:
    return {
        "message": PointRule(points=1, daily_cap=20),
        "checkin": PointRule(points=5),
        "self_intro": PointRule(points=10),
        "reply_received": PointRule(points=2, ledger="contribution", daily_cap=50),
        "reaction_received": PointRule(points=1, ledger="contribution", daily_cap=50),
        "invite": PointRule(points=20, ledger="contribution"),
        "task": PointRule(points=10, daily_cap=30),  # a homework/task handed in with !作业
    }


class LevelCurve(Strict):
    """Levels on a curve instead of a list (T3), as the common bots do: level n needs
    `base × n` points (linear) or `base × n²` (quadratic); names from `name` with `{n}`."""

    kind: Literal["linear", "quadratic"] = "quadratic"
    base: int = Field(default=50, ge=1, le=1_000_000)
    count: int = Field(default=10, ge=2, le=200)
    name: str = Field(default="Lv{n}", min_length=1, max_length=40)

    def levels(self) -> list[Level]:
        return [Level(name=self.name.replace("{n}", str(n)),
                      min_points=self.base * (n if self.kind == "linear" else n * n))
                for n in range(self.count)]


class Decay(Strict):
    """T3 optional decay for long inactivity (off by default): a member who has earned
    nothing for `after_days` loses `percent` of each ledger's points every `every_days`,
    written to the ledger as its own action (`decay`), never silently."""

    enabled: bool = False
    after_days: int = Field(default=30, ge=1, le=3650)
    percent: float = Field(default=10, gt=0, le=100)
    every_days: int = Field(default=7, ge=1, le=365)


class ManualPoints(Strict):
    """T3 grants and deductions by admins (`!加分` / `!减分`, console): which ledger they
    go to and the most one grant may move."""

    ledger: Literal["participation", "contribution"] = "contribution"
    max_points: int = Field(default=1000, ge=1, le=1_000_000)


class Points(Strict):
    decay: Decay = Decay()
    manual: ManualPoints = ManualPoints()
    actions: dict[str, PointRule] = Field(default_factory=_default_actions)
    levels: list[Level] = [
        Level(name="新人", min_points=0),
        Level(name="成员", min_points=50),
        Level(name="骨干", min_points=200),
        Level(name="元老", min_points=800),
    ]
    # Admins (`bot.admins` and, with `bot.moderators_are_admins`, the groups' moderators)
    # are staff: they earn no points and are off the leaderboards and level-up posts (T3),
    # the tiers and the report's tier chart and to-do list (T1/T2), badges (T3) and core
    # users (T5) — the people running the group are not competing in it. True puts them
    # in all of these (`services.staff.off_growth`); volunteer candidates and elimination
    # leave admins out either way.
    include_admins: bool = False
    curve: LevelCurve | None = None  # when given, the levels come from it

    @model_validator(mode="before")
    @classmethod
    def _levels_from_curve(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("curve") is None:
            return data
        if "levels" in data:
            raise ValueError("give points.levels or points.curve, not both")
        try:
            curve = LevelCurve.model_validate(data["curve"])
        except ValueError:
            return data  # the curve's own errors are reported on its fields
        return {**data, "levels": curve.levels()}


class Tiers(Strict):
    """T1 thresholds over a trailing window; defaults and their reasons are in the README."""

    window_days: int = Field(default=30, ge=1)
    opinion_leader_share: float = Field(default=0.80, gt=0, le=1)
    co_opinion_leader_share: float = Field(default=0.95, gt=0, le=1)
    spreader_min_invites: int = Field(default=2, ge=1)
    active_min_messages: int = Field(default=20, ge=1)
    active_min_days: int = Field(default=4, ge=1)
    participant_min_messages: int = Field(default=1, ge=1)


class Growth(Strict):
    """T1 live tiers: the daily recompute in the bot (see `qunyun/services/growth.py`)."""

    enabled: bool = True  # false: tiers stay as the operator sets them, no daily recompute
    daily_at: str = Field(default="04:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    grace_days: int = Field(default=14, ge=0)  # no demotion this soon after a promotion
    keep: float = Field(default=0.9, gt=0, le=1)  # a demotion needs the bar at 90% missed
    praise_promotions: bool = True  # promotions to 传播者 / 意见领袖 praised in the group


class Badge(Strict):
    """T3: a badge the bot awards when a member meets its rule (`qunyun/domain/badges.py`),
    e.g. `checkin_streak >= 7`. A rule that does not parse is a `plan check` finding."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=40)
    rule: str = Field(min_length=1, max_length=500)
    description: str | None = None
    announce: bool = True  # congratulate in the group when awarded


class Seasons(Strict):
    """T3 seasons: the season board resets on each season's first day (all-time totals are
    kept). Either `start` with a length (`every_weeks` or `every_months`), or explicit
    first days in `starts` (the last one opens a season that runs until another is added).
    `name` fills in `{n}` (and `{year}`). On a season's first day at `announce_at` (local
    time, on the durable schedule: exactly once) the bot announces in the groups the
    season that ended, with its `announce_top` members (0: no results), and the one that
    starts (`announce_start`). `plan check` says what is missing or contradictory."""

    start: date | None = None
    every_weeks: int | None = Field(default=None, ge=1, le=520)
    every_months: int | None = Field(default=None, ge=1, le=120)
    starts: list[date] = []
    name: str = Field(default="第{n}季", min_length=1, max_length=40)
    announce_top: int = Field(default=3, ge=0, le=20)
    announce_start: bool = True
    announce_at: str = Field(default="10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class Checkin(Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    reward_points: int = Field(default=5, ge=0)
    streak_rewards: dict[int, int] = {7: 20, 21: 100}


class Health(Strict):
    floor_messages_per_day: float = Field(default=5, ge=0)
    floor_active_ratio: float = Field(default=0.05, ge=0, le=1)


class Bot(Strict):
    admin_room: str | None = None  # R5 alerts go here
    # Who the bot obeys as an admin (polls, `!结束投票`) and keeps off the points boards:
    # the platform ids listed here, plus, with `moderators_are_admins`, everyone the
    # platform makes a moderator of the room (Matrix: power level ≥ 50).
    admins: list[str] = []
    moderators_are_admins: bool = True
    command_prefixes: list[str] = ["!", "！"]
    # Local day for check-ins, daily point caps and daily sweeps (IANA name).
    timezone: str = "Asia/Shanghai"
    escalate_questions: bool = True  # R5: questions the FAQ cannot answer
    # R5: a question asked of the other members (「有人一起组队学习吗」), not of the bot or an
    # admin, goes to the admins only when nobody answered it within this many minutes
    # (0: at once). A question to the bot or the admins (老师/助教/管理员…) goes at once.
    question_wait_minutes: float = Field(default=30, ge=0)
    escalate_admin_mentions: bool = True  # R5: messages that @-mention an admin
    announce_level_up: bool = True  # T3: congratulate in the group on a new level

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from None
        return value


class EventRole(Strict):
    role: str = Field(min_length=1)  # 主持人, 嘉宾, 签到 …
    who: str | None = None


class BudgetLine(Strict):
    item: str = Field(min_length=1)
    amount: Decimal = Field(ge=0)


class Repeat(Strict):
    """A5 (plan `events[].repeat`): the event recurs — a topic night every third Saturday
    (`every: month, weekdays: [sat], nth: 3`), a weekly Q&A (`every: week, weekdays:
    [tue]`), every other day (`every: day, interval: 2`) — from its `starts`, up to
    `until` (a local date, inclusive) or `count` occurrences; with neither, for one year.
    Each occurrence is announced `announce_days_before` days ahead and is an event of its
    own: registered, reminded, checked in and summarised on its own."""

    every: Literal["day", "week", "month"]
    interval: int = Field(default=1, ge=1, le=365)  # every 2 weeks: 2
    weekdays: list[str] = []  # mon…sun or 周一…周日; a week's default: the start's weekday
    nth: int | None = None  # with every: month and one weekday: 1…5, -1 the last
    until: date | None = None
    count: int | None = Field(default=None, ge=1, le=event_series.MAX_OCCURRENCES)
    announce_days_before: int = Field(default=6, ge=1, le=90)

    def series(self) -> event_series.Series:
        return event_series.Series(every=self.every, interval=self.interval,
                                   weekdays=tuple(self.weekdays), nth=self.nth,
                                   until=self.until, count=self.count)

    @model_validator(mode="after")
    def _a_rule_that_reads(self) -> Repeat:
        problem = event_series.check(self.series())
        if problem is not None:
            raise ValueError(problem.zh)
        return self


class Activity(Strict):
    """A5: an online or offline event, with seed 003's template; one-off (`starts`) or a
    series (`repeat:`, expanded by `Plan.event_occurrences`)."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")  # `!报名 key` when several run
    name: str = Field(min_length=1, max_length=200)
    goal: str | None = None
    audience: str | None = None
    starts: datetime  # without an offset: the plan's time zone
    duration_minutes: int = Field(default=90, ge=1)
    place: str | None = None
    online_link: str | None = None
    agenda: list[str] = []
    roles: list[EventRole] = []
    budget: list[BudgetLine] = []
    expected_attendance: int | None = Field(default=None, ge=1)
    capacity: int | None = Field(default=None, ge=1)  # beyond it: the waiting list
    checkin_opens_minutes: int = Field(default=60, ge=0)  # `!签到` from this long before
    summary_after_hours: float = Field(default=24, ge=0)  # feedback window, then the summary
    repeat: Repeat | None = None
    # An occurrence of a series (from Plan.event_occurrences): the series' key; None for a
    # one-off event and for the series itself.
    _series: str | None = PrivateAttr(default=None)

    @property
    def series_key(self) -> str | None:
        return self._series

    @model_validator(mode="after")
    def _series_key_fits(self) -> Activity:
        if self.repeat is not None and len(self.key) > event_series.MAX_SERIES_KEY:
            raise ValueError(
                f"重复活动的标识「{self.key}」最多 {event_series.MAX_SERIES_KEY} 个字符"
                "（每一场的标识是它加上日期，例如 pandas-night-20260321）")
        return self


class Reports(Strict):
    """H4: the weekly report the bot posts to the admin room (summary + PDF)."""

    weekly: bool = True
    weekly_cron: str = "0 9 * * 1"  # Mondays 09:00, community time zone
    weekly_pdf: bool = True
    # Where the bot keeps the weekly HTML/PDF files; unset: $QUNYUN_REPORTS_DIR, else
    # `qunyun-reports/` next to the SQLite database (the working directory on PostgreSQL).
    out_dir: str | None = None


class GroupRoute(Strict):
    """G4: members whose attribute says one of `match` belong in `group` (its name)."""

    match: list[str] = Field(min_length=1)  # words the attribute's value is or contains
    group: str = Field(min_length=1, max_length=255)


class GroupMatrix(Strict):
    """G4 (plan `groups`): newcomers routed to their group by one member attribute (a named
    group of `onboarding.nickname_pattern` or a form question's key; the first route whose
    words match wins): don't mix beginners and experts, or cities. And the group a new
    group copies (`template`, by name: its topic, avatar, moderators and power levels on
    Matrix; the settings to copy by hand elsewhere); without one, the full group itself."""

    route_by: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
    routes: list[GroupRoute] = []
    template: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _routes_with_their_attribute(self) -> GroupMatrix:
        if self.routes and self.route_by is None:
            raise ValueError("groups.routes 需要 route_by（按成员的哪一项资料分群）")
        if self.route_by is not None and not self.routes:
            raise ValueError("groups.route_by 需要 routes（哪些资料分到哪个群）")
        return self


# Plan.event_occurrences, computed once per plan object (a plan is frozen). Kept outside
# the model so that two equal plans stay equal; an entry goes with its plan.
_OCCURRENCES: dict[int, tuple[Activity, ...]] = {}


class Plan(Strict):
    version: Literal[1] = 1
    community: Community
    service: Service | None = None
    revenue: Revenue | None = None
    rules: Rules | None = None
    welcome: Welcome | None = None
    elimination: Elimination | None = None
    revival: Revival | None = None
    volunteers: Volunteers | None = None
    ambassadors: Ambassadors | None = None  # T2 the ambassador programme (issue 15)
    threshold: Threshold | None = None
    future: str | None = None  # what the community looks like in a year
    onboarding: Onboarding = Onboarding()
    moderation: Moderation = Moderation()
    points: Points = Points()
    tiers: Tiers = Tiers()
    checkins: list[Checkin] = []
    health: Health = Health()
    bot: Bot = Bot()
    calendar: Calendar = Calendar()  # A1 timed posts and campaign SOPs (plan/calendar.py)
    reports: Reports = Reports()
    events: list[Activity] = []  # one-off and recurring; read through event_occurrences()
    growth: Growth = Growth()  # T1 live tiers (issue 15)
    badges: list[Badge] = []  # T3 badges by rule (issue 15)
    seasons: Seasons | None = None  # T3 season boards (issue 15)
    tier_actions: TierActions | None = None  # T2 tier playbook as automation (issue 15)
    groups: GroupMatrix | None = None  # G4 routing by an attribute, template group (16)
    def event_occurrences(self) -> tuple[Activity, ...]:
        """Every event the bot runs, soonest first: each one-off event as it is, and each
        occurrence of a series as an event of its own — key `<series key>-YYYYMMDD`,
        `starts` its local start, `series_key` the series' (and its `repeat`). The services
        read events through this, never `events` directly."""
        cached = _OCCURRENCES.get(id(self))
        if cached is None:
            out: list[Activity] = []
            tz = self.bot.timezone
            for a in self.events:
                if a.repeat is None:
                    out.append(a)
                    continue
                starts = a.starts if a.starts.tzinfo is None else \
                    a.starts.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
                for at in event_series.local_starts(a.repeat.series(), starts):
                    occurrence = a.model_copy(update={
                        "key": event_series.occurrence_key(a.key, at.date()), "starts": at})
                    occurrence._series = a.key
                    out.append(occurrence)
            out.sort(key=lambda e: e.starts if e.starts.tzinfo is not None
                     else e.starts.replace(tzinfo=ZoneInfo(tz)))
            cached = _OCCURRENCES[id(self)] = tuple(out)
            weakref.finalize(self, _OCCURRENCES.pop, id(self), None)
        return cached

    def event_series(self, key: str) -> Activity | None:
        """The plan's series with this key (None: no such series, or a one-off event)."""
        return next((a for a in self.events if a.key == key and a.repeat is not None), None)
