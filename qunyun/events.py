"""Normalized community events: what happened, whatever platform or export it came from.

Everything that enters qunyun — a Matrix sync, a Telegram export line, a scheduler
tick — becomes one of these frozen dataclasses before any policy or service sees it.
Platform types never leave `adapters/`; here there are only platform-neutral refs.

Each event carries `source` and `source_event_id`: together they are the idempotency
key of the event log, so delivering or importing the same event twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person as one platform knows them. `user_id` is stable; `display_name` is not."""

    platform: str
    user_id: str
    display_name: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.user_id)


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A chat group (room, chat, 群) as one platform knows it."""

    platform: str
    group_id: str
    name: str | None = None
    # "group" (a community group), "direct" (a one-to-one room with the bot: never a
    # group, whenever it was opened) or "admin" (the admins' room). The adapter knows.
    kind: str = "group"

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.group_id)


@dataclass(slots=True, kw_only=True)
class Event:
    """Common envelope. `at` is always timezone-aware UTC."""

    kind: ClassVar[str] = "event"
    source: str
    source_event_id: str
    group: GroupRef
    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"{type(self).__name__}.at must be timezone-aware, got {self.at!r}")


@dataclass(slots=True, kw_only=True)
class MessagePosted(Event):
    """A member said something. `media` names a non-text part (photo, video, file, sticker…)."""

    kind: ClassVar[str] = "message"
    actor: UserRef
    text: str = ""
    reply_to: str | None = None
    mentions: tuple[str, ...] = ()
    media: str | None = None
    forwarded: bool = False
    edited: bool = False
    # Raw image bytes when the adapter fetched them (live QR-code checks); never stored.
    image: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True, kw_only=True)
class MemberJoined(Event):
    """Someone entered the group. `via` is how: invite, link, qr, application, unknown."""

    kind: ClassVar[str] = "join"
    member: UserRef
    inviter: UserRef | None = None
    via: str = "unknown"


@dataclass(slots=True, kw_only=True)
class MemberLeft(Event):
    """Someone left; `removed_by` is set when another account removed them."""

    kind: ClassVar[str] = "leave"
    member: UserRef
    removed_by: UserRef | None = None


MUTED_UNTIL_LIFTED = 366 * 86_400  # Telegram: a restriction over 366 days is for ever


@dataclass(slots=True, kw_only=True)
class MemberMuted(Event):
    """An admin muted (禁言) a member on the platform for `seconds`, or lifted it (0): QQ's
    `group_ban` notice, Telegram's restriction from sending, Matrix's power level below
    what posting needs. Kept so the member's record shows moderation done by hand.
    `MUTED_UNTIL_LIFTED` or more: no end set (Telegram's "forever", a Matrix mute)."""

    kind: ClassVar[str] = "mute"
    member: UserRef
    by: UserRef | None = None
    seconds: int = 0


@dataclass(slots=True, kw_only=True)
class GroupMuted(Event):
    """An admin muted the whole group (全员禁言: only admins may post) or lifted it (`on`
    False): QQ's `group_ban` notice for user 0. A group's record, not a member's: `actor`
    is the admin who did it (None when the platform does not say)."""

    kind: ClassVar[str] = "group_mute"
    actor: UserRef | None = None
    on: bool = True


@dataclass(slots=True, kw_only=True)
class NicknameChanged(Event):
    """The member's display name in this group changed (群昵称)."""

    kind: ClassVar[str] = "nickname"
    member: UserRef
    old: str | None
    new: str


@dataclass(slots=True, kw_only=True)
class ReactionAdded(Event):
    kind: ClassVar[str] = "reaction"
    actor: UserRef
    target_event_id: str
    key: str


@dataclass(slots=True, kw_only=True)
class MessageRecalled(Event):
    """A message was withdrawn (撤回) or redacted by its author or an admin."""

    kind: ClassVar[str] = "recall"
    actor: UserRef | None
    target_event_id: str | None = None


@dataclass(slots=True, kw_only=True)
class RedPacketGrabbed(Event):
    """Someone opened a red packet (领取了…的红包): evidence for red-packet bots (R4)."""

    kind: ClassVar[str] = "redpacket"
    actor: UserRef
    sender: UserRef | None = None
    packet_id: str | None = None


@dataclass(slots=True, kw_only=True)
class CommandIssued(Event):
    """An explicit command (`!打卡`, `!rules`) by a member or an operator."""

    kind: ClassVar[str] = "command"
    actor: UserRef
    name: str
    args: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class TimerFired(Event):
    """A scheduled tick (reminders, sweeps, calendar posts). `timer` names the schedule."""

    kind: ClassVar[str] = "timer"
    timer: str
    payload: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, kw_only=True)
class TierChanged(Event):
    """The bot moved a member's held tier (T1), with the numbers behind it. The member is
    named by id, not as the event's actor: the bot did this, and it must not count as the
    member being seen (first/last seen, silence)."""

    kind: ClassVar[str] = "tier"
    member_id: int
    before: str | None
    after: str
    direction: str  # first | promotion | demotion
    reason: str
    numbers: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, kw_only=True)
class JoinRequested(Event):
    """An application to join (G1): Telegram `chat_join_request`, OneBot `request` group add.

    `answer` is what the applicant wrote (OneBot's `comment`: the answer to the group's
    question; Telegram's `bio`); `handle` is what the platform needs to answer it (OneBot's
    `flag`; Telegram's `user_chat_id`, where the bot may write within five minutes);
    `inviter` is the member whose invite link it came through."""

    kind: ClassVar[str] = "join_request"
    member: UserRef
    answer: str = ""
    handle: str = ""
    inviter: UserRef | None = None


@dataclass(slots=True, kw_only=True)
class BadgeAwarded(Event):
    """The bot awarded a member a badge of the plan (T3), with the rule it met. The member is
    named by id, as in `TierChanged`: the bot did this, not the member."""

    kind: ClassVar[str] = "badge"
    member_id: int
    badge: str  # the plan's badge key
    name: str
    rule: str


@dataclass(slots=True, kw_only=True)
class SaleRecorded(Event):
    """An operator recorded a sale attributed to a member (T5 "brings revenue"), from the
    console. The member is named by id, as in `TierChanged`: the operator did this, and it
    must not count as the member being seen. Amounts are in cents of `currency`."""

    kind: ClassVar[str] = "sale"
    member_id: int
    amount_cents: int
    currency: str
    note: str
    operator: str


EVENT_TYPES: tuple[type[Event], ...] = (
    MessagePosted,
    MemberJoined,
    MemberLeft,
    MemberMuted,
    GroupMuted,
    NicknameChanged,
    ReactionAdded,
    MessageRecalled,
    RedPacketGrabbed,
    CommandIssued,
    TimerFired,
    TierChanged,
    JoinRequested,
    BadgeAwarded,
    SaleRecorded,
)
EVENT_KINDS: dict[str, type[Event]] = {t.kind: t for t in EVENT_TYPES}


def utc(ts: float) -> datetime:
    """Seconds since the epoch → aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=UTC)


def actor_of(event: Event) -> UserRef | None:
    """The account that did the thing, whichever field holds it for this kind."""
    for name in ("actor", "member"):
        ref = getattr(event, name, None)
        if isinstance(ref, UserRef):
            return ref
    return None
