"""Outgoing intents as plain data: what the pipeline wants done.

Policies never call a platform. They return effects; the dispatcher records every
effect in the audit log with its `reason` and `evidence`, then hands it to a sink:
an adapter (live), or a findings collector (import, dry run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from qunyun.events import GroupRef, UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Effect:
    kind: ClassVar[str] = "effect"
    group: GroupRef
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    policy: str = ""

    def target(self) -> UserRef | None:
        return getattr(self, "member", None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Send(Effect):
    """Post a message to the group, @-mentioning `mentions`."""

    kind: ClassVar[str] = "send"
    text: str
    mentions: tuple[UserRef, ...] = ()
    # Nicknames the text names without @-mentioning them (a board's lines): written as
    # members read them by `pipeline/addressing.py`, which empties this.
    named: tuple[str, ...] = ()

    def target(self) -> UserRef | None:
        # A post about one member (a level-up, a reminder) is audited as about that member,
        # not about whoever's event set it off (an inviter's level-up on a newcomer's join).
        return self.mentions[0] if len(self.mentions) == 1 else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply(Effect):
    kind: ClassVar[str] = "reply"
    event_id: str
    text: str
    named: tuple[str, ...] = ()  # as `Send.named`
    # How the text names the member it answers when that is not their display name (the
    # plan's name part, `pipeline/addressing.py`): the adapter's pill uses it.
    author_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectMessage(Effect):
    kind: ClassVar[str] = "dm"
    member: UserRef
    text: str
    named: tuple[str, ...] = ()  # as `Send.named`


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete(Effect):
    """Remove a message (redact / 撤回)."""

    kind: ClassVar[str] = "delete"
    event_id: str
    member: UserRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Warn(Effect):
    """A recorded warning (R2); `count` is the member's live warnings including this one."""

    kind: ClassVar[str] = "warn"
    member: UserRef
    count: int
    limit: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Kick(Effect):
    """Remove the member from the group (送机票)."""

    kind: ClassVar[str] = "kick"
    member: UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Invite(Effect):
    """Invite the member (back) into the group: an upheld appeal (R3), a revival (E2)."""

    kind: ClassVar[str] = "invite"
    member: UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class InviteLink(Effect):
    """G2: create the member's own invite link to the group (named after them, so the joins
    it brings are attributed to them) and give it to them. Only where the platform has
    per-member links (`capabilities.invite_links`)."""

    kind: ClassVar[str] = "invite_link"
    member: UserRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Mute(Effect):
    kind: ClassVar[str] = "mute"
    member: UserRef
    seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AwardPoints(Effect):
    """Points ledger entry (T3); participation and contribution are kept apart (T5)."""

    kind: ClassVar[str] = "points"
    member: UserRef
    points: int
    ledger: str  # "participation" | "contribution"
    action: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert(Effect):
    """Ask a human admin to step in (R5), with a prepared reply script. Posted in the admins'
    room, @-mentioning the admins who can act (`ping`; off for a notice nobody has to act
    on at once, such as a removal the bot already made). `awaits_decision`: work waiting
    on an admin (an appeal) pings every time, not at most once in ten minutes like the
    rest — an un-pinged appeal in a quiet room was missed (issue 11 walk13 finding 45)."""

    kind: ClassVar[str] = "alert"
    text: str
    suggested_reply: str = ""
    member: UserRef | None = None
    ping: bool = True
    # The console page it is about, inside the community (`queues/12`, `members/42`):
    # linked in the admins' room when the console's address is known
    # (`services/console_link`).
    page: str = ""
    awaits_decision: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Flag(Effect):
    """Put a member in a review queue (R4 suspects, E1 candidates) without acting."""

    kind: ClassVar[str] = "flag"
    member: UserRef
    queue: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SendFile(Effect):
    """Post a file (H4: the weekly PDF) to the admin room (never the public group)."""

    kind: ClassVar[str] = "file"
    path: str
    filename: str
    content_type: str = "application/pdf"
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerJoinRequest(Effect):
    """Approve or reject an application to join (G1). `message` is what the applicant is
    told on a rejection (OneBot's `reason`; on Telegram a DM in the request's window);
    `handle` is the request's own (`JoinRequested.handle`)."""

    kind: ClassVar[str] = "join_answer"
    member: UserRef
    approve: bool
    handle: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetRole(Effect):
    """T2: give the member the plan's role for their tier in the group (`give`), or take
    back the one the bot gave. `role` is the title members see (QQ special title); on
    Matrix the role is power level `level`. Only where `capabilities.member_roles`; an
    adapter that cannot (QQ when the bot is not the group's owner) leaves a to-do."""

    kind: ClassVar[str] = "role"
    member: UserRef
    role: str
    tier: str  # the tier the role belongs to (evidence is not kept in the outbox)
    level: int = 10
    give: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenGroup(Effect):
    """G4: `group` is full; open the next group, `name`, and post `text` in the full group
    with the new group's link in place of `{link}`. Only where the platform lets the bot
    create groups (`capabilities.create_groups`); elsewhere the policy files a to-do."""

    kind: ClassVar[str] = "open_group"
    name: str
    text: str
    # The group whose settings the new one copies (its id on the same platform): the plan's
    # `groups.template`, else the full group itself.
    template_id: str | None = None


EFFECT_TYPES: tuple[type[Effect], ...] = (
    Send, Reply, DirectMessage, Delete, Warn, Kick, Mute, AwardPoints, Alert, Flag, Invite,
    SendFile, AnswerJoinRequest, InviteLink, SetRole, OpenGroup,
)

EFFECT_KINDS: dict[str, type[Effect]] = {t.kind: t for t in EFFECT_TYPES}


def _ref(value: UserRef | GroupRef | None) -> list[str | None] | None:
    if value is None:
        return None
    if isinstance(value, UserRef):
        return [value.platform, value.user_id, value.display_name]
    return [value.platform, value.group_id, value.name, value.kind]


def effect_to_dict(effect: Effect) -> dict[str, Any]:
    """JSON-able form, kept in the audit log so an undelivered effect survives a crash."""
    out: dict[str, Any] = {"kind": effect.kind}
    for name in effect.__dataclass_fields__:
        value = getattr(effect, name)
        if isinstance(value, UserRef | GroupRef):
            out[name] = _ref(value)
        elif name == "mentions":
            out[name] = [_ref(v) for v in value]
        elif name == "evidence":
            continue  # stored in its own column already
        else:
            out[name] = value
    return out


def effect_from_dict(data: dict[str, Any]) -> Effect:
    cls = EFFECT_KINDS[data["kind"]]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        if name == "group":
            kwargs[name] = GroupRef(*value)
        elif name == "member" and value is not None:
            kwargs[name] = UserRef(*value)
        elif name == "mentions":
            kwargs[name] = tuple(UserRef(*v) for v in value)
        elif name == "named":
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)
