"""The plan's own instructions: which messages are commands a member was told to type.

One rule for the bot (R1/R2 moderation) and the report (R4 suspects): a message that is a
command the bot knows, or one the plan's member-facing texts name (the FAQ's
「!作业 链接」), is never an advert, a forbidden link or a spam wave — the plan's own
instructions are not moderated, live or in hindsight. An unknown command
(`!福利 加微信 …`) is judged as any other text.
"""

from __future__ import annotations

from dataclasses import dataclass

from qunyun.domain.commands import Command, named_in, parse
from qunyun.plan.model import Plan
from qunyun.plan.texts import plan_texts


@dataclass(frozen=True, slots=True)
class Instructions:
    prefixes: tuple[str, ...]
    named: frozenset[str]  # command words (casefolded, no prefix) the plan's texts name

    @classmethod
    def of(cls, plan: Plan) -> Instructions:
        return cls(prefixes=tuple(p for p in plan.bot.command_prefixes if p),
                   named=frozenset(w.casefold() for _path, text in plan_texts(plan)
                                   for w in named_in(text)))

    def command(self, text: str | None) -> Command | None:
        """The command `text` starts with, under the plan's prefixes, or None."""
        if not text:
            return None
        stripped = text.lstrip()
        if not any(stripped.startswith(p) for p in self.prefixes):
            return None  # most messages: no parse at all
        return parse(stripped, self.prefixes)

    def allows(self, command: Command) -> bool:
        """A command the bot knows or the plan tells members to type."""
        return command.known or command.name.casefold() in self.named

    def is_instruction(self, text: str | None) -> bool:
        command = self.command(text)
        return command is not None and self.allows(command)
