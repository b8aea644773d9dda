"""What counts as a message a member said (发言): one rule for points, tiers and the member
list (T1/T3, issue 11 walk13 finding 26).

Asking the bot is not talking to the group: a command the bot knows or the plan tells
members to type (`!积分`, `!排行`, `!投票 2`, the FAQ's `!作业 链接`) and a check-in (a
message with one of a check-in campaign's keywords, which earns its own points) are not
发言. The bot's scoring gives them no 发言 points; the report's member numbers (tiers,
the console's 近30天消息 and 全部消息, volunteers, core users) leave them out. An unknown
command (`!福利 加微信`) is text like any other and counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from qunyun.plan.instructions import Instructions
from qunyun.plan.model import Plan
from qunyun.policies.matching import KeywordSet

CHECKIN_SCAN_CHARS = 200  # where the commands policy looks for a check-in keyword


@dataclass(frozen=True, slots=True)
class Chatter:
    instructions: Instructions
    checkins: KeywordSet
    checkin_words: tuple[str, ...]  # as the plan writes them (the report's SQL prefilter)

    @classmethod
    def of(cls, plan: Plan) -> Chatter:
        words = tuple(dict.fromkeys(w for c in plan.checkins for w in c.keywords if w.strip()))
        return cls(Instructions.of(plan), KeywordSet(words), words)

    def counts(self, text: str | None) -> bool:
        """Is this text 发言 (and not a command or a check-in)?"""
        if not text:
            return True
        if self.instructions.command(text) is not None:
            # Any command the parser reads: the commands policy answers it, and a known
            # one or one the plan names is never a message; an unknown one is.
            return not self.instructions.is_instruction(text)
        return not (self.checkins and self.checkins.find(text[:CHECKIN_SCAN_CHARS]))
