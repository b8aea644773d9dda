"""What every bot policy shares: the plan and what is derived from it once, and helpers.

`Setup` is built once per plan (`qunyun.bot.wiring.build_policies`): admin ids, the time
zone, keyword sets and FAQ matchers are computed here, not per event (the hot path).

One process may run several adapters for one community (a Matrix room, a Telegram group
and a QQ group under one plan, issue 16): each live adapter's `Setup` says which groups
it serves (`serves`: its own platform's, `serving(platform)`; every group where one
pipeline stands for the whole community, as in tests and rehearsals). A policy deciding for another
platform's group — a calendar post for every group — still decides it, but asks that
platform's capabilities (`capabilities_for`), and that platform's adapter sends it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from qunyun.capabilities import FULL, Capabilities, of_platform
from qunyun.domain.commands import Command
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.plan.instructions import Instructions
from qunyun.plan.model import FaqItem, Plan
from qunyun.policies.chatter import Chatter
from qunyun.policies.matching import KeywordSet, squeeze

DirectCheck = Callable[[GroupRef], bool]
# The user ids the platform makes moderators of a room (Matrix: power level ≥ 50).
RoomAdmins = Callable[[GroupRef], Collection[str]]
# Whether a group is one this adapter's bot acts in (its own platform's groups).
Serves = Callable[[GroupRef], bool]


def serves_all(_group: GroupRef) -> bool:
    """One adapter for everything (tests, rehearsals, imports): every group is its own."""
    return True


def serving(platform: str) -> Serves:
    """The groups of one platform: what a live adapter for `platform` serves."""

    def serves(group: GroupRef) -> bool:
        return group.platform == platform

    return serves


def _direct_by_kind(group: GroupRef) -> bool:
    return group.kind == "direct"


# What an admin asking for points or a level is told (issue 11 #72).
STAFF_NO_POINTS = "你是管理员，不参与积分和分层"


def _no_room_admins(_group: GroupRef) -> Collection[str]:
    return ()


@dataclass
class Setup:
    plan: Plan
    # True for a one-to-one room with the bot (the adapter knows; the plan does not):
    # no welcome, no moderation, no points there, and plain messages answer the form.
    is_direct: DirectCheck = _direct_by_kind
    # The adapter's view of who moderates a room; with `bot.moderators_are_admins` (the
    # default) they are admins to the bot as well as the plan's `bot.admins`.
    room_admins: RoomAdmins = _no_room_admins
    # What the adapter's platform can do (posting into a group, DMs …).
    capabilities: Capabilities = FULL
    # The groups this adapter's bot acts in; the rest belong to another adapter.
    serves: Serves = serves_all
    admins: frozenset[str] = field(init=False)
    tz: str = field(init=False)
    faq: list[tuple[FaqItem, KeywordSet]] = field(init=False)
    prefixes: tuple[str, ...] = field(init=False)
    # The plan's own instructions (shared with the report's suspects, R4).
    instructions: Instructions = field(init=False)
    # What counts as 发言 (points here, tiers and the member list in the report).
    chatter: Chatter = field(init=False)

    def __post_init__(self) -> None:
        custom = self.is_direct
        if custom is not _direct_by_kind:
            # The adapter's own check can add DMs; a room the event calls direct always is.
            def either(group: GroupRef) -> bool:
                return group.kind == "direct" or custom(group)

            self.is_direct = either
        self.admins = frozenset(self.plan.bot.admins)
        self.tz = self.plan.bot.timezone
        items = self.plan.rules.faq if self.plan.rules else []
        self.faq = [(item, KeywordSet(item.keywords)) for item in items if item.keywords]
        self.prefixes = tuple(self.plan.bot.command_prefixes)
        self.instructions = Instructions.of(self.plan)
        self.chatter = Chatter.of(self.plan)

    def capabilities_for(self, group: GroupRef) -> Capabilities:
        """What the platform of `group` can do: this adapter's capabilities for its own
        groups, the declared ones of the platform that carries another platform's group."""
        return self.capabilities if self.serves(group) else of_platform(group.platform)

    def is_admin(self, user: UserRef | None, group: GroupRef | None = None) -> bool:
        """The plan's `bot.admins`, and the room's moderators unless the plan says not."""
        if user is None:
            return False
        return self.is_admin_id(user.user_id, group)

    def is_admin_id(self, user_id: str, group: GroupRef | None = None) -> bool:
        if user_id in self.admins:
            return True
        return (group is not None and self.plan.bot.moderators_are_admins
                and user_id in self.room_admins(group))

    def off_points(self, user: UserRef | None, group: GroupRef | None) -> bool:
        """An admin kept off points and tiers (`points.include_admins` off, the default).
        A DM counts only the plan's admins: the member may hold the DM room's top power
        level without being anyone's moderator."""
        if self.plan.points.include_admins:
            return False
        room = group if group is not None and group.kind == "group" else None
        return self.is_admin(user, room)

    def admin_ids(self, group: GroupRef | None) -> frozenset[str]:
        """Every admin's platform id as seen from `group` (the plan's and the room's)."""
        if group is None or not self.plan.bot.moderators_are_admins:
            return self.admins
        return self.admins | frozenset(self.room_admins(group))

    def exempt(self, user: UserRef | None, group: GroupRef | None = None) -> bool:
        """R3: admins are exempt from every moderation rule only where the plan says so
        (`rules.admins_exempt`); one rule's own `admins_exempt` is checked by moderation."""
        rules = self.plan.rules
        return bool(rules and rules.admins_exempt) and self.is_admin(user, group)

    def on_boards(self, user: UserRef | None, group: GroupRef | None) -> bool:
        """T3: whether the member earns points and is ranked (admins are not, by default)."""
        return self.plan.points.include_admins or not self.is_admin(user, group)

    def plan_command(self, command: Command) -> bool:
        """A command the bot knows or the plan tells members to type (never an advert)."""
        return self.instructions.allows(command)

    def command(self, event: MessagePosted) -> Command | None:
        return self.instructions.command(event.text)

    def faq_answer(self, text: str) -> tuple[FaqItem, str] | None:
        if not self.faq or not text:
            return None
        squeezed = squeeze(text)
        for item, keywords in self.faq:
            hit = keywords.find_squeezed(squeezed)
            if hit:
                return item, hit
        return None


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def name_of(user: UserRef | None) -> str:
    if user is None:
        return "群友"
    return user.display_name or user.user_id
