"""What every bot policy shares: the plan and what is derived from it once, and helpers.

`Setup` is built once per plan (`qunyun.bot.wiring.build_policies`): admin ids, the time
zone, keyword sets and FAQ matchers are computed here, not per event (the hot path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from qunyun.capabilities import FULL, Capabilities
from qunyun.domain.commands import Command, parse
from qunyun.events import GroupRef, MessagePosted, UserRef
from qunyun.plan.model import FaqItem, Plan
from qunyun.policies.matching import KeywordSet, squeeze

DirectCheck = Callable[[GroupRef], bool]


def _never_direct(_group: GroupRef) -> bool:
    return False


@dataclass
class Setup:
    plan: Plan
    # True for a one-to-one room with the bot (the adapter knows; the plan does not):
    # no welcome, no moderation, no points there, and plain messages answer the form.
    is_direct: DirectCheck = _never_direct
    # What the adapter's platform can do (posting into a group, DMs …).
    capabilities: Capabilities = FULL
    admins: frozenset[str] = field(init=False)
    tz: str = field(init=False)
    faq: list[tuple[FaqItem, KeywordSet]] = field(init=False)
    prefixes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.admins = frozenset(self.plan.bot.admins)
        self.tz = self.plan.bot.timezone
        items = self.plan.rules.faq if self.plan.rules else []
        self.faq = [(item, KeywordSet(item.keywords)) for item in items if item.keywords]
        self.prefixes = tuple(self.plan.bot.command_prefixes)

    def is_admin(self, user: UserRef | None) -> bool:
        return user is not None and user.user_id in self.admins

    def exempt(self, user: UserRef | None) -> bool:
        """R3: admins are exempt from moderation only where the plan says so."""
        rules = self.plan.rules
        return bool(rules and rules.admins_exempt) and self.is_admin(user)

    def command(self, event: MessagePosted) -> Command | None:
        text = event.text
        if not text or text.lstrip()[:1] not in self.prefixes:
            return None
        return parse(text, self.prefixes)

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
