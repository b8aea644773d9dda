"""How the bot writes a member in what members read: one member, one written form.

The rule (O3, issue 11 walk12 finding 13, bot13):
- **What members read** — group posts, replies, warnings, DMs: a member is written by the
  name part of the plan's nickname pattern, 「小王」 for 「小王-杭州-财务」, whether the text
  @-addresses them (a reply, a welcome, praise, a tier-up) or lists them (the leaderboard,
  a season's top three, the public removal line, a buddy introduction). The mention still
  targets the account.
- **Unless it would not tell two people apart**: where two different nicknames named by
  the same text share the name part (two 小王 on one board), both keep the whole nickname.
  A nickname out of the pattern's format is written as it is.
- **What the admins read** — alerts in the admins' room (`Alert`), the files posted there,
  the console and the report: the whole nickname, which names one account and is what
  the console shows and finds.

One pass over every effect before it is audited and sent (`address`), so each policy keeps
writing the member's display name (`name_of`) and every platform's pill (which looks for
「@name」 in the text) finds the name the text uses: the mentioned refs carry the short
name, and a reply names the member it answers in `Reply.author_name`. A text that names
members it does not mention (a board's lines) lists their nicknames in `named`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from qunyun.domain.patterns import name_part
from qunyun.effects import DirectMessage, Effect, Reply, Send, Warn
from qunyun.events import Event, UserRef

# What members read; an Alert or a file for the admins' room keeps whole nicknames.
MEMBER_FACING = (Send, Reply, Warn, DirectMessage)


def written_names(pattern: str | None, nicknames: Iterable[str | None]) -> dict[str, str]:
    """Each nickname → how members read it in one text: its name part, or the whole
    nickname where it has none or where another nickname in the text shares it."""
    wanted = [n for n in dict.fromkeys(nicknames) if n]
    short = {n: (name_part(pattern, n) or n) for n in wanted}
    owners: dict[str, int] = {}
    for name in short.values():
        owners[name] = owners.get(name, 0) + 1
    # A name part that is also someone's whole nickname in the text counts as shared.
    return {n: (s if owners[s] == 1 else n) for n, s in short.items()}


def _people(effect: Effect, event: Event | None) -> list[UserRef]:
    refs = list(getattr(effect, "mentions", ()) or ())
    for value in (getattr(effect, "member", None), getattr(event, "actor", None),
                  getattr(event, "member", None)):
        if isinstance(value, UserRef):
            refs.append(value)
    return refs


def address(effect: Effect, event: Event | None, pattern: str | None) -> Effect:
    """`effect` with each member's nickname written as members read it (the module's rule)."""
    text = getattr(effect, "text", None)
    if not pattern or not isinstance(text, str) or not isinstance(effect, MEMBER_FACING):
        return effect
    people = _people(effect, event)
    named = tuple(getattr(effect, "named", ()) or ())
    # Only the nicknames the text does name decide whether two share a name part.
    written = written_names(pattern, [n for n in [r.display_name for r in people]
                                      + list(named) if n and n in text])
    short = {full: name for full, name in written.items() if name != full}
    new = text
    for full in sorted(short, key=len, reverse=True):
        new = new.replace(full, short[full])
    changes: dict[str, Any] = {"named": ()} if named else {}
    if new == text:
        return dataclasses.replace(effect, **changes) if changes else effect
    changes["text"] = new

    def renamed(ref: UserRef) -> UserRef:
        name = short.get(ref.display_name or "")
        return dataclasses.replace(ref, display_name=name) if name else ref

    if isinstance(effect, Send) and effect.mentions:
        changes["mentions"] = tuple(renamed(r) for r in effect.mentions)
    if isinstance(effect, Warn):  # its member is @-mentioned: the pill names them so
        changes["member"] = renamed(effect.member)
    # A DM's member stays whole: the console's 待发私信 to-do names the account by it.
    actor = getattr(event, "actor", None)
    if isinstance(effect, Reply) and isinstance(actor, UserRef) \
            and (name := short.get(actor.display_name or "")) and f"@{name}" in new:
        changes["author_name"] = name
    return dataclasses.replace(effect, **changes)
