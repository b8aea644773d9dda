"""How the bot's messages address a member: by the name part of the plan's nickname
pattern (O3), not the whole nickname — 「@李四」, not 「@李四-上海-财务」 (issue 11 walk12
finding 13). The mention still targets the account.

One pass over every effect before it is audited and sent, so each policy keeps writing
「@{name_of(member)}」 and every platform's pill (which looks for 「@name」 in the text) finds
the name the text uses: the mentioned refs carry the short name, and a reply names the
member it answers in `Reply.author_name`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from qunyun.domain.patterns import name_part
from qunyun.effects import Effect, Reply
from qunyun.events import Event, UserRef


def _people(effect: Effect, event: Event) -> list[UserRef]:
    refs = list(getattr(effect, "mentions", ()) or ())
    for value in (getattr(effect, "member", None), getattr(event, "actor", None),
                  getattr(event, "member", None)):
        if isinstance(value, UserRef):
            refs.append(value)
    return refs


def address(effect: Effect, event: Event, pattern: str | None) -> Effect:
    """`effect` with 「@nickname」 turned into 「@name」 where the pattern extracts a name."""
    text = getattr(effect, "text", None)
    if not pattern or not isinstance(text, str) or "@" not in text:
        return effect
    short: dict[str, str] = {}
    for ref in _people(effect, event):
        full = ref.display_name
        if full and full not in short:
            name = name_part(pattern, full)
            if name and name != full:
                short[full] = name
    new = text
    for full in sorted(short, key=len, reverse=True):
        new = new.replace(f"@{full}", f"@{short[full]}")
    if new == text:
        return effect
    changes: dict[str, Any] = {"text": new}

    def renamed(ref: UserRef) -> UserRef:
        name = short.get(ref.display_name or "")
        return dataclasses.replace(ref, display_name=name) if name else ref

    if getattr(effect, "mentions", None):
        changes["mentions"] = tuple(renamed(r) for r in effect.mentions)  # type: ignore[attr-defined]
    member = getattr(effect, "member", None)
    if isinstance(member, UserRef):
        changes["member"] = renamed(member)
    actor = getattr(event, "actor", None)
    if isinstance(effect, Reply) and isinstance(actor, UserRef) \
            and (name := short.get(actor.display_name or "")) and f"@{name}" in new:
        changes["author_name"] = name
    return dataclasses.replace(effect, **changes)
